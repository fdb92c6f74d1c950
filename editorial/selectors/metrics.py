"""The published key figures in the order the exports list them (CSV, XLSX, the bundle,
the subscriber's workbook).

What may be exported at all is ``selectors.public.public_metrics``: confirmed metrics of
published issues. These add the ordering each export reads them in; a caller that
serves a subscriber-only issue checks the reader first (editorial.site.exports).
"""

from __future__ import annotations

from django.db.models import QuerySet

from editorial.models import Indicator, Issue, Metric
from editorial.selectors.public import public_metrics


def issue_metrics(issue: Issue) -> QuerySet:
    """The confirmed metrics of a published issue, by indicator and period."""
    return public_metrics().filter(issue=issue).order_by(
        "indicator__name", "period_end", "period_label", "id"
    )


def all_public_metrics() -> QuerySet:
    """Every confirmed metric of every published issue, issue by issue."""
    return public_metrics().order_by(
        "issue__issue_date", "issue_id", "indicator__name", "period_end", "id"
    )


def indicator_metrics(indicator: Indicator) -> QuerySet:
    """One indicator's published values over time."""
    return public_metrics().filter(indicator=indicator).order_by(
        "period_end", "issue__issue_date", "period_label", "id"
    )


def issues_with_confirmed_metrics(issue_ids) -> set[int]:
    """Which of these issues have confirmed key figures (a metrics download to offer)."""
    return set(
        Metric.objects.filter(issue_id__in=issue_ids, status=Metric.Status.CONFIRMED)
        .values_list("issue_id", flat=True)
        .distinct()
    )
