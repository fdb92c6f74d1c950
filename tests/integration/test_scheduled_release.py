"""Scheduled release with a real worker running celery beat on Redis."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from editorial.models import Issue
from editorial.services import publishing
from editorial.workflow import PUBLISHER, ArticleState, IssueState
from tests.factories import ArticleFactory, IssueFactory, UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def test_beat_publishes_a_scheduled_issue_once_it_is_due(celery_worker, bulletin, monkeypatch):
    # Renders and deliveries are other tests' business: the worker has no broker-side
    # consumers for them to disturb, and publishing does not wait for them.
    publisher = UserFactory(username="pub", roles=[PUBLISHER])
    issue = IssueFactory(bulletin=bulletin, state=IssueState.APPROVED)
    ArticleFactory(issue=issue, state=ArticleState.APPROVED)
    release_at = timezone.now() + timedelta(seconds=4)
    publishing.schedule_issue(issue=issue, user=publisher, release_at=release_at)

    # Beat ticks every second here (every 30 s in production: within a minute).
    celery_worker(
        beat=True,
        conf={"beat_schedule": {
            "publish-due-issues": {"task": "editorial.publish_due_issues", "schedule": 1.0},
        }},
    )
    assert Issue.objects.get(pk=issue.pk).state == IssueState.SCHEDULED
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        issue.refresh_from_db()
        if issue.state == IssueState.PUBLISHED:
            break
        time.sleep(0.25)
    assert issue.state == IssueState.PUBLISHED
    assert issue.published_at >= release_at
    assert issue.published_at - release_at < timedelta(seconds=60)
    assert issue.published_by == publisher
    assert issue.review_events.filter(action="publish").count() == 1
