"""The Celery application; tasks live in ``editorial.tasks``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bulletin.settings")

app = Celery("bulletin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Task context in the logs, and task durations and failures for Prometheus (both ends:
# the web publishes tasks, the workers run them).
import editorial.operations.task_observability  # noqa: E402, F401
