from django.contrib import admin

from editorial.import_formats import BulletinImportExportMixin
from editorial.models import Delivery, Organisation, Subscriber, Subscription
from editorial.resources import SubscriberResource


class SubscriberInline(admin.TabularInline):
    model = Subscriber
    extra = 0
    fields = ("name", "email", "language", "active")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "contact_email", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "contact_email")
    inlines = [SubscriberInline]


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ("bulletin", "formats", "starts_on", "ends_on", "cancelled_at")


@admin.register(Subscriber)
class SubscriberAdmin(BulletinImportExportMixin, admin.ModelAdmin):
    resource_classes = [SubscriberResource]
    list_display = ("email", "name", "organisation", "language", "active")
    list_filter = ("active", "language", "organisation")
    search_fields = ("email", "name", "organisation__name")
    list_select_related = ("organisation",)
    inlines = [SubscriptionInline]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("subscriber", "bulletin", "formats", "starts_on", "ends_on", "cancelled_at")
    list_filter = ("bulletin",)
    search_fields = ("subscriber__email", "subscriber__organisation__name")
    list_select_related = ("subscriber__organisation", "bulletin")
    filter_horizontal = ("sections",)
    raw_id_fields = ("subscriber",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("issue", "subscription", "kind", "state", "attempts", "sent_at", "last_error")
    list_filter = ("state", "kind", "issue__bulletin")
    search_fields = ("subscription__subscriber__email",)
    list_select_related = ("issue__bulletin", "subscription__subscriber")
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False
