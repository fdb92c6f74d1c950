"""The one door for issues: creating one, changing its details, and every move.

``take_issue_action`` is the only way an issue changes state — submit, approve, schedule,
publish, release on schedule, publish from the back catalogue, correct, withdraw, reopen a
withdrawn issue as a draft or republish it. It
checks the transition table in editorial.workflow, locks the row, applies what the
action brings with it, records the review event and the audit entry, and queues what
follows a publish (renders, deliveries, cache purge) on commit. The functions in
services.publishing and services.reviewing are named shortcuts to it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial import workflow
from editorial.models import Issue
from editorial.selectors.readiness import GATED_ISSUE_ACTIONS, issue_blockers
from editorial.services import caching, delivery, rendering
from editorial.services.audit import diff, field_values, record_action
from editorial.services.errors import ServiceError
from editorial.services.permissions import require_permission, require_transition
from editorial.services.reviewing import record_review_event
from editorial.workflow import ArticleState, IssueState

logger = logging.getLogger(__name__)

ISSUE_DETAIL_FIELDS = ("bulletin", "number", "volume", "issue_date", "title", "access_level")
# An existing issue keeps its bulletin: the bulletin's sections hold its articles.
ISSUE_EDITABLE_FIELDS = ("number", "volume", "issue_date", "title", "access_level")


# --- What follows a publish -----------------------------------------------------------


def after_publish(issue_id: int, *, corrected: bool = False) -> None:
    """What follows a publish or a correction, run after the transaction commits."""
    caching.purge_public_pages()
    try:
        rendering.queue_issue_renditions(issue_id=issue_id, supersede=corrected)
    except Exception:  # the broker may be down; the sweeper re-queues, the publish stands
        logger.exception("Could not queue renditions for issue %s; the sweeper will", issue_id)
    try:
        delivery.queue_issue_deliveries(issue_id=issue_id, kind="erratum" if corrected else "issue")
    except Exception:  # as above: the delivery sweeper fans out what was missed
        logger.exception("Could not queue deliveries for issue %s; the sweeper will", issue_id)


def after_withdraw(issue_id: int) -> None:
    caching.purge_public_pages()


# --- The door ---------------------------------------------------------------------------


def _transition(action: str) -> workflow.Transition:
    try:
        return workflow.ISSUE_TRANSITIONS[action]
    except KeyError as exc:
        raise ServiceError(_("Unknown action “%(action)s”.") % {"action": action}) from exc


def _scheduler_of(issue: Issue):
    event = issue.review_events.filter(action="schedule").order_by("-created_at").first()
    return event.actor if event else None


def _prepare(locked: Issue, transition: workflow.Transition, *, user, now: datetime,
             comment: str, data: dict) -> tuple[dict, str, object]:
    """The field changes an action brings, the trail comment, and who the trail names."""
    action, actor = transition.name, user
    if action == "publish":
        fields = {"published_at": now, "published_by": user, "scheduled_at": None}
    elif action == "schedule":
        release_at = data.get("release_at")
        if release_at is None or timezone.is_naive(release_at):
            raise ServiceError("release_at must be timezone-aware")
        if release_at <= timezone.now():
            raise ServiceError(_("The release time must be in the future."), code="past-release")
        fields = {"scheduled_at": release_at}
        comment = comment or _("Release at %(time)s") % {
            "time": timezone.localtime(release_at).strftime("%Y-%m-%d %H:%M")
        }
    elif action == "unschedule":
        fields = {"scheduled_at": None}
    elif action == "release":
        if locked.scheduled_at is None or locked.scheduled_at > now:
            raise ServiceError(_("The release time has not come yet."), code="not-due")
        actor = _scheduler_of(locked)
        fields = {"published_at": now, "published_by": actor}
        comment = _("Scheduled release")
    elif action == "publish_back_catalogue":
        fields = {"published_at": now, "published_by": user}
        comment = _("Imported from the back catalogue")
    elif action == "correct":
        fields = {"erratum": comment}
    elif action == "reopen":
        # Back on the desk: the first release stays on record in the trail, not the row.
        fields = {"published_at": None, "published_by": None, "scheduled_at": None}
    elif action == "republish":
        # Out again as it was: it keeps its first release date and publisher.
        fields = {}
    else:
        fields = {}
    return fields, comment, actor


@transaction.atomic
def take_issue_action(
    *, issue: Issue, action: str, user, comment: str = "", now: datetime | None = None, **data
) -> Issue:
    """Move ``issue`` by ``action`` for ``user`` (None only for the scheduler's release)."""
    transition = _transition(action)
    now = now or timezone.now()
    locked = Issue.objects.select_for_update().get(pk=issue.pk)
    require_transition(transition, user, state=locked.state)
    if transition.needs_comment and not comment.strip():
        raise ServiceError(_("Please say why in the comment."), code="comment-required")
    if action in GATED_ISSUE_ACTIONS:
        blockers = issue_blockers(locked)
        if blockers:
            raise ServiceError(
                _("Not ready: %(blockers)s") % {"blockers": " ".join(blockers)}, code="not-ready"
            )
    fields, comment, actor = _prepare(
        locked, transition, user=user, now=now, comment=comment, data=data
    )
    if action == "publish_back_catalogue":
        locked.articles.update(state=ArticleState.APPROVED)
        locked.import_warnings.update(resolved=True, resolved_by=user, resolved_at=now)
    from_state = locked.state
    locked.state = transition.target
    for name, value in fields.items():
        setattr(locked, name, value)
    locked._change_reason = action
    locked.save()
    record_review_event(
        actor=actor, action=transition.event_action, from_state=from_state,
        to_state=transition.target, comment=comment, issue=locked,
    )
    changes = {"state": [from_state, transition.target]}
    changes.update({name: [None, value] for name, value in fields.items() if value is not None})
    if comment:
        changes["comment"] = comment
    record_action(user=actor, action=f"issue.{action}", obj=locked, changes=changes)
    _queue_effects(locked.pk, action)
    issue.state = locked.state
    return locked


def _queue_effects(issue_id: int, action: str) -> None:
    if action in workflow.PUBLISHING_TRANSITIONS:
        corrected = action == "correct"
        transaction.on_commit(lambda: after_publish(issue_id, corrected=corrected))
    elif action == "withdraw":
        transaction.on_commit(lambda: after_withdraw(issue_id))


# --- Creating and changing details ------------------------------------------------------


@transaction.atomic
def create_issue(*, user, **fields) -> Issue:
    require_permission(user, "issue.create")
    unknown = set(fields) - set(ISSUE_DETAIL_FIELDS)
    if unknown:
        raise ServiceError(f"Not settable: {sorted(unknown)}")
    issue = Issue(created_by=user, state=IssueState.ASSEMBLING, **fields)
    issue.full_clean(exclude=["created_by"])
    issue.save()
    record_action(user=user, action="issue.create", obj=issue, changes=diff({}, fields))
    return issue


@transaction.atomic
def update_issue_details(*, issue: Issue, user, changes: dict) -> Issue:
    """Change the number, date, title … of an issue not yet scheduled or published."""
    unknown = set(changes) - set(ISSUE_EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Not editable: {sorted(unknown)}")
    locked = Issue.objects.select_for_update().get(pk=issue.pk)
    require_permission(user, "issue.edit", issue_state=locked.state)
    before = field_values(locked, ISSUE_EDITABLE_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    changed = diff(before, field_values(locked, ISSUE_EDITABLE_FIELDS))
    if not changed:
        return locked
    locked.full_clean(exclude=["created_by", "published_by"])
    locked._change_reason = "edited"
    locked.save()
    record_action(user=user, action="issue.edit", obj=locked, changes=changed)
    return locked
