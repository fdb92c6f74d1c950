"""Work handed to the Celery workers, named by task.

Services do not import ``editorial.tasks``: the tasks import the services (a task loads
its rows and calls one service), so importing back would tie the two into a circle.
Services name the task instead ("editorial.render_issue_rendition", as registered in
tasks.py, which the app config imports when Django is ready) and get it here.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction


def task_named(name: str):
    """The registered task called ``name``; KeyError names a task tasks.py does not define."""
    return current_app.tasks[name]


def delay_after_commit(name: str, *args) -> None:
    """Queue the task with ``args`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: task_named(name).delay(*args))
