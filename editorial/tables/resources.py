"""django-import-export resources for the exports: articles, indicators, metrics and
subscribers as tables, in the columns an import reads back.

Each row is named by a natural key that a unique constraint in the database backs, so
a file exported, edited and imported again updates rows instead of duplicating them:

=========  =============================================  ==========================
table      key columns                                    constraint
=========  =============================================  ==========================
indicator  name                                           Indicator.name unique
subscriber email (compared lower-cased)                   Subscriber.email unique
metric     indicator, bulletin + issue, period            ``metric_natural_key``
article    bulletin + issue, section, position            ``article_position_unique``
=========  =============================================  ==========================

The resources serve the admin's CSV and XLSX exports (and the subscriber list's
download); they only render. Imports never go through them: editorial.tables.service
validates the whole file and writes it in bulk, with the columns editorial.tables
.definitions describes.
"""

from __future__ import annotations

from decimal import Decimal

from import_export import fields, resources, widgets

from editorial.models import (
    Article,
    Indicator,
    Issue,
    Metric,
    Organisation,
    Section,
    Subscriber,
    Tag,
)
from editorial.tables.writing import plain_decimal

# --- Cells as the files have them ---------------------------------------------------------


class DecimalNumberWidget(widgets.NumberWidget):
    """A number as written, without exponent or trailing zeros (a spreadsheet gets it
    as a number)."""

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return value
        return "" if value is None else plain_decimal(Decimal(value))


class WholeNumberWidget(widgets.NumberWidget):
    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return value
        return "" if value is None else str(value)


class DateCellWidget(widgets.Widget):
    """A date as YYYY-MM-DD (a spreadsheet gets a date)."""

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return value
        return value.isoformat() if value else ""


class ChoiceWidget(widgets.Widget):
    """A choice by its stored value, which an import also accepts."""

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class FlagWidget(widgets.Widget):
    """Yes or no as 1 or 0."""

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return value
        return "" if value is None else ("1" if value else "0")


class RelatedNameWidget(widgets.ForeignKeyWidget):
    """A related row by the column that names it (an indicator's name, an issue's number)."""

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else getattr(value, self.field)


# --- The resources --------------------------------------------------------------------------


class IndicatorResource(resources.ModelResource):
    name = fields.Field(attribute="name", column_name="name", widget=widgets.CharWidget())
    slug = fields.Field(attribute="slug", column_name="slug", widget=widgets.CharWidget())
    unit = fields.Field(attribute="unit", column_name="unit", widget=widgets.CharWidget())
    frequency = fields.Field(
        attribute="frequency",
        column_name="frequency",
        widget=ChoiceWidget(),
        saves_null_values=False,
    )
    description = fields.Field(attribute="description", column_name="description", widget=widgets.CharWidget())
    source = fields.Field(attribute="source", column_name="source", widget=widgets.CharWidget())
    confirmed = fields.Field(
        attribute="confirmed", column_name="confirmed", widget=FlagWidget(), saves_null_values=False
    )

    class Meta:
        model = Indicator
        name = "indicators"
        fields = ("name", "slug", "unit", "frequency", "description", "source", "confirmed")


class SubscriberResource(resources.ModelResource):
    email = fields.Field(attribute="email", column_name="email", widget=widgets.CharWidget())
    name = fields.Field(attribute="name", column_name="name", widget=widgets.CharWidget())
    organisation = fields.Field(
        attribute="organisation",
        column_name="organisation",
        widget=RelatedNameWidget(Organisation, "name"),
    )
    language = fields.Field(
        attribute="language",
        column_name="language",
        widget=ChoiceWidget(),
        saves_null_values=False,
    )
    active = fields.Field(
        attribute="active", column_name="active", widget=FlagWidget(), saves_null_values=False
    )

    class Meta:
        model = Subscriber
        name = "subscribers"
        fields = ("email", "name", "organisation", "language", "active")

    def get_queryset(self):
        return Subscriber.objects.select_related("organisation").order_by("organisation__name", "email")


class MetricResource(resources.ModelResource):
    indicator = fields.Field(
        attribute="indicator", column_name="indicator", widget=RelatedNameWidget(Indicator, "name")
    )
    bulletin = fields.Field(attribute="issue__bulletin__slug", column_name="bulletin", readonly=True)
    issue = fields.Field(attribute="issue", column_name="issue", widget=RelatedNameWidget(Issue, "number"))
    period = fields.Field(attribute="period_label", column_name="period", widget=widgets.CharWidget())
    period_start = fields.Field(attribute="period_start", column_name="period_start", widget=DateCellWidget())
    period_end = fields.Field(attribute="period_end", column_name="period_end", widget=DateCellWidget())
    value = fields.Field(attribute="value", column_name="value", widget=DecimalNumberWidget())
    unit = fields.Field(attribute="unit", column_name="unit", widget=widgets.CharWidget())
    yoy_percent = fields.Field(
        attribute="yoy_percent", column_name="yoy_percent", widget=DecimalNumberWidget()
    )
    sentence = fields.Field(attribute="sentence", column_name="sentence", widget=widgets.CharWidget())
    status = fields.Field(attribute="status", column_name="status", readonly=True)
    article = fields.Field(attribute="article__title", column_name="article", readonly=True)

    class Meta:
        model = Metric
        name = "metrics"
        fields = (
            "indicator", "bulletin", "issue", "period", "period_start", "period_end", "value",
            "unit", "yoy_percent", "sentence", "status", "article",
        )

    def get_queryset(self):
        return Metric.objects.select_related("indicator", "issue__bulletin", "article").order_by(
            "issue__issue_date", "issue_id", "indicator__name", "period_end", "id"
        )


class ArticleResource(resources.ModelResource):
    bulletin = fields.Field(attribute="issue__bulletin__slug", column_name="bulletin", readonly=True)
    issue = fields.Field(attribute="issue", column_name="issue", widget=RelatedNameWidget(Issue, "number"))
    section = fields.Field(attribute="section", column_name="section", widget=RelatedNameWidget(Section, "name"))
    position = fields.Field(attribute="position", column_name="position", widget=WholeNumberWidget())
    title = fields.Field(attribute="title", column_name="title", widget=widgets.CharWidget())
    subtitle = fields.Field(attribute="subtitle", column_name="subtitle", widget=widgets.CharWidget())
    source = fields.Field(attribute="source", column_name="source", widget=widgets.CharWidget())
    source_url = fields.Field(attribute="source_url", column_name="source_url", widget=widgets.CharWidget())
    author = fields.Field(attribute="author", column_name="author", widget=widgets.CharWidget())
    original_date = fields.Field(
        attribute="original_date", column_name="original_date", widget=DateCellWidget()
    )
    summary = fields.Field(attribute="summary", column_name="summary", widget=widgets.CharWidget())
    body = fields.Field(attribute="body", column_name="body", widget=widgets.CharWidget())
    tags = fields.Field(
        attribute="tags", column_name="tags",
        widget=widgets.ManyToManyWidget(Tag, separator=", ", field="name"),
    )
    state = fields.Field(attribute="state", column_name="state", readonly=True)

    class Meta:
        model = Article
        name = "articles"
        fields = (
            "bulletin", "issue", "section", "position", "title", "subtitle", "source",
            "source_url", "author", "original_date", "summary", "body", "tags", "state",
        )

    def get_queryset(self):
        return (
            Article.objects.select_related("issue__bulletin", "section")
            .prefetch_related("tags")
            .order_by("issue__issue_date", "issue_id", "section__position", "position", "id")
        )
