"""The record of actions in the admin: a filterable list, read-only, exportable as CSV."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from editorial.admin.base import ReadOnlyAdminMixin, readable_changes
from editorial.models import AuditEntry
from editorial.models.audit import ACTION_LABELS
from editorial.tables.writing import stream_csv


class ActionFilter(admin.SimpleListFilter):
    """Actions by their labels, never their codes."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return sorted(((code, label) for code, label in ACTION_LABELS.items()),
                      key=lambda item: item[0])

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(action=value) if value else queryset


class ObjectKindFilter(admin.SimpleListFilter):
    title = _("kind of object")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        used = AuditEntry.objects.values_list("content_type", flat=True).distinct()
        return [(str(ct.pk), ct.model_class()._meta.verbose_name if ct.model_class() else ct.model)
                for ct in ContentType.objects.filter(pk__in=used)]

    def queryset(self, request, queryset):
        value = self.value() or ""
        return queryset.filter(content_type_id=value) if value.isdigit() else queryset


@admin.action(description=_("Export the selected entries as CSV"))
def export_audit_csv(modeladmin, request, queryset):
    entries = queryset.select_related("actor", "issue__bulletin", "content_type").order_by(
        "created_at", "id"
    )
    headers = [_("when"), _("by"), _("action"), _("kind of object"), _("object id"),
               _("object"), _("issue"), _("changes")]
    rows = (
        (
            timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor.get_username() if e.actor else "",
            e.action_label,
            e.content_type.name if e.content_type else "",
            e.object_id if e.object_id is not None else "",
            e.object_repr,
            str(e.issue) if e.issue else "",
            e.changes_text,
        )
        for e in entries.iterator(chunk_size=2000)
    )
    response = StreamingHttpResponse(stream_csv(headers=headers, rows=rows),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="record-of-actions.csv"'
    return response


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who did what: rows are written by the services only."""

    actions = [export_audit_csv]
    list_display = ("created_at", "actor", "action_display", "object_repr", "issue")
    list_filter = (ActionFilter, ObjectKindFilter, "actor", "issue__bulletin")
    search_fields = ("object_repr", "actor__username", "issue__title")
    list_select_related = ("actor", "issue__bulletin")
    date_hierarchy = "created_at"
    fields = ("created_at", "actor", "action_display", "content_type", "object_id",
              "object_repr", "issue", "changes_display")
    readonly_fields = fields

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, entry):
        return entry.action_label

    @admin.display(description=_("changes"))
    def changes_display(self, entry):
        return readable_changes(entry)

