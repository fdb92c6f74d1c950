"""Work handed to the Celery workers, named by task.

Services do not import ``editorial.tasks`` at their top: the tasks import the services
(a task loads its rows and calls one service), so importing back would tie the two into
a circle. Services name the task instead ("editorial.render_issue_rendition", as
registered in tasks.py) and get it here, the one place that loads the tasks and the
project's Celery app, on first use: a process that never queues work (``render_issue``,
most commands) starts without Celery.
"""

from __future__ import annotations

from django.db import transaction


def celery_app():
    """The project's Celery app (not ``celery.current_app``, which is per thread and may
    be an unconfigured default in a server's other threads)."""
    from bulletin.celery import app  # on first use: see the module's docstring

    return app


def task_named(name: str):
    """The registered task called ``name``; KeyError names a task tasks.py does not define."""
    import editorial.tasks  # noqa: F401  registers the tasks on first use (see above)

    return celery_app().tasks[name]


def tasks_run_in_process() -> bool:
    """True when tasks run eagerly in this process (no broker: the demo, some tests)."""
    return bool(celery_app().conf.task_always_eager)


def delay_after_commit(name: str, *args) -> None:
    """Queue the task with ``args`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: task_named(name).delay(*args))
