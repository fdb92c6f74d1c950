"""Comments on articles: adding, changing (by their author or a reviewer), deleting."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from editorial.models import Article, Comment
from editorial.services.audit import diff, record_action
from editorial.services.errors import PermissionRefused, ServiceError
from editorial.services.permissions import is_superuser, require_permission, user_roles
from editorial.workflow import REVIEWER


def _may_change(comment: Comment, user) -> bool:
    return comment.author_id == user.pk or is_superuser(user) or REVIEWER in user_roles(user)


@transaction.atomic
def add_comment(*, article: Article, user, body: str, resolved: bool = False) -> Comment:
    require_permission(user, "comment.add", issue_state=article.issue.state)
    if not body.strip():
        raise ServiceError(_("A comment needs some text."), code="empty-comment")
    comment = Comment.objects.create(article=article, author=user, body=body, resolved=resolved)
    record_action(user=user, action="comment.add", obj=comment, issue=article.issue,
                  changes={"article": article.title, "body": body})
    return comment


@transaction.atomic
def update_comment(*, comment: Comment, user, body: str, resolved: bool) -> Comment:
    locked = Comment.objects.select_for_update().select_related("article__issue").get(
        pk=comment.pk
    )
    require_permission(user, "comment.edit", issue_state=locked.article.issue.state)
    if not _may_change(locked, user):
        raise PermissionRefused(_("Only its author or a reviewer may change a comment."))
    changes = diff({"body": locked.body, "resolved": locked.resolved},
                   {"body": body, "resolved": resolved})
    if not changes:
        return locked
    locked.body, locked.resolved = body, resolved
    locked.save(update_fields=["body", "resolved"])
    record_action(user=user, action="comment.edit", obj=locked, issue=locked.article.issue,
                  changes=changes)
    return locked


@transaction.atomic
def delete_comment(*, comment: Comment, user) -> None:
    locked = Comment.objects.select_for_update().select_related("article__issue").get(
        pk=comment.pk
    )
    require_permission(user, "comment.edit", issue_state=locked.article.issue.state)
    if not _may_change(locked, user):
        raise PermissionRefused(_("Only its author or a reviewer may change a comment."))
    record_action(user=user, action="comment.delete", obj=locked, issue=locked.article.issue,
                  changes={"article": locked.article.title, "body": locked.body})
    locked.delete()
