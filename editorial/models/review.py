"""The review trail: every transition and comment is a row."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from editorial import workflow

from .content import Article
from .publication import Issue

# Recorded actions that are not workflow transitions.
EXTRA_ACTION_LABELS = {
    "create": _("Created"),
    "edited": _("Edited after review"),
    "revert": _("Reverted"),
    "arrange": _("Articles rearranged"),
    "publish_back_catalogue": _("Published from the back catalogue"),
    "merge": _("Articles merged"),
    "split": _("Article split"),
}


class ReviewEvent(models.Model):
    """Who moved what from which state to which, when, and why.

    At most one of ``article`` and ``issue`` is set (a database check says so); exactly one
    is set when written. Deleting content keeps its events: the link becomes NULL and the
    deletion's audit entry names the events it leaves behind.
    """

    article = models.ForeignKey(
        Article,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="review_events",
        verbose_name=_("article"),
    )
    issue = models.ForeignKey(
        Issue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="review_events",
        verbose_name=_("issue"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(article__isnull=False, issue__isnull=False),
                name="review_event_at_most_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action_label}：{self.from_label} → {self.to_label}"

    @property
    def _transitions(self):
        return workflow.ARTICLE_TRANSITIONS if self.article_id else workflow.ISSUE_TRANSITIONS

    @property
    def _states(self):
        return workflow.ArticleState if self.article_id else workflow.IssueState

    @property
    def action_label(self) -> str:
        transition = self._transitions.get(self.action)
        if transition is not None:
            return str(transition.label)
        return str(EXTRA_ACTION_LABELS.get(self.action, self.action))

    @property
    def from_label(self) -> str:
        return self._state_label(self.from_state)

    @property
    def to_label(self) -> str:
        return self._state_label(self.to_state)

    def _state_label(self, value: str) -> str:
        try:
            return str(self._states(value).label)
        except ValueError:
            return value or "—"


class Comment(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="comments", verbose_name=_("article")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"))
    resolved = models.BooleanField(_("resolved"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:40]
