"""The key-figure files: metrics as CSV and XLSX rows, read in chunks, written row by row.

The exports (editorial.services.exporting, the public downloads, the subscriber's
workbook) all write metrics through here, so every file has the same columns, the same
links and the same formula escaping (editorial.tables.writing). Which metrics a file
may hold is the caller's queryset (editorial.selectors.metrics).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from editorial.links import absolute_url
from editorial.tables.writing import stream_csv, write_xlsx

DB_CHUNK_ROWS = 2000

METRIC_CSV_HEADERS = [
    "bulletin", "issue", "issue_date", "indicator", "period", "period_start", "period_end",
    "value", "unit", "yoy_percent", "sentence", "article_title", "article_url",
]
_METRIC_VALUES = (
    "issue__bulletin__slug", "issue__number", "issue__issue_date", "indicator__name",
    "period_label", "period_start", "period_end", "value", "unit", "yoy_percent",
    "sentence", "article__title", "article_id",
)


def metric_xlsx_headers() -> list[str]:
    return [
        _("Bulletin"), _("Issue"), _("Issue date"), _("Indicator"), _("Period"),
        _("Period start"), _("Period end"), _("Value"), _("Unit"),
        _("Change year on year (%)"), _("Sentence"), _("Source article"), _("Article link"),
    ]


METRIC_XLSX_WIDTHS = [12, 8, 12, 28, 14, 12, 12, 16, 10, 14, 60, 40, 50]


def metric_rows(queryset: QuerySet) -> Iterator[tuple]:
    """Plain tuples in METRIC_CSV_HEADERS order, read in chunks from a server-side cursor."""
    issue_urls: dict[tuple[str, int], str] = {}
    for (slug, number, issue_date, indicator, period, start, end, value, unit, yoy,
         sentence, article_title, article_id) in queryset.values_list(*_METRIC_VALUES).iterator(
        chunk_size=DB_CHUNK_ROWS
    ):
        url = ""
        if article_id is not None:
            key = (slug, number)
            if key not in issue_urls:
                issue_urls[key] = article_url_prefix(slug, number)
            url = absolute_url(f"{issue_urls[key]}{article_id}/")
        yield (slug, number, issue_date, indicator, period, start, end, value, unit, yoy,
               sentence, article_title or "", url)


def article_url_prefix(bulletin_slug: str, number: int) -> str:
    """The path of an issue's articles up to the article id (one reverse() per issue)."""
    marker = 987654321
    path = reverse(
        "editorial:article",
        kwargs={"bulletin_slug": bulletin_slug, "number": number, "article_id": marker},
    )
    return path[: path.rindex(str(marker))]


def stream_metrics_csv(queryset: QuerySet) -> Iterator[bytes]:
    return stream_csv(headers=METRIC_CSV_HEADERS, rows=metric_rows(queryset))


def write_metrics_xlsx(
    target, queryset: QuerySet, *, sheet_title: str = "", progress=None
) -> int:
    return write_xlsx(
        target,
        headers=metric_xlsx_headers(),
        rows=metric_rows(queryset),
        sheet_title=sheet_title or _("Key figures"),
        column_widths=METRIC_XLSX_WIDTHS,
        progress=progress,
    )


def metrics_xlsx_file(queryset: QuerySet, *, sheet_title: str = ""):
    """An anonymous temporary file holding the workbook, rewound for reading.

    The caller streams and closes it (FileResponse does); it is never named on disk.
    """
    spool = tempfile.TemporaryFile(suffix=".xlsx")
    write_metrics_xlsx(spool, queryset, sheet_title=sheet_title)
    spool.seek(0)
    return spool
