"""Editing articles in the admin safely: concurrent-edit detection and revisions.

The form remembers the version (and the revision) the editor started from. When
someone else saved meanwhile, the save is refused, the editor's text stays in the
form, and the differences saved meanwhile are shown beside it.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from editorial.admin.body_editor import BodyEditorWidget
from editorial.admin.revisions import field_changes
from editorial.models import Article
from editorial.services import reviewing
from editorial.services.errors import ServiceError
from editorial.services.reviewing import EDITABLE_ARTICLE_FIELDS


def article_field_labels() -> dict[str, str]:
    return {
        name: str(Article._meta.get_field(name).verbose_name)
        for name in EDITABLE_ARTICLE_FIELDS
        if name not in ("position",)
    }


def article_values(obj) -> dict:
    values = {name: getattr(obj, name, None) for name in EDITABLE_ARTICLE_FIELDS}
    values["section"] = getattr(obj, "section", None)
    return values


class ArticleAdminForm(forms.ModelForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Article
        fields = ["issue", *EDITABLE_ARTICLE_FIELDS, "tags"]
        widgets = {"body": BodyEditorWidget}
        help_texts = {
            "body": gettext_lazy(
                "Paragraphs, subheadings, lists, links, tables and where each figure stands, "
                "as readers will see them; anything else is removed when saved."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.concurrent_changes = []
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
            latest = self.instance.history.order_by("-history_id").first()
            self.fields["base_revision"].initial = latest.history_id if latest else None

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        current = Article.objects.get(pk=self.instance.pk)
        if cleaned.get("expected_version") == current.version:
            return cleaned
        base = self.instance.history.filter(history_id=cleaned.get("base_revision")).first()
        before = article_values(base) if base else {}
        self.concurrent_changes = field_changes(
            before, article_values(current), article_field_labels()
        )
        # From here the editor has seen the other changes: saving again is their call.
        self.data = self.data.copy()
        if base is not None:
            self._take_untouched_changes(base, current, cleaned)
        self.data[self.add_prefix("expected_version")] = current.version
        latest = current.history.order_by("-history_id").first()
        self.data[self.add_prefix("base_revision")] = latest.history_id if latest else ""
        raise forms.ValidationError(
            _("Someone else saved this article while you were editing it. Your text is kept "
              "below; compare it with the current version and save again."),
            code="concurrent-edit",
        )


    def _take_untouched_changes(self, base, current, cleaned) -> None:
        """Fields this editor left alone take the value saved meanwhile, so saving again
        only writes what they really changed."""
        for change in self.concurrent_changes:
            name = change.field
            if name not in self.fields:
                continue
            base_value, mine = getattr(base, name), cleaned.get(name)
            if name == "section":
                base_value, mine = getattr(base, "section_id", None), getattr(mine, "pk", None)
            if (base_value or "") == (mine or ""):
                value = getattr(current, name)
                self.data[self.add_prefix(name)] = getattr(value, "pk", value) or ""


# Why a revision was made (simple_history's change reason, a code the services write).
REVISION_REASONS = {
    "edited": gettext_lazy("Edited"),
    "deleted": gettext_lazy("Deleted"),
    "merged": gettext_lazy("Merged with another article"),
    "split": gettext_lazy("Split at a subheading"),
}


def _revision_label(record, side: str) -> str:
    when = timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")
    who = record.history_user.get_username() if record.history_user else "—"
    template = _("Older: %(when)s, %(who)s") if side == "older" else _("Newer: %(when)s, %(who)s")
    return template % {"when": when, "who": who}


class ArticleRevisionsMixin:
    """A revisions page: compare any two revisions; revert to one (recorded)."""

    def get_urls(self):
        return [
            path(
                "<int:object_id>/revisions/",
                self.admin_site.admin_view(self.revisions_view),
                name="editorial_article_revisions",
            ),
            path(
                "<int:object_id>/revisions/<int:history_id>/revert/",
                self.admin_site.admin_view(self.revert_view),
                name="editorial_article_revert",
            ),
        ] + super().get_urls()

    def revisions_view(self, request, object_id: int):
        article = get_object_or_404(Article, pk=object_id)
        if not self.has_view_permission(request, article):
            raise PermissionDenied
        records = list(article.history.select_related("history_user").order_by("-history_id"))
        by_id = {r.history_id: r for r in records}
        for record in records:
            reason = record.history_change_reason or ""
            record.reason_label = REVISION_REASONS.get(reason, reason)
        changes, labels = [], {}
        older, newer = request.GET.get("a", ""), request.GET.get("b", "")
        older = int(older) if older.isdigit() else None
        newer = int(newer) if newer.isdigit() else None
        if older in by_id and newer in by_id:
            changes = field_changes(
                article_values(by_id[older]),
                article_values(by_id[newer]),
                article_field_labels(),
            )
            labels = {
                f"{side}_label": _revision_label(by_id[history_id], side)
                for side, history_id in (("older", older), ("newer", newer))
            }
        context = {
            **self.admin_site.each_context(request),
            "title": _("Revisions of “%(title)s”") % {"title": article.title},
            "opts": self.opts,
            "original": article,
            "records": records,
            "changes": changes,
            "compared": (older, newer),
            **labels,
            "can_revert": self.has_change_permission(request, article),
        }
        return TemplateResponse(request, "admin/editorial/article/revisions.html", context)

    def revert_view(self, request, object_id: int, history_id: int):
        article = get_object_or_404(Article, pk=object_id)
        if request.method != "POST" or not self.has_change_permission(request, article):
            raise PermissionDenied
        try:
            reviewing.revert_article(article=article, history_id=history_id, user=request.user)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The article was reverted; the revert is recorded."))
        return redirect(reverse("admin:editorial_article_change", args=[article.pk]))
