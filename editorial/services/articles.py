"""Articles beyond the review workflow: deleting drafts and tagging.

Creating, editing, arranging and reverting live in services.reviewing with the trail.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from editorial.models import Article, Tag
from editorial.services.audit import record_action, save_recorded
from editorial.services.errors import ServiceError
from editorial.services.permissions import require_permission
from editorial.workflow import ArticleState


@transaction.atomic
def delete_article(*, article: Article, user) -> None:
    """Delete a draft article of an open issue. Its review events stay (their article
    link becomes empty) and the deletion is recorded with the article's title."""
    locked = Article.objects.select_for_update().select_related("issue").get(pk=article.pk)
    require_permission(user, "article.delete", issue_state=locked.issue.state)
    if locked.state != ArticleState.DRAFT:
        raise ServiceError(
            _("Only a draft article can be deleted; send it back to draft first."),
            code="not-draft",
        )
    events = list(locked.review_events.values_list("pk", flat=True))
    record_action(
        user=user, action="article.delete", obj=locked, issue=locked.issue,
        changes={"title": locked.title, "section": str(locked.section),
                 "position": locked.position, "review_events": events},
    )
    locked._change_reason = "deleted"
    locked.delete()


@transaction.atomic
def set_article_tags(*, article: Article, tags, user) -> Article:
    locked = Article.objects.select_for_update().select_related("issue").get(pk=article.pk)
    before = set(locked.tags.values_list("name", flat=True))
    after = {tag.name for tag in tags}
    if before == after:
        return locked
    require_permission(user, "article.tag", issue_state=locked.issue.state)
    locked.tags.set(list(tags))
    record_action(
        user=user, action="article.tag", obj=locked, issue=locked.issue,
        changes={"tags": [sorted(before), sorted(after)]},
    )
    return locked


@transaction.atomic
def save_tag(*, tag: Tag, user) -> Tag:
    require_permission(user, "tag.edit")
    return save_recorded(tag, user=user, action_prefix="tag")
