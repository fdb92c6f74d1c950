"""The Django project: settings and wiring only; the domain lives in ``editorial``."""

from .celery import app as celery_app

__all__ = ("celery_app",)
