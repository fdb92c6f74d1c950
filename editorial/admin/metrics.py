from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from editorial.import_formats import BulletinImportExportMixin
from editorial.models import Indicator, Metric
from editorial.resources import IndicatorResource, MetricResource
from editorial.services.errors import ServiceError
from editorial.services.reviewing import set_metric_status


def _set_status(request, queryset, status) -> None:
    done = 0
    for metric in queryset.select_related("indicator"):
        try:
            set_metric_status(metric=metric, status=status, user=request.user)
            done += 1
        except ServiceError as exc:
            messages.error(request, f"{metric}: {exc}")
            return
    messages.success(request, _("%(count)s key figures updated.") % {"count": done})


@admin.action(description=gettext_lazy("Confirm the selected key figures"))
def confirm_metrics(modeladmin, request, queryset):
    _set_status(request, queryset, Metric.Status.CONFIRMED)


@admin.action(description=gettext_lazy("Dismiss the selected key figures"))
def dismiss_metrics(modeladmin, request, queryset):
    _set_status(request, queryset, Metric.Status.DISMISSED)


@admin.register(Indicator)
class IndicatorAdmin(BulletinImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [IndicatorResource]
    list_display = ("name", "unit", "frequency", "source", "confirmed")
    list_filter = ("confirmed", "frequency")
    search_fields = ("name", "slug", "description", "source")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Metric)
class MetricAdmin(BulletinImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [MetricResource]
    list_display = (
        "indicator", "issue", "period_label", "value", "unit", "yoy_percent", "status",
        "sentence_excerpt",
    )
    list_filter = ("status", "issue__bulletin", "issue", "indicator")
    search_fields = ("indicator__name", "sentence", "period_label")
    list_select_related = ("indicator", "issue__bulletin")
    autocomplete_fields = ("indicator",)
    raw_id_fields = ("issue", "article")
    actions = [confirm_metrics, dismiss_metrics]

    @admin.display(description=gettext_lazy("sentence"))
    def sentence_excerpt(self, metric):
        return metric.sentence[:60] + ("……" if len(metric.sentence) > 60 else "")
