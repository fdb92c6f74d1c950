"""Indicators as the public reads them: the index, an indicator's page, its chart (SVG)
and its values as CSV or XLSX. Values come only from issues the reader may read in full."""

from __future__ import annotations

import io

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from editorial.links import absolute_url
from editorial.selectors import public as selectors
from editorial.selectors.access import reader_for_request
from editorial.services.caching import cached_public_page
from editorial.tables import writing
from editorial.tables.writing import XLSX_MIME
from editorial.typesetting.charts import ChartPoint, indicator_chart_svg


@require_safe
@cached_public_page()
def indicator_index(request):
    return render(
        request,
        "editorial/indicator_index.html",
        {
            "indicators": selectors.public_indicators(
                reader=reader_for_request(request)
            ).order_by("name"),
            "canonical_url": absolute_url(reverse("editorial:indicators")),
        },
    )


@require_safe
@cached_public_page()
def indicator_detail(request, indicator_slug: str):
    reader = reader_for_request(request)
    indicator = selectors.get_public_indicator(indicator_slug, reader=reader)
    metrics = selectors.indicator_series(indicator, reader=reader)
    return render(
        request,
        "editorial/indicator_detail.html",
        {
            "indicator": indicator,
            "metrics": metrics,
            "canonical_url": absolute_url(indicator.get_absolute_url()),
            "description": indicator.description,
        },
    )


def _chart_points(metrics) -> list[ChartPoint]:
    return [
        ChartPoint(label=metric.period_label or f"{metric.issue.issue_date:%Y-%m-%d}", value=metric.value)
        for metric in metrics
    ]


@require_safe
@cached_public_page()
def indicator_chart(request, indicator_slug: str):
    reader = reader_for_request(request)
    indicator = selectors.get_public_indicator(indicator_slug, reader=reader)
    svg = indicator_chart_svg(
        _chart_points(selectors.indicator_series(indicator, reader=reader)),
        title=indicator.name,
        unit=indicator.unit,
        width=720,
        height=360,
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def _indicator_rows(metrics):
    for metric in metrics:
        issue = metric.issue
        yield [
            metric.period_label,
            metric.value,
            metric.unit,
            metric.yoy_percent,
            issue.display_title,
            issue.issue_date,
            metric.article.title if metric.article else "",
            absolute_url(metric.article.get_absolute_url()) if metric.article else absolute_url(issue.get_absolute_url()),
        ]


@require_safe
@cached_public_page()
def indicator_data(request, indicator_slug: str, fmt: str):
    """An indicator's published values as CSV or XLSX (small: built whole, so cached)."""
    reader = reader_for_request(request)
    indicator = selectors.get_public_indicator(indicator_slug, reader=reader)
    metrics = selectors.indicator_series(indicator, reader=reader)
    header = [
        _("Period"), _("Value"), _("Unit"), _("Change year on year (%)"), _("Issue"),
        _("Issue date"), _("Article"), _("Link"),
    ]
    filename = f"{indicator.slug}.{fmt}"
    if fmt == "csv":
        # utf-8-sig and formula escaping, as every CSV the product writes
        content = b"".join(writing.stream_csv(headers=header, rows=_indicator_rows(metrics)))
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        out = io.BytesIO()
        writing.write_xlsx(
            out, headers=header, rows=_indicator_rows(metrics), sheet_title=indicator.name[:31]
        )
        response = HttpResponse(
            out.getvalue(),
            content_type=XLSX_MIME,
        )
    else:
        raise Http404("Unknown format")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
