"""The API's reads: published rows a token's organisation may read in full, ready to list.

Everything starts from the public selectors (only published issues, confirmed metrics)
and narrows them with ``full_text_issue_q``, the one access rule; nothing here decides
access itself. Each queryset loads its relations in the same query (or one prefetch), so
a page costs the same number of queries whatever its size.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from editorial.models import Article, Figure, Indicator, Issue, Metric, Section
from editorial.selectors import public as selectors
from editorial.selectors.access import Reader, full_text_issue_q

# Article columns a metric or a list never needs.
_HEAVY_ARTICLE = ("body", *selectors.HEAVY_ARTICLE_FIELDS)


@dataclass(frozen=True)
class IssueFilters:
    """Filters every list shares: the bulletin (slug) and the issue date range."""

    bulletin: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    issue: int | None = None

    def q(self, prefix: str = "") -> Q:
        condition = Q()
        if self.bulletin:
            condition &= Q(**{f"{prefix}bulletin__slug": self.bulletin})
        if self.date_from:
            condition &= Q(**{f"{prefix}issue_date__gte": self.date_from})
        if self.date_to:
            condition &= Q(**{f"{prefix}issue_date__lte": self.date_to})
        if self.issue:
            condition &= Q(**{f"{prefix}pk": self.issue})
        return condition


def readable_issues(reader: Reader, filters: IssueFilters | None = None) -> QuerySet[Issue]:
    filters = filters or IssueFilters()
    return (
        selectors.public_issues()
        .filter(full_text_issue_q(reader))
        .filter(filters.q())
        .annotate(article_count=Count("articles"))
        .order_by("-issue_date", "-number", "-id")
    )


def readable_issue(reader: Reader, issue_id: int) -> Issue:
    issue = readable_issues(reader).filter(pk=issue_id).first()
    if issue is None:
        raise Http404("No such issue readable with this token")
    return issue


def issue_sections(issue: Issue) -> list[tuple[Section, list[Article]]]:
    """The issue's sections with their articles' titles (two queries)."""
    return selectors.issue_table_of_contents(issue)


def readable_articles(
    reader: Reader, filters: IssueFilters | None = None, *, section: str | None = None
) -> QuerySet[Article]:
    filters = filters or IssueFilters()
    articles = (
        selectors.public_articles()
        .filter(full_text_issue_q(reader, prefix="issue__"))
        .filter(filters.q("issue__"))
        .defer(*_HEAVY_ARTICLE)
        .order_by("-issue__issue_date", "-issue__number", "section__position", "position", "id")
    )
    if section:
        articles = articles.filter(section__slug=section)
    return articles


def readable_article(reader: Reader, article_id: int) -> Article:
    article = (
        selectors.public_articles()
        .filter(full_text_issue_q(reader, prefix="issue__"), pk=article_id)
        .prefetch_related("tags", Prefetch("figures", queryset=Figure.objects.order_by("position", "id")))
        .first()
    )
    if article is None:
        raise Http404("No such article readable with this token")
    return article


def readable_metrics(
    reader: Reader, filters: IssueFilters | None = None, *, indicator: str | None = None
) -> QuerySet[Metric]:
    filters = filters or IssueFilters()
    metrics = (
        selectors.public_metrics()
        .filter(full_text_issue_q(reader, prefix="issue__"))
        .filter(filters.q("issue__"))
        .defer(*(f"article__{name}" for name in _HEAVY_ARTICLE))
    )
    if indicator:
        metrics = metrics.filter(indicator__slug=indicator)
    return metrics


# The columns a metric's answer reads (schemas.MetricOut): a page loads no more, which
# halves its cost (issue and bulletin rows are wide, and their dates cost to convert).
METRIC_COLUMNS = (
    "value", "unit", "yoy_percent", "period_label", "period_start", "period_end", "sentence",
    "indicator__slug", "indicator__name",
    "issue__number", "issue__issue_date", "issue__bulletin__slug",
    "article__title",
)


def metric_listing(metrics: QuerySet[Metric]) -> QuerySet[Metric]:
    """Newest issue first, then as recorded: stable for offset paging, and cheap, because
    the database walks issues by their date index and stops after the page (an order on
    the indicator's name would make it join and sort every readable metric first)."""
    return metrics.only(*METRIC_COLUMNS).order_by("-issue__issue_date", "-issue_id", "id")


def series_order(metrics: QuerySet[Metric]) -> QuerySet[Metric]:
    """An indicator's values in period order, as the public chart and export read them."""
    return metrics.only(*METRIC_COLUMNS).order_by(
        "period_end", "issue__issue_date", "period_label", "id"
    )


def readable_indicators(reader: Reader, *, bulletin: str | None = None) -> QuerySet[Indicator]:
    """Confirmed indicators with at least one value the reader may read."""
    values = readable_metrics(reader, IssueFilters(bulletin=bulletin)).filter(
        indicator=OuterRef("pk")
    )
    return Indicator.objects.filter(confirmed=True).filter(Exists(values)).order_by("name", "id")


def readable_indicator(reader: Reader, slug: str) -> Indicator:
    indicator = readable_indicators(reader).filter(slug=slug).first()
    if indicator is None:
        raise Http404("No such indicator readable with this token")
    return indicator
