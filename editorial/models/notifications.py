"""Workflow notifications waiting for the daily digest (NOTIFICATION_DIGEST = "daily")."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PendingNotification(models.Model):
    """One item of a person's next digest e-mail; ``sent_at`` is set when it went out.

    The title and issue are copied so that the digest still reads right when the article
    is renamed or deleted before the digest is sent.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_notifications",
        verbose_name=_("recipient"),
    )
    action = models.CharField(_("action"), max_length=40)
    article = models.ForeignKey(
        "editorial.Article", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("article"),
    )
    title = models.CharField(_("title"), max_length=300)
    issue_title = models.CharField(_("issue"), max_length=300, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending notification")
        verbose_name_plural = _("pending notifications")
        indexes = [models.Index(fields=["sent_at", "recipient"], name="notification_unsent_idx")]

    def __str__(self) -> str:
        return f"{self.recipient_id} · {self.action} · {self.title}"
