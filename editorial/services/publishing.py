"""Publishing: now, at a set time, corrections and withdrawals.

Each function is a named shortcut to the one issue door, services.issues.take_issue_action,
which locks the row, checks the transition table and queues renders, deliveries and cache
purges with transaction.on_commit: they never see an unpublished issue, and a broker
outage cannot undo a publish (the render sweeper picks the renders up later).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from editorial.models import Issue, SchedulerHeartbeat
from editorial.services.issues import after_publish, after_withdraw, take_issue_action
from editorial.workflow import IssueState

__all__ = [
    "after_publish", "after_withdraw", "correct_issue", "publish_back_catalogue_issue",
    "publish_due_issues", "publish_issue", "record_scheduler_run", "reopen_issue",
    "republish_issue", "schedule_issue", "unschedule_issue", "withdraw_issue",
]

# The heartbeat row publish_due_issues touches; the admin's desk warns when it is stale.
RELEASE_JOB = "publish_due_issues"

logger = logging.getLogger(__name__)


def publish_issue(*, issue: Issue, user, now: datetime | None = None) -> Issue:
    return take_issue_action(issue=issue, action="publish", user=user, now=now)


def schedule_issue(*, issue: Issue, user, release_at: datetime) -> Issue:
    return take_issue_action(issue=issue, action="schedule", user=user, release_at=release_at)


def unschedule_issue(*, issue: Issue, user) -> Issue:
    return take_issue_action(issue=issue, action="unschedule", user=user)


def publish_due_issues(*, now: datetime | None = None) -> list[int]:
    """Release every scheduled issue whose time has come; returns their ids.

    Each issue is released in its own transaction with its row locked and skipped when
    another worker holds it, so overlapping runs (beat plus cron) publish once. Each run
    is recorded as the scheduler's heartbeat, whoever calls it.
    """
    now = now or timezone.now()
    record_scheduler_run(RELEASE_JOB, now=now)
    published = []
    due_ids = list(
        Issue.objects.filter(state=IssueState.SCHEDULED, scheduled_at__lte=now)
        .order_by("scheduled_at")
        .values_list("pk", flat=True)
    )
    for issue_id in due_ids:
        with transaction.atomic():
            issue = (
                Issue.objects.select_for_update(skip_locked=True)
                .filter(pk=issue_id, state=IssueState.SCHEDULED, scheduled_at__lte=now)
                .first()
            )
            if issue is None:
                continue
            take_issue_action(issue=issue, action="release", user=None, now=now)
            published.append(issue.pk)
    return published


def correct_issue(*, issue: Issue, user, erratum: str) -> Issue:
    """Publish a correction: the erratum shows on the issue, renditions are redone and the
    original ones kept for the record."""
    return take_issue_action(issue=issue, action="correct", user=user, comment=erratum)


def withdraw_issue(*, issue: Issue, user, reason: str) -> Issue:
    return take_issue_action(issue=issue, action="withdraw", user=user, comment=reason)


def reopen_issue(*, issue: Issue, user, reason: str) -> Issue:
    """Take a withdrawn issue back to assembling, to be reworked and reviewed again."""
    return take_issue_action(issue=issue, action="reopen", user=user, comment=reason)


def republish_issue(*, issue: Issue, user, reason: str) -> Issue:
    """Put a withdrawn issue back on the public site as it was."""
    return take_issue_action(issue=issue, action="republish", user=user, comment=reason)


def record_scheduler_run(name: str, *, now: datetime | None = None) -> None:
    """Note that the periodic job ``name`` ran (a heartbeat, not an editorial write)."""
    SchedulerHeartbeat.objects.update_or_create(
        name=name, defaults={"last_run_at": now or timezone.now()}
    )


def publish_back_catalogue_issue(*, issue: Issue, user) -> Issue:
    """Approve and publish an imported back-catalogue issue in one recorded step."""
    return take_issue_action(issue=issue, action="publish_back_catalogue", user=user)
