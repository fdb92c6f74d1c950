"""The record of actions: one row for every write a service makes, whoever calls it.

Rows outlive what they are about: the object is named by content type and id (plus a
short description), and the issue link is set to NULL when the issue goes, so "who did
what to this issue" is answered from one table.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from .publication import Issue

# Every action code a service records, with its label for the admin (never the raw code).
ACTION_LABELS = {
    "issue.create": _("Issue created"),
    "issue.edit": _("Issue details changed"),
    "issue.submit": _("Issue submitted for review"),
    "issue.approve": _("Issue approved"),
    "issue.request_changes": _("Changes requested on the issue"),
    "issue.schedule": _("Issue scheduled"),
    "issue.unschedule": _("Issue schedule cancelled"),
    "issue.publish": _("Issue published"),
    "issue.release": _("Issue released as scheduled"),
    "issue.publish_back_catalogue": _("Issue published from the back catalogue"),
    "issue.correct": _("Correction published"),
    "issue.withdraw": _("Issue withdrawn"),
    "issue.rerender": _("Renditions queued again"),
    "article.create": _("Article created"),
    "article.edit": _("Article edited"),
    "article.revert": _("Article reverted to an earlier revision"),
    "article.arrange": _("Articles rearranged"),
    "article.merge": _("Article merged into the one before it"),
    "article.split": _("Article split at a subheading"),
    "article.submit": _("Article submitted for review"),
    "article.approve": _("Article approved"),
    "article.request_changes": _("Changes requested on the article"),
    "article.reopen": _("Article back to draft"),
    "article.delete": _("Article deleted"),
    "article.tag": _("Article tags changed"),
    "figure.create": _("Figure added"),
    "figure.edit": _("Figure caption or position changed"),
    "figure.attach_image": _("Image attached to a figure"),
    "figure.choose_chart": _("Indicator chart chosen for a figure"),
    "figure.clear": _("Image or chart taken off a figure"),
    "figure.delete": _("Figure deleted"),
    "comment.add": _("Comment added"),
    "comment.edit": _("Comment changed"),
    "comment.delete": _("Comment deleted"),
    "tag.create": _("Tag created"),
    "tag.edit": _("Tag changed"),
    "bulletin.create": _("Bulletin created"),
    "bulletin.edit": _("Bulletin settings changed"),
    "section.create": _("Section created"),
    "section.edit": _("Section changed"),
    "section.delete": _("Section deleted"),
    "organisation.create": _("Organisation created"),
    "organisation.edit": _("Organisation changed"),
    "subscriber.create": _("Subscriber created"),
    "subscriber.edit": _("Subscriber changed"),
    "subscription.create": _("Subscription created"),
    "subscription.edit": _("Subscription changed"),
    "subscription.delete": _("Subscription deleted"),
    "delivery.requeue": _("Failed deliveries queued again"),
    "api_token.create": _("API token created"),
    "api_token.revoke": _("API token revoked"),
    "indicator.create": _("Indicator created"),
    "indicator.edit": _("Indicator changed"),
    "metric.create": _("Key figure added"),
    "metric.edit": _("Key figure changed"),
    "metric.set_status": _("Key figure confirmed or dismissed"),
    "import_warning.resolve": _("Import warning resolved"),
    "import_job.fail": _("Import failed"),
}


class AuditEntry(models.Model):
    """Who did what, when, to which object, and what changed (a small JSON)."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=40, db_index=True)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kind of object"),
    )
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    issue = models.ForeignKey(
        Issue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("issue"),
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("record of actions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action_label}：{self.object_repr}"

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def changes_text(self) -> str:
        """The changes as readable JSON (Chinese kept as written)."""
        if not self.changes:
            return ""
        return json.dumps(self.changes, ensure_ascii=False, cls=DjangoJSONEncoder)
