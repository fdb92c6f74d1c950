"""The Django project: settings and wiring only; the domain lives in ``editorial``.

The Celery app (``bulletin.celery``) is not imported here, as the usual recipe does:
Celery and every task module cost a few tenths of a second at each start, and most
processes (``render_issue``, other commands, a web process until it queues work) never
use them. ``celery -A bulletin`` finds ``bulletin.celery.app`` by itself, and the
services reach it through ``editorial.services.queueing`` when they first queue work.
"""


def __getattr__(name: str):
    if name == "celery_app":  # the name the usual recipe exports, for tools that look for it
        from .celery import app  # on first use, as the docstring explains

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
