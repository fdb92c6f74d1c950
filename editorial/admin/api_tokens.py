"""Organisations' API tokens: created (the plain value shown once), listed, revoked.

For publishers and superusers only (workflow PERMISSIONS "api_token.manage"). The digest
is never shown; the prefix tells tokens apart. A token is never edited: a wrong or lost
one is revoked and a new one created.
"""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from editorial.admin.base import ServiceAdminMixin
from editorial.models import ApiToken, Organisation
from editorial.services import api_tokens
from editorial.services.errors import ServiceError
from editorial.services.permissions import may

SHOWN_FIELDS = (
    "organisation", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at",
)


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("organisation", "name")


class RevokedFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "revoked"

    def lookups(self, request, model_admin):
        return [("no", _("In use")), ("yes", _("Revoked"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = ApiTokenForm
    list_display = (
        "name", "organisation", "shown_prefix", "created_by", "created_at", "last_used_at",
        "revoked_at",
    )
    list_filter = (RevokedFilter, "organisation")
    search_fields = ("name", "prefix", "organisation__name")
    list_select_related = ("organisation", "created_by")
    actions = ["revoke_selected"]

    # --- who: publishers and superusers, whatever their model permissions

    def _may_manage(self, request) -> bool:
        return may(request.user, "api_token.manage")

    def has_module_permission(self, request):
        return self._may_manage(request)

    def has_view_permission(self, request, obj=None):
        return self._may_manage(request)

    def has_add_permission(self, request):
        return self._may_manage(request)

    def has_change_permission(self, request, obj=None):
        return False  # tokens are never edited, only revoked

    def has_manage_permission(self, request):
        return self._may_manage(request)

    # --- the pages

    def get_fields(self, request, obj=None):
        return ("organisation", "name") if obj is None else SHOWN_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else SHOWN_FIELDS

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation":
            kwargs["queryset"] = Organisation.objects.filter(active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("prefix"), ordering="prefix")
    def shown_prefix(self, obj):
        return f"{obj.prefix}…"

    # --- writes, through the service

    def save_service(self, request, obj, form, change):
        issued = api_tokens.create_api_token(
            organisation=form.cleaned_data["organisation"],
            name=form.cleaned_data["name"],
            actor=request.user,
        )
        request._issued_api_token = issued
        return issued.token

    def response_add(self, request, obj, post_url_continue=None):
        issued = getattr(request, "_issued_api_token", None)
        if issued is None:
            return super().response_add(request, obj, post_url_continue)
        # The plain token goes out in this one page, never into messages or the session.
        response = TemplateResponse(
            request,
            "admin/editorial/apitoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("API token created"),
                "token": issued.token,
                "plain": issued.plain,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the selected tokens"), permissions=["manage"])
    def revoke_selected(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                api_tokens.revoke_api_token(token=token, actor=request.user)
            except ServiceError as exc:
                messages.error(request, str(exc))
                return
            revoked += 1
        messages.success(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked)
            % {"count": revoked},
        )
