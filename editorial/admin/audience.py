"""Organisations, subscribers, subscriptions and deliveries.

Subscribers' e-mail addresses are personal data: these lists are for publishers only
(editors and reviewers see an issue's delivery counts on its delivery report).
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from editorial.admin.base import ReadOnlyAdminMixin, ServiceAdminMixin
from editorial.admin.table_importing import BulletinImportExportMixin
from editorial.models import Delivery, Organisation, Subscriber, Subscription
from editorial.services import audience, signing_in
from editorial.services.permissions import may
from editorial.tables.resources import SubscriberResource


class AudienceAdminMixin:
    """Shown to those who may see subscribers' addresses only."""

    def _may_see(self, request) -> bool:
        return may(request.user, "subscriber.see_emails")

    def has_module_permission(self, request):
        return self._may_see(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may_see(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._may_see(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._may_see(request) and super().has_change_permission(request, obj)


class SubscriberInline(AudienceAdminMixin, admin.TabularInline):
    model = Subscriber
    extra = 0
    fields = ("name", "email", "language", "active")
    can_delete = False


@admin.register(Organisation)
class OrganisationAdmin(AudienceAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "contact_email", "active", "seats", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "contact_email")
    fields = ("name", "contact_email", "active", "seat_limit", "seats", "notes")
    readonly_fields = ("seats",)
    inlines = [SubscriberInline]
    inline_services = {Subscriber: "save_subscribers"}

    def get_queryset(self, request):
        # Seats used: distinct people signed in within the seat period, in one query.
        since = timezone.now() - signing_in.seat_period()
        return super().get_queryset(request).annotate(
            _seats_used=Count(
                "sign_ins__subscriber",
                filter=Q(sign_ins__signed_in_at__gte=since),
                distinct=True,
            )
        )

    @admin.display(description=_("seats used / limit"))
    def seats(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        used = getattr(obj, "_seats_used", None)
        if used is None:
            used = signing_in.seats_used(obj)
        limit = obj.seat_limit if obj.seat_limit is not None else _("no limit")
        return _("%(used)s / %(limit)s in the last %(days)s days") % {
            "used": used, "limit": limit, "days": settings.BULLETIN_SEAT_PERIOD_DAYS,
        }

    def save_service(self, request, obj, form, change):
        return audience.save_organisation(organisation=obj, user=request.user)

    def save_subscribers(self, request, form, formset, change):
        self.save_each(
            formset,
            save=lambda subscriber: audience.save_subscriber(subscriber=subscriber,
                                                             user=request.user),
        )


class FormatsField(forms.TypedMultipleChoiceField):
    """The delivery formats as checkboxes with their names; stored as the JSON list."""

    def __init__(self, **kwargs):
        for name in ("encoder", "decoder", "max_length"):
            kwargs.pop(name, None)
        kwargs.update(choices=Subscription.Format.choices, widget=forms.CheckboxSelectMultiple,
                      required=False, coerce=str)
        super().__init__(**kwargs)
        self.help_text = ""

    def prepare_value(self, value):
        return value or []

    def has_changed(self, initial, data):
        return sorted(initial or []) != sorted(data or [])


class SubscriptionForm(forms.ModelForm):
    formats = FormatsField(label=_("formats"))

    class Meta:
        model = Subscription
        fields = ("formats",)  # the admin names the rest

    def clean_formats(self):
        chosen = set(self.cleaned_data.get("formats") or [])
        return [value for value in Subscription.Format.values if value in chosen]


class SubscriptionInline(AudienceAdminMixin, admin.TabularInline):
    model = Subscription
    form = SubscriptionForm
    extra = 0
    fields = ("bulletin", "formats", "starts_on", "ends_on", "cancelled_at")
    can_delete = False


@admin.register(Subscriber)
class SubscriberAdmin(
    AudienceAdminMixin, ServiceAdminMixin, BulletinImportExportMixin, admin.ModelAdmin
):
    resource_classes = [SubscriberResource]
    list_display = ("email", "name", "organisation", "language", "active")
    list_filter = ("active", "language", "organisation")
    search_fields = ("email", "name", "organisation__name")
    list_select_related = ("organisation",)
    inlines = [SubscriptionInline]
    inline_services = {Subscription: "save_subscriptions"}

    def save_service(self, request, obj, form, change):
        return audience.save_subscriber(subscriber=obj, user=request.user)

    def save_subscriptions(self, request, form, formset, change):
        self.save_each(
            formset,
            save=lambda subscription: audience.save_subscription(subscription=subscription,
                                                                 user=request.user),
        )


@admin.register(Subscription)
class SubscriptionAdmin(AudienceAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = (
        "subscriber", "bulletin", "format_names", "starts_on", "ends_on", "cancelled_at",
    )
    list_filter = ("bulletin",)
    search_fields = ("subscriber__email", "subscriber__organisation__name")
    list_select_related = ("subscriber__organisation", "bulletin")
    filter_horizontal = ("sections",)
    raw_id_fields = ("subscriber",)

    @admin.display(description=_("formats"))
    def format_names(self, obj):
        names = dict(Subscription.Format.choices)
        return "、".join(str(names.get(value, value)) for value in obj.formats or []) or "-"

    def save_service(self, request, obj, form, change):
        return audience.save_subscription(subscription=obj, user=request.user)

    def save_relations(self, request, obj, form, change):
        if "sections" in form.changed_data:
            audience.save_subscription(subscription=obj, user=request.user,
                                       sections=form.cleaned_data["sections"])


@admin.register(Delivery)
class DeliveryAdmin(AudienceAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("issue", "subscription", "kind", "state", "attempts", "sent_at", "last_error")
    list_filter = ("state", "kind", "issue__bulletin")
    search_fields = ("subscription__subscriber__email",)
    list_select_related = ("issue__bulletin", "subscription__subscriber")
    readonly_fields = [f.name for f in Delivery._meta.fields]
