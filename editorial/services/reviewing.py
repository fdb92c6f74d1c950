"""Review: moving articles and issues through their states, with a trail.

Every transition is checked against editorial.workflow (state and role), written
with the row locked, and recorded as a ReviewEvent — whoever calls it.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial import workflow
from editorial.models import Article, ImportWarning, Issue, ReviewEvent
from editorial.services.audit import diff, field_values, record_action
from editorial.services.errors import PermissionRefused, ServiceError
from editorial.services.metrics import set_metric_status  # noqa: F401  (callers import it here)
from editorial.services.notifying import digest, queue_article_notification
from editorial.services.permissions import (
    require_permission,
    require_transition,
    user_roles,  # noqa: F401  (callers import it here)
)
from editorial.workflow import ArticleState

logger = logging.getLogger(__name__)


class ConcurrentEditError(ServiceError):
    """Someone saved the article since this editor opened it."""

    def __init__(self, message, *, current: Article):
        super().__init__(message, code="concurrent-edit")
        self.current = current


def record_review_event(
    *, actor, action: str, from_state: str, to_state: str, comment: str = "",
    article: Article | None = None, issue: Issue | None = None,
) -> ReviewEvent:
    return ReviewEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        article=article,
        issue=issue,
    )


def _check(transition: workflow.Transition, *, state: str, user, comment: str) -> None:
    require_transition(transition, user, state=state)
    if transition.needs_comment and not comment.strip():
        raise ServiceError(_("Please say why in the comment."), code="comment-required")


def _transition(transitions: dict, action: str) -> workflow.Transition:
    try:
        return transitions[action]
    except KeyError as exc:
        raise ServiceError(_("Unknown action “%(action)s”.") % {"action": action}) from exc


# --- Articles ---------------------------------------------------------------------------


@transaction.atomic
def transition_article(*, article: Article, action: str, user, comment: str = "") -> Article:
    transition = _transition(workflow.ARTICLE_TRANSITIONS, action)
    locked = Article.objects.select_for_update().select_related("issue").get(pk=article.pk)
    _check(transition, state=locked.state, user=user, comment=comment)
    if (
        action in ("approve", "request_changes")
        and locked.created_by_id == user.pk
        and not user.is_superuser
    ):
        raise PermissionRefused(_("Reviewers may not review their own articles."))
    if locked.issue.state not in workflow.ISSUE_EDITABLE_STATES:
        raise ServiceError(_("The issue is no longer open for review of its articles."))
    from_state = locked.state
    locked.state = transition.target
    locked.version = F("version") + 1
    locked.save(update_fields=["state", "version", "updated_at"])
    locked.refresh_from_db(fields=["version"])
    record_review_event(
        actor=user, action=action, from_state=from_state, to_state=transition.target,
        comment=comment, article=locked,
    )
    changes = {"state": [from_state, transition.target]}
    if comment:
        changes["comment"] = comment
    record_action(user=user, action=f"article.{action}", obj=locked, issue=locked.issue,
                  changes=changes)
    queue_article_notification(article_id=locked.pk, action=action)  # mailed after commit
    article.state, article.version = locked.state, locked.version
    return locked


def transition_articles(
    *, articles, action: str, user, comment: str = ""
) -> tuple[list[Article], list[tuple[Article, ServiceError]]]:
    """Move many articles at once (a bulk action): each in its own transaction, so one
    refusal stops none of the others, and one e-mail per person for all of them.

    Returns the articles moved and the (article, refusal) pairs of those that were not.
    """
    done, refused = [], []
    with digest():
        for article in articles:
            try:
                done.append(transition_article(article=article, action=action, user=user,
                                               comment=comment))
            except ServiceError as exc:
                refused.append((article, exc))
    return done, refused


def submit_article(*, article: Article, user, comment: str = "") -> Article:
    return transition_article(article=article, action="submit", user=user, comment=comment)


def approve_article(*, article: Article, user, comment: str = "") -> Article:
    return transition_article(article=article, action="approve", user=user, comment=comment)


def request_article_changes(*, article: Article, user, comment: str) -> Article:
    return transition_article(article=article, action="request_changes", user=user, comment=comment)


EDITABLE_ARTICLE_FIELDS = (
    "section", "position", "title", "subtitle", "source", "source_url", "author",
    "original_date", "summary", "body",
)


def save_article(*, article: Article, changes: dict, user, expected_version: int) -> Article:
    """Save an editor's changes unless someone else saved the article meanwhile.

    ``expected_version`` is the version the editor's form was opened at. The update
    is conditional on it, so two saves racing cannot both succeed. Editing an
    approved or submitted article sends it back to draft, recorded in the trail.
    """
    return _save_article(
        article=article, changes=changes, user=user, expected_version=expected_version,
        action="article.edit",
    )


@transaction.atomic
def _save_article(*, article: Article, changes: dict, user, expected_version: int, action: str,
                  note: str = "") -> Article:
    locked = Article.objects.select_for_update().select_related("issue").get(pk=article.pk)
    require_permission(user, "article.edit", issue_state=locked.issue.state)
    if locked.version != expected_version:
        raise ConcurrentEditError(
            _("Someone else saved this article while you were editing it. Your text is kept "
              "below; compare it with the current version and save again."),
            current=locked,
        )
    unknown = set(changes) - set(EDITABLE_ARTICLE_FIELDS)
    if unknown:
        raise ServiceError(f"Not editable: {sorted(unknown)}")
    before = field_values(locked, list(changes))
    for field, value in changes.items():
        setattr(locked, field, value)
    changed = diff(before, field_values(locked, list(changes)))
    from_state = locked.state
    reopened = from_state in (ArticleState.APPROVED, ArticleState.SUBMITTED) and changes
    if reopened:
        locked.state = ArticleState.DRAFT
    locked.version = expected_version + 1
    locked._change_reason = "edited"
    locked.full_clean(exclude=["issue", "created_by"])
    locked.save()
    if reopened:
        record_review_event(
            actor=user, action="edited", from_state=from_state, to_state=ArticleState.DRAFT,
            comment=_("Edited after review; back to draft."), article=locked,
        )
        changed["state"] = [from_state, ArticleState.DRAFT]
    if note:
        changed["note"] = note
    record_action(user=user, action=action, obj=locked, issue=locked.issue, changes=changed)
    return locked


# --- Issues -----------------------------------------------------------------------------


@transaction.atomic
def resolve_import_warning(*, warning: ImportWarning, user) -> ImportWarning:
    require_permission(user, "import_warning.resolve", issue_state=warning.issue.state)
    warning.resolved = True
    warning.resolved_by = user
    warning.resolved_at = timezone.now()
    warning.save(update_fields=["resolved", "resolved_by", "resolved_at"])
    record_action(
        user=user, action="import_warning.resolve", obj=warning, issue=warning.issue,
        changes={"resolved": [False, True], "code": warning.code, "line": warning.line},
    )
    return warning


@transaction.atomic
def create_article(*, issue: Issue, user, **fields) -> Article:
    locked = Issue.objects.select_for_update().get(pk=issue.pk)
    require_permission(user, "article.create", issue_state=locked.state)
    unknown = set(fields) - set(EDITABLE_ARTICLE_FIELDS)
    if unknown:
        raise ServiceError(f"Not editable: {sorted(unknown)}")
    if not fields.get("position"):
        last = locked.articles.filter(section=fields["section"]).order_by("-position").first()
        fields["position"] = (last.position if last else 0) + 1
    article = Article(issue=locked, created_by=user, **fields)
    article.full_clean(exclude=["created_by"])
    article.save()
    record_review_event(
        actor=user, action="create", from_state="", to_state=article.state, article=article
    )
    record_action(user=user, action="article.create", obj=article, issue=locked,
                  changes=diff({}, field_values(article, list(fields))))
    return article


@transaction.atomic
def arrange_articles(*, issue: Issue, layout: dict[int, list[int]], user) -> None:
    """Put the issue's articles in the given sections and order: {section_id: [article_id]}.

    Every article of the issue must appear exactly once. Positions are rewritten in two
    steps (out of the way, then final) so the unique (issue, section, position)
    constraint holds after every statement.
    """
    locked = Issue.objects.select_for_update().get(pk=issue.pk)
    require_permission(user, "article.arrange", issue_state=locked.state)
    articles = {a.pk: a for a in Article.objects.select_for_update().filter(issue=locked)}
    placed = [article_id for ids in layout.values() for article_id in ids]
    if sorted(placed) != sorted(articles):
        raise ServiceError(
            _("The arrangement is out of date: articles were added or removed meanwhile. "
              "Reload the page."),
            code="stale-layout",
        )
    sections = set(locked.bulletin.sections.values_list("pk", flat=True))
    if not set(layout) <= sections:
        raise ServiceError(_("This section belongs to another bulletin."))
    offset = 1 + max((a.position for a in articles.values()), default=0) + len(articles)
    Article.objects.filter(issue=locked).update(position=F("position") + offset)
    for section_id, ids in layout.items():
        for position, article_id in enumerate(ids, start=1):
            article = articles[article_id]
            moved = article.section_id != section_id or article.position != position
            Article.objects.filter(pk=article_id).update(
                section_id=section_id,
                position=position,
                version=F("version") + (1 if moved else 0),
            )
    record_review_event(
        actor=user, action="arrange", from_state=locked.state, to_state=locked.state,
        comment=_("Articles rearranged"), issue=locked,
    )
    record_action(user=user, action="article.arrange", obj=locked,
                  changes={"layout": {str(k): v for k, v in layout.items()}})


@transaction.atomic
def revert_article(*, article: Article, history_id: int, user) -> Article:
    """Bring back an earlier revision's text; the revert is itself a revision and an event."""
    record = article.history.filter(history_id=history_id).first()
    if record is None:
        raise ServiceError(_("No such revision of this article."))
    changes = {
        field: getattr(record, field)
        for field in EDITABLE_ARTICLE_FIELDS
        if field not in ("section", "position")
    }
    current = Article.objects.get(pk=article.pk)
    when = timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")
    saved = _save_article(
        article=current, changes=changes, user=user, expected_version=current.version,
        action="article.revert", note=when,
    )
    record_review_event(
        actor=user, action="revert", from_state=saved.state, to_state=saved.state,
        comment=_("Reverted to the revision of %(when)s") % {"when": when},
        article=saved,
    )
    return saved
