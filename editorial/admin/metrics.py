from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from editorial.import_formats import BulletinImportExportMixin
from editorial.models import Indicator, Metric
from editorial.resources import IndicatorResource, MetricResource


@admin.register(Indicator)
class IndicatorAdmin(BulletinImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [IndicatorResource]
    list_display = ("name", "unit", "frequency", "source")
    list_filter = ("frequency",)
    search_fields = ("name", "slug", "description", "source")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Metric)
class MetricAdmin(BulletinImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [MetricResource]
    list_display = (
        "indicator", "issue", "period_label", "value", "unit", "yoy_percent", "status"
    )
    list_filter = ("status", "issue__bulletin", "indicator")
    search_fields = ("indicator__name", "sentence", "period_label")
    list_select_related = ("indicator", "issue__bulletin")
    autocomplete_fields = ("indicator",)
    raw_id_fields = ("issue", "article")
