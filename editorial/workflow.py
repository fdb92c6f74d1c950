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
    # Taken by the system (the release scheduler), never by a person from the admin.
    system: bool = False
    # Offered as a button and list action in the admin.
    in_admin: bool = True
    # The trail's action code, when it differs from the transition's name.
    recorded_as: str = ""
    # Why someone without the role may not take it, when the generic reason says too little.
    role_message: str = ""

    @property
    def event_action(self) -> str:
        return self.recorded_as or self.name


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
        # A withdrawn issue goes back to the desk for rework, or out again as it was.
        Transition(
            "reopen",
            (IssueState.WITHDRAWN,),
            IssueState.ASSEMBLING,
            (PUBLISHER,),
            _("Reopen as draft"),
            needs_comment=True,
        ),
        Transition(
            "republish",
            (IssueState.WITHDRAWN,),
            IssueState.PUBLISHED,
            (PUBLISHER,),
            _("Republish"),
            needs_comment=True,
        ),
        # An imported back-catalogue issue is approved and published in one step.
        Transition(
            "publish_back_catalogue",
            (IssueState.ASSEMBLING,),
            IssueState.PUBLISHED,
            (PUBLISHER,),
            _("Published from the back catalogue"),
            in_admin=False,
            role_message=_("Only publishers may publish a back-catalogue issue."),
        ),
        # The scheduler releases a scheduled issue when its time has come; recorded as a
        # publish by whoever scheduled it.
        Transition(
            "release",
            (IssueState.SCHEDULED,),
            IssueState.PUBLISHED,
            (),
            _("Scheduled release"),
            system=True,
            in_admin=False,
            recorded_as="publish",
        ),
    )
}

# Issue transitions after which the public pages, renditions and deliveries follow.
PUBLISHING_TRANSITIONS = frozenset(
    {"publish", "release", "publish_back_catalogue", "correct", "republish"}
)

# Issue states in which its articles may still be edited.
ISSUE_EDITABLE_STATES = frozenset({IssueState.ASSEMBLING, IssueState.IN_REVIEW})
# Issue states in which its own details (number, date, title) may still be changed; once
# scheduled, published or withdrawn only the correction and withdraw transitions change it.
ISSUE_DETAILS_EDITABLE_STATES = ISSUE_EDITABLE_STATES | {IssueState.APPROVED}
# Issue states the public may see.
ISSUE_PUBLIC_STATES = frozenset({IssueState.PUBLISHED})
ALL_ISSUE_STATES = frozenset(IssueState.values)


# --- Who may do what ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who may take an action that is not a transition, and in which issue states.

    ``issue_states`` is None for actions that do not belong to one issue. Superusers may
    take every action, within the same states.
    """

    roles: tuple[str, ...]
    label: str
    issue_states: frozenset[str] | None = None
    state_message: str = ""  # why not in another state, when the generic reason says too little


ALL_STAFF = (EDITOR, REVIEWER, PUBLISHER)
_ISSUE_CLOSED = _("The issue is approved or published; its articles cannot be edited.")

PERMISSIONS: dict[str, Rule] = {
    # Issues and their articles.
    "issue.create": Rule((EDITOR,), _("Create an issue")),
    "issue.edit": Rule((EDITOR, PUBLISHER), _("Change an issue's details"),
                       ISSUE_DETAILS_EDITABLE_STATES),
    "article.create": Rule((EDITOR,), _("Add an article"), ISSUE_EDITABLE_STATES,
                           state_message=_ISSUE_CLOSED),
    "article.edit": Rule((EDITOR,), _("Edit an article"), ISSUE_EDITABLE_STATES,
                           state_message=_ISSUE_CLOSED),
    "article.arrange": Rule((EDITOR,), _("Arrange articles"), ISSUE_EDITABLE_STATES,
                           state_message=_ISSUE_CLOSED),
    "article.delete": Rule((EDITOR,), _("Delete a draft article"), ISSUE_EDITABLE_STATES),
    "article.tag": Rule((EDITOR,), _("Tag an article"), ISSUE_EDITABLE_STATES),
    "comment.add": Rule(ALL_STAFF, _("Comment on an article"), ALL_ISSUE_STATES),
    "comment.edit": Rule(ALL_STAFF, _("Change a comment"), ALL_ISSUE_STATES),
    "import_warning.resolve": Rule((EDITOR, REVIEWER), _("Resolve an import warning"),
                                   ISSUE_EDITABLE_STATES),
    # Key figures: values change while the issue is open; a status decided on a closed
    # issue stays (only a suggestion left open may still be confirmed or dismissed).
    "metric.edit": Rule((EDITOR,), _("Change a key figure"), ISSUE_EDITABLE_STATES),
    "metric.set_status": Rule((EDITOR, REVIEWER), _("Confirm or dismiss a key figure"),
                              ALL_ISSUE_STATES),
    "indicator.edit": Rule((EDITOR,), _("Change an indicator")),
    "tag.edit": Rule((EDITOR,), _("Change a tag")),
    # Settings and the audience.
    "bulletin.edit": Rule((PUBLISHER,), _("Change bulletin settings")),
    "audience.edit": Rule((PUBLISHER,), _("Change organisations and subscribers")),
    "subscription.edit": Rule((PUBLISHER,), _("Change a subscription")),
    "subscriber.see_emails": Rule((PUBLISHER,), _("See subscribers' e-mail addresses")),
    "api_token.manage": Rule((PUBLISHER,), _("Manage organisations' API tokens")),
    "delivery.manage": Rule((PUBLISHER,), _("Send or resend deliveries")),
}


def permits(action: str, *, roles: set[str], is_superuser: bool, issue_state: str | None = None
            ) -> bool:
    return refusal(action, roles=roles, is_superuser=is_superuser, issue_state=issue_state) is None


def refusal(action: str, *, roles: set[str], is_superuser: bool, issue_state: str | None = None
            ) -> str | None:
    """Why the action may not be taken, in the user's language; None if it may."""
    rule = PERMISSIONS[action]
    if not (is_superuser or roles & set(rule.roles)):
        return str(
            _("Only %(roles)s may “%(action)s”.")
            % {"roles": "、".join(rule.roles), "action": rule.label}
        )
    if rule.issue_states is not None and issue_state not in rule.issue_states:
        if rule.state_message:
            return str(rule.state_message)
        return str(
            _("“%(action)s” is not possible in an issue in this state.") % {"action": rule.label}
        )
    return None


def can_take(transition: Transition, *, state: str, roles: set[str], is_superuser: bool) -> bool:
    if transition.system:
        return False
    return state in transition.source and (is_superuser or bool(roles & set(transition.roles)))


def refusal_reason(
    transition: Transition, *, state: str, roles: set[str], is_superuser: bool
) -> str | None:
    """Why the transition may not be taken now, in the user's language; None if it may."""
    if transition.system:
        return str(_("“%(action)s” is taken by the system only.") % {"action": transition.label})
    if state not in transition.source:
        return str(_("“%(action)s” is not possible from this state.") % {"action": transition.label})
    if not (is_superuser or roles & set(transition.roles)):
        if transition.role_message:
            return str(transition.role_message)
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
        if t.in_admin and can_take(t, state=state, roles=roles, is_superuser=is_superuser)
    ]
