"""The editorial state machines: states, allowed transitions and who may take them.

Data and small pure functions only — no database, no I/O — so the rules are tested
as a table. The services in ``editorial.services`` enforce them for every caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

# Role names are the Django group names created by migration 0002.
EDITOR = "编辑"
REVIEWER = "审核"
PUBLISHER = "发布"
ROLES = (EDITOR, REVIEWER, PUBLISHER)


class ArticleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")


class IssueState(models.TextChoices):
    ASSEMBLING = "assembling", _("Assembling")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


@dataclass(frozen=True)
class Transition:
    name: str
    source: tuple[str, ...]
    target: str
    roles: tuple[str, ...]  # who may take it; superusers may take every transition
    label: str = ""
    needs_comment: bool = False


ARTICLE_TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit",
            (ArticleState.DRAFT, ArticleState.CHANGES_REQUESTED),
            ArticleState.SUBMITTED,
            (EDITOR,),
            _("Submit for review"),
        ),
        Transition(
            "approve", (ArticleState.SUBMITTED,), ArticleState.APPROVED, (REVIEWER,), _("Approve")
        ),
        Transition(
            "request_changes",
            (ArticleState.SUBMITTED, ArticleState.APPROVED),
            ArticleState.CHANGES_REQUESTED,
            (REVIEWER,),
            _("Request changes"),
            needs_comment=True,
        ),
        # Editing an approved article sends it back to draft so a reviewer sees it again.
        Transition(
            "reopen",
            (ArticleState.APPROVED, ArticleState.SUBMITTED),
            ArticleState.DRAFT,
            (EDITOR,),
            _("Back to draft"),
        ),
    )
}

ISSUE_TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit",
            (IssueState.ASSEMBLING,),
            IssueState.IN_REVIEW,
            (EDITOR,),
            _("Submit for review"),
        ),
        Transition(
            "approve", (IssueState.IN_REVIEW,), IssueState.APPROVED, (REVIEWER,), _("Approve")
        ),
        Transition(
            "request_changes",
            (IssueState.IN_REVIEW, IssueState.APPROVED),
            IssueState.ASSEMBLING,
            (REVIEWER,),
            _("Request changes"),
            needs_comment=True,
        ),
        Transition(
            "schedule",
            (IssueState.APPROVED, IssueState.SCHEDULED),
            IssueState.SCHEDULED,
            (PUBLISHER,),
            _("Schedule"),
        ),
        Transition(
            "unschedule",
            (IssueState.SCHEDULED,),
            IssueState.APPROVED,
            (PUBLISHER,),
            _("Cancel schedule"),
        ),
        Transition(
            "publish",
            (IssueState.APPROVED, IssueState.SCHEDULED),
            IssueState.PUBLISHED,
            (PUBLISHER,),
            _("Publish now"),
        ),
        Transition(
            "correct",
            (IssueState.PUBLISHED,),
            IssueState.PUBLISHED,
            (PUBLISHER,),
            _("Publish a correction"),
            needs_comment=True,
        ),
        Transition(
            "withdraw",
            (IssueState.PUBLISHED,),
            IssueState.WITHDRAWN,
            (PUBLISHER,),
            _("Withdraw"),
            needs_comment=True,
        ),
    )
}

# Issue states in which its articles may still be edited.
ISSUE_EDITABLE_STATES = frozenset({IssueState.ASSEMBLING, IssueState.IN_REVIEW})
# Issue states the public may see.
ISSUE_PUBLIC_STATES = frozenset({IssueState.PUBLISHED})


def can_take(transition: Transition, *, state: str, roles: set[str], is_superuser: bool) -> bool:
    return state in transition.source and (is_superuser or bool(roles & set(transition.roles)))


def refusal_reason(
    transition: Transition, *, state: str, roles: set[str], is_superuser: bool
) -> str | None:
    """Why the transition may not be taken now, in the user's language; None if it may."""
    if state not in transition.source:
        return str(_("“%(action)s” is not possible from this state.") % {"action": transition.label})
    if not (is_superuser or roles & set(transition.roles)):
        return str(
            _("Only %(roles)s may “%(action)s”.")
            % {"roles": "、".join(transition.roles), "action": transition.label}
        )
    return None


def available_transitions(
    transitions: dict[str, Transition], *, state: str, roles: set[str], is_superuser: bool
) -> list[Transition]:
    return [
        t
        for t in transitions.values()
        if can_take(t, state=state, roles=roles, is_superuser=is_superuser)
    ]
