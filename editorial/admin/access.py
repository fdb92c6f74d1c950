"""Who read what beyond the public: the access log and subscribers' sign-ins (read-only).

Both name subscribers, so they are for those who may see subscribers' addresses; rows
are written by editorial.selectors.access / signing_in only and deleted by the retention
sweep (editorial.services.retention).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from editorial.admin.audience import AudienceAdminMixin
from editorial.admin.base import ReadOnlyAdminMixin
from editorial.models import AccessLogEntry, SubscriberSignIn


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(AudienceAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "organisation", "who", "channel", "resource", "issue", "status_code")
    list_filter = ("channel", "organisation", ("at", admin.DateFieldListFilter), "status_code")
    date_hierarchy = "at"
    search_fields = ("subscriber__email", "organisation__name", "resource")
    list_select_related = ("organisation", "subscriber", "api_token", "issue__bulletin")
    readonly_fields = [f.name for f in AccessLogEntry._meta.fields]

    @admin.display(description=_("subscriber or token"))
    def who(self, obj):
        return obj.subscriber or obj.api_token or "-"


@admin.register(SubscriberSignIn)
class SubscriberSignInAdmin(AudienceAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("signed_in_at", "subscriber", "organisation", "method")
    list_filter = ("method", "organisation", ("signed_in_at", admin.DateFieldListFilter))
    date_hierarchy = "signed_in_at"
    search_fields = ("subscriber__email", "organisation__name")
    list_select_related = ("subscriber", "organisation")
    readonly_fields = [f.name for f in SubscriberSignIn._meta.fields]
