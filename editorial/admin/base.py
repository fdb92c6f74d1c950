"""The base of every editorial ModelAdmin: writes go through services, never around them.

Django's ModelAdmin saves and deletes rows itself. Here ``save_model``, ``delete_model``,
``delete_queryset``, ``save_related`` and ``save_formset`` only hand the decision to
hooks each admin defines by calling a service:

* ``save_service(request, obj, form, change)`` saves the object (default: refused);
* ``delete_service(request, obj)`` deletes one (only when ``deletes_objects`` is set);
* ``save_relations(request, obj, form, change)`` saves many-to-many fields;
* ``inline_services = {Model: "method name"}`` saves an inline formset.

Change and delete permission also follow the object's state (``object_open`` and
``object_deletable``), so a published issue's page is read-only whatever the user's
model permissions. Django's bulk "delete selected" action is removed everywhere; a
refusal from a service is shown as an error message and changes nothing. Each change
page shows the object's record of actions below the form.
"""

from __future__ import annotations

import json
import re

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse

from editorial import workflow
from editorial.links import preview_token_for
from editorial.models import AuditEntry, Issue
from editorial.sanitising import html_to_text
from editorial.services.errors import ServiceError

AUDIT_PANEL_ROWS = 50


class ServiceAdminMixin:
    inline_services: dict = {}
    deletes_objects = False

    # ------------------------------------------------------------------ hooks

    def save_service(self, request, obj, form, change):
        raise PermissionDenied  # an admin that saves defines how, through a service

    def delete_service(self, request, obj):
        raise PermissionDenied

    def save_relations(self, request, obj, form, change):
        """Many-to-many fields; an admin whose form has one defines how they are saved."""
        if any(name in form.changed_data for name in self._m2m_names(form)):
            raise PermissionDenied

    def object_open(self, request, obj) -> bool:
        """Whether the object's state still lets it change."""
        return True

    def object_deletable(self, request, obj) -> bool:
        return self.object_open(request, obj)

    # ------------------------------------------------------------------ Django's entry points

    def save_model(self, request, obj, form, change):
        saved = self.save_service(request, obj, form, change)
        if saved is not None and saved is not obj:
            obj.pk = saved.pk
            obj._state.adding = False

    def delete_model(self, request, obj):
        if not self.deletes_objects:
            raise PermissionDenied
        self.delete_service(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_related(self, request, form, formsets, change):
        self.save_relations(request, form.instance, form, change)
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change):
        method = self.inline_services.get(formset.model)
        if method is None:
            if formset.has_changed():
                raise PermissionDenied
            # Nothing saved; the change message Django writes reads these lists.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        getattr(self, method)(request, form, formset, change)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self.object_open(request, obj))

    def has_delete_permission(self, request, obj=None):
        if not self.deletes_objects:
            return False
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self.object_deletable(request, obj))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as exc:  # refused by a service after the form was valid
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.get_full_path().rsplit("delete/", 1)[0])

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            entries = list(audit_entries_of(obj)[:AUDIT_PANEL_ROWS])
            for entry in entries:
                entry.readable_changes = readable_changes(entry)
            context["audit_entries"] = entries
        return super().render_change_form(request, context, add, change, form_url, obj)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _m2m_names(form) -> list[str]:
        return [f.name for f in form._meta.model._meta.many_to_many if f.name in form.fields]

    @staticmethod
    def save_each(formset, *, save, delete=None):
        """Call ``save(instance)`` for each new or changed row, ``delete`` for each removed."""
        instances = formset.save(commit=False)
        if formset.deleted_objects and delete is None:
            raise PermissionDenied
        for obj in formset.deleted_objects:
            delete(obj)
        for obj in instances:
            save(obj)


def audit_entries_of(obj):
    """The record of one object (for an issue: also of everything done within it)."""
    condition = Q(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
    if isinstance(obj, Issue):
        condition |= Q(issue=obj)
    return AuditEntry.objects.filter(condition).select_related("actor").order_by("-created_at", "-id")


class ReadOnlyAdminMixin(ServiceAdminMixin):
    """For rows only services and workers write: nothing is added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PreviewOnSiteMixin:
    """“View on site” opens the public page once the issue is public, else the signed
    staff preview (the public page of an unpublished issue is a 404)."""

    def get_view_on_site_url(self, obj=None):
        if obj is None or not self.view_on_site:
            return None
        issue = obj if isinstance(obj, Issue) else getattr(obj, "issue", None)
        if issue is None or issue.state in workflow.ISSUE_PUBLIC_STATES:
            return super().get_view_on_site_url(obj)
        token = preview_token_for(issue)
        if isinstance(obj, Issue):
            return reverse("editorial:preview_issue", args=[token])
        return reverse("editorial:preview_article", args=[token, obj.pk])


_STATE_LABELS = {
    **{state.value: state.label for state in workflow.ArticleState},
    **{state.value: state.label for state in workflow.IssueState},
}


# Values holding markup (an article's or comment's body) are shown as their text.
_MARKUP = re.compile(r"<[A-Za-z/][^>]*>")
SHOWN_TEXT_CHARS = 200


def _readable_value(value):
    """Body HTML as the text a reader sees, shortened; lists and dicts value by value.
    The entry itself keeps the HTML (the CSV export has it whole)."""
    if isinstance(value, str) and _MARKUP.search(value):
        text = " ".join(html_to_text(value, separator=" ").split())
        return text if len(text) <= SHOWN_TEXT_CHARS else text[:SHOWN_TEXT_CHARS] + "…"
    if isinstance(value, list):
        return [_readable_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _readable_value(item) for key, item in value.items()}
    return value


def readable_changes(entry) -> str:
    """The entry's changes as JSON for the admin's record panels: workflow states by their
    names (the entry keeps the codes), bodies as their text."""
    changes = entry.changes
    if isinstance(changes, dict) and isinstance(changes.get("state"), list):
        changes = {**changes, "state": [str(_STATE_LABELS.get(v, v)) if isinstance(v, str)
                                        else v for v in changes["state"]]}
    if not changes:
        return ""
    return json.dumps(_readable_value(changes), ensure_ascii=False, cls=DjangoJSONEncoder)
