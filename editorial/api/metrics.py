"""Key figures: metrics with their indicator, period, issue and article; indicators and
one indicator's series."""

# No "from __future__ import annotations": ninja reads the parameters' annotations at
# import time, and string annotations would hide their Query()/Path() metadata.
from ninja import Router
from ninja.pagination import paginate

from editorial.api import queries
from editorial.api.pagination import ApiPagination
from editorial.api.params import (
    BulletinSlug,
    DateFrom,
    DateTo,
    IndicatorPathSlug,
    IndicatorSlug,
    IssueId,
)
from editorial.api.responses import answers
from editorial.api.schemas import IndicatorOut, MetricOut

router = Router(tags=["metrics"])


@router.get("/metrics", response=answers(list[MetricOut]), summary="List metrics")
@paginate(ApiPagination)
def list_metrics(
    request,
    bulletin: BulletinSlug = None,
    indicator: IndicatorSlug = None,
    issue: IssueId = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
):
    """Confirmed figures of the issues the token may read in full: newest issue first,
    then in the order they were recorded. The date range is on the issue's date."""
    filters = queries.IssueFilters(bulletin=bulletin, date_from=date_from, date_to=date_to,
                                   issue=issue)
    return queries.metric_listing(
        queries.readable_metrics(request.auth, filters, indicator=indicator)
    )


@router.get("/indicators", response=answers(list[IndicatorOut]), summary="List indicators")
@paginate(ApiPagination)
def list_indicators(request, bulletin: BulletinSlug = None):
    """Confirmed indicators with at least one value the token may read (in that
    bulletin, when one is given), by name."""
    return queries.readable_indicators(request.auth, bulletin=bulletin)


@router.get(
    "/indicators/{slug}/series",
    response=answers(list[MetricOut], not_found=True),
    summary="One indicator's values over time",
)
@paginate(ApiPagination)
def indicator_series(
    request,
    slug: IndicatorPathSlug,
    bulletin: BulletinSlug = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
):
    """The indicator's values the token may read, in period order (as the public chart
    draws them). 404 when the token may read none of its values."""
    indicator = queries.readable_indicator(request.auth, slug)
    filters = queries.IssueFilters(bulletin=bulletin, date_from=date_from, date_to=date_to)
    return queries.series_order(
        queries.readable_metrics(request.auth, filters).filter(indicator=indicator)
    )
