"""Publishing: now, at a set time, corrections and withdrawals.

Publishing is one short transaction with the issue row locked, so two publishers (or
two beat workers) racing publish once. Renders, deliveries and cache purges are
queued with transaction.on_commit: they never see an unpublished issue, and a broker
outage cannot undo a publish (the render sweeper picks the renders up later).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial import workflow
from editorial.models import Issue
from editorial.services import reviewing
from editorial.services.errors import PermissionRefused, ServiceError
from editorial.workflow import ArticleState, IssueState

logger = logging.getLogger(__name__)


def after_publish(issue_id: int, *, corrected: bool = False) -> None:
    """What follows a publish or a correction, run after the transaction commits."""
    from editorial.services.caching import purge_public_pages
    from editorial.services.rendering import queue_issue_renditions

    purge_public_pages()
    try:
        queue_issue_renditions(issue_id=issue_id, supersede=corrected)
    except Exception:  # the broker may be down; the sweeper re-queues, the publish stands
        logger.exception("Could not queue renditions for issue %s; the sweeper will", issue_id)
    try:
        from editorial.services.delivery import queue_issue_deliveries

        queue_issue_deliveries(issue_id=issue_id, kind="erratum" if corrected else "issue")
    except Exception:  # as above: the delivery sweeper fans out what was missed
        logger.exception("Could not queue deliveries for issue %s; the sweeper will", issue_id)


def after_withdraw(issue_id: int) -> None:
    from editorial.services.caching import purge_public_pages

    purge_public_pages()


@transaction.atomic
def publish_issue(*, issue: Issue, user, now: datetime | None = None) -> Issue:
    now = now or timezone.now()
    published = reviewing.transition_issue(
        issue=issue, action="publish", user=user, published_at=now, published_by=user,
        scheduled_at=None,
    )
    transaction.on_commit(lambda: after_publish(published.pk))
    return published


@transaction.atomic
def schedule_issue(*, issue: Issue, user, release_at: datetime) -> Issue:
    if timezone.is_naive(release_at):
        raise ServiceError("release_at must be timezone-aware")
    if release_at <= timezone.now():
        raise ServiceError(_("The release time must be in the future."), code="past-release")
    return reviewing.transition_issue(
        issue=issue, action="schedule", user=user, scheduled_at=release_at,
        comment=_("Release at %(time)s")
        % {"time": timezone.localtime(release_at).strftime("%Y-%m-%d %H:%M")},
    )


@transaction.atomic
def unschedule_issue(*, issue: Issue, user) -> Issue:
    return reviewing.transition_issue(issue=issue, action="unschedule", user=user, scheduled_at=None)


def publish_due_issues(*, now: datetime | None = None) -> list[int]:
    """Publish every scheduled issue whose release time has come; returns their ids.

    Each issue is published in its own transaction with its row locked and skipped
    when another worker holds it, so overlapping runs (beat plus cron) publish once.
    """
    now = now or timezone.now()
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
            scheduler = _scheduler_of(issue)
            from_state = issue.state
            issue.state = IssueState.PUBLISHED
            issue.published_at = now
            issue.published_by = scheduler
            issue._change_reason = "publish_due"
            issue.save()
            reviewing.record_review_event(
                actor=scheduler, action="publish", from_state=from_state,
                to_state=IssueState.PUBLISHED, comment=_("Scheduled release"), issue=issue,
            )
            transaction.on_commit(lambda pk=issue.pk: after_publish(pk))
            published.append(issue.pk)
    return published


def _scheduler_of(issue: Issue):
    event = issue.review_events.filter(action="schedule").order_by("-created_at").first()
    return event.actor if event else None


@transaction.atomic
def correct_issue(*, issue: Issue, user, erratum: str) -> Issue:
    """Publish a correction: the erratum shows on the issue, renditions are redone and the
    original ones kept for the record."""
    corrected = reviewing.transition_issue(
        issue=issue, action="correct", user=user, comment=erratum, erratum=erratum
    )
    transaction.on_commit(lambda: after_publish(corrected.pk, corrected=True))
    return corrected


@transaction.atomic
def withdraw_issue(*, issue: Issue, user, reason: str) -> Issue:
    withdrawn = reviewing.transition_issue(issue=issue, action="withdraw", user=user, comment=reason)
    transaction.on_commit(lambda: after_withdraw(withdrawn.pk))
    return withdrawn


@transaction.atomic
def publish_back_catalogue_issue(*, issue: Issue, user) -> Issue:
    """Approve and publish an imported back-catalogue issue in one recorded step."""
    if not (user.is_superuser or workflow.PUBLISHER in reviewing.user_roles(user)):
        raise PermissionRefused(_("Only publishers may publish a back-catalogue issue."))
    locked = Issue.objects.select_for_update().get(pk=issue.pk)
    if locked.state != IssueState.ASSEMBLING:
        raise ServiceError(_("Only a newly imported issue can be published this way."))
    locked.articles.update(state=ArticleState.APPROVED)
    locked.import_warnings.update(resolved=True, resolved_by=user, resolved_at=timezone.now())
    from_state = locked.state
    locked.state = IssueState.PUBLISHED
    locked.published_at = timezone.now()
    locked.published_by = user
    locked._change_reason = "publish_back_catalogue"
    locked.save()
    reviewing.record_review_event(
        actor=user, action="publish_back_catalogue", from_state=from_state,
        to_state=IssueState.PUBLISHED, comment=_("Imported from the back catalogue"),
        issue=locked,
    )
    transaction.on_commit(lambda: after_publish(locked.pk))
    issue.state = locked.state
    return locked
