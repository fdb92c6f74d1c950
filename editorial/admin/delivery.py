"""The delivery report of an issue, and resending failed deliveries, in the admin.

Wiring (IssueAdmin lives in admin/publication.py)::

    class IssueAdmin(IssueDeliveryAdminMixin, SimpleHistoryAdmin):
        actions = [..., resend_failed_deliveries]
        readonly_fields = (..., "delivery_report_link")

The mixin adds ``<issue id>/deliveries/`` (URL name ``<site>:editorial_issue_deliveries``):
counts by kind and state, the failed deliveries with their errors, and buttons to
resend the failed ones or fan out now. ``resend_selected_deliveries`` is the same
action for DeliveryAdmin's changelist. Every write goes through
editorial.services.delivery, which checks that the user is a publisher.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from editorial.models import Delivery, Issue
from editorial.selectors.delivery import delivery_counts, delivery_report
from editorial.services import delivery as delivery_service
from editorial.services.errors import ServiceError
from editorial.services.permissions import may


def _report_requeued(modeladmin, request, total: int) -> None:
    modeladmin.message_user(
        request, _("%(count)d failed deliveries queued again.") % {"count": total},
        messages.SUCCESS,
    )


@admin.action(description=gettext_lazy("Resend failed deliveries"))
def resend_failed_deliveries(modeladmin, request, queryset):
    """IssueAdmin action: re-queue every failed delivery of the selected issues."""
    total = 0
    try:
        for issue in queryset:
            total += len(delivery_service.requeue_failed_deliveries(issue=issue, user=request.user))
    except ServiceError as error:
        modeladmin.message_user(request, str(error), messages.ERROR)
        return
    _report_requeued(modeladmin, request, total)


@admin.action(description=gettext_lazy("Resend the selected failed deliveries"))
def resend_selected_deliveries(modeladmin, request, queryset):
    """DeliveryAdmin action: re-queue the selected deliveries that failed."""
    total = 0
    try:
        rows = queryset.filter(state=Delivery.State.FAILED).values_list("issue_id", "pk")
        by_issue: dict[int, list[int]] = {}
        for issue_id, pk in rows:
            by_issue.setdefault(issue_id, []).append(pk)
        for issue in Issue.objects.filter(pk__in=by_issue):
            total += len(
                delivery_service.requeue_failed_deliveries(
                    issue=issue, user=request.user, delivery_ids=by_issue[issue.pk]
                )
            )
    except ServiceError as error:
        modeladmin.message_user(request, str(error), messages.ERROR)
        return
    _report_requeued(modeladmin, request, total)


class IssueDeliveryAdminMixin:
    """Adds the per-issue delivery report to an Issue ModelAdmin."""

    def get_urls(self):
        urls = super().get_urls()
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/deliveries/",
                self.admin_site.admin_view(self.delivery_report_view),
                name="%s_%s_deliveries" % info,
            ),
            *urls,
        ]

    @admin.display(description=gettext_lazy("Deliveries"))
    def delivery_report_link(self, obj):
        if not obj or not obj.pk:
            return "-"
        counts = delivery_counts(issue=obj)[Delivery.Kind.ISSUE]
        url = reverse(
            f"{self.admin_site.name}:editorial_issue_deliveries", args=[obj.pk]
        )
        return format_html(
            '<a href="{}">{}</a>',
            url,
            _("%(sent)d sent, %(failed)d failed, %(waiting)d waiting — delivery report")
            % {
                "sent": counts[Delivery.State.SENT],
                "failed": counts[Delivery.State.FAILED],
                "waiting": counts[Delivery.State.PENDING]
                + counts[Delivery.State.RETRYING]
                + counts[Delivery.State.SENDING],
            },
        )

    def _deliveries_changelist_url(self, issue) -> str:
        try:
            url = reverse(f"{self.admin_site.name}:editorial_delivery_changelist")
        except NoReverseMatch:
            return ""
        return f"{url}?issue__id__exact={issue.pk}"

    def delivery_report_view(self, request, object_id):
        if not request.user.has_perm("editorial.view_delivery"):
            raise PermissionDenied
        issue = get_object_or_404(Issue.objects.select_related("bulletin"), pk=object_id)
        if request.method == "POST":
            action = request.POST.get("action")
            try:
                if action == "resend":
                    ids = delivery_service.requeue_failed_deliveries(issue=issue, user=request.user)
                    self.message_user(
                        request,
                        _("%(count)d failed deliveries queued again.") % {"count": len(ids)},
                        messages.SUCCESS,
                    )
                elif action == "fan_out":
                    kind = Delivery.Kind.ISSUE
                    ids = delivery_service.fan_out_issue_deliveries(
                        issue_id=issue.pk, kind=kind, user=request.user
                    )
                    delivery_service.queue_delivery_batches(ids)
                    self.message_user(
                        request,
                        _("%(count)d deliveries queued.") % {"count": len(ids)},
                        messages.SUCCESS,
                    )
            except ServiceError as error:
                self.message_user(request, str(error), messages.ERROR)
            return redirect(request.path)
        report = delivery_report(issue=issue)
        states = list(Delivery.State.choices)
        table = [
            (kind, label, [report["counts"][kind][state] for state, _label in states],
             report["totals"][kind])
            for kind, label in Delivery.Kind.choices
        ]
        try:
            delivery_service.check_may_manage_deliveries(request.user)
            may_send = True
        except ServiceError:
            may_send = False
        context = {
            **self.admin_site.each_context(request),
            "title": _("Delivery report"),
            "subtitle": issue.display_title,
            "opts": self.model._meta,
            "issue": issue,
            "issue_url": reverse(f"{self.admin_site.name}:editorial_issue_change", args=[issue.pk]),
            "changelist_url": self._deliveries_changelist_url(issue),
            "report": report,
            "states": states,
            "table": table,
            "may_send": may_send,
            "may_see_emails": may(request.user, "subscriber.see_emails"),
        }
        return TemplateResponse(request, "admin/editorial/issue/deliveries.html", context)
