"""Downloads: an issue's files and data, indicator series, the full tables.

Public downloads show published issues and confirmed metrics only (the selectors
decide); anything else is a 404. A subscriber-only issue's files and data need a reader
``may_read_in_full`` admits (editorial.selectors.access): others get 403 with the
subscribe panel, and tables across issues (indicator series, all metrics) leave its
values out. Large tables stream as CSV or are written to a
temporary file, never built whole in memory. The subscriber list is for staff with the
``export_subscriber`` permission.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from editorial.models import Indicator
from editorial.selectors import public as selectors
from editorial.selectors.access import full_text_issue_q, reader_for_request
from editorial.selectors.metrics import all_public_metrics, indicator_metrics, issue_metrics
from editorial.services import exporting
from editorial.site.file_serving import stored_file_response
from editorial.site.gating import refuse_unless_full
from editorial.site.issues import rendition_download
from editorial.tables import metric_files
from editorial.tables.resources import SubscriberResource
from editorial.tables.writing import XLSX_MIME

CSV_TYPE = "text/csv; charset=utf-8"


def _csv_response(chunks, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=CSV_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _file_response(file, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)
    # Large blocks: a big file takes a few hundred writes, not thousands, of the worker.
    response.block_size = 512 * 1024
    return response


def _try_again_later(message: str, *, status: int, seconds: int) -> HttpResponse:
    """A plain-text refusal that says when to come back (429 throttled, 503 not ready)."""
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response


def _rate_limited(view):
    """Generated downloads cost the server; anonymous addresses get a budget a minute."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not exporting.download_allowed(request):
            return _try_again_later(
                _("Too many downloads from your address; try again in a minute."),
                status=429, seconds=60,
            )
        return view(request, *args, **kwargs)

    return wrapper


def _public_issue(bulletin_slug: str, number: int):
    return selectors.get_public_issue(bulletin_slug=bulletin_slug, number=number)


def _refused(request, issue, resource: str):
    return refuse_unless_full(request, issue, resource=resource)


def _readable(request, metrics):
    """Only the values of issues the reader may read in full."""
    return metrics.filter(full_text_issue_q(reader_for_request(request), prefix="issue__"))


@require_safe
@_rate_limited
def issue_metrics_csv(request, bulletin_slug: str, number: int):
    issue = _public_issue(bulletin_slug, number)
    if (refused := _refused(request, issue, "metrics.csv")) is not None:
        return refused
    return _csv_response(
        metric_files.stream_metrics_csv(issue_metrics(issue)),
        f"{exporting.export_basename(issue)}-metrics.csv",
    )


@require_safe
@_rate_limited
def issue_metrics_xlsx(request, bulletin_slug: str, number: int):
    issue = _public_issue(bulletin_slug, number)
    if (refused := _refused(request, issue, "metrics.xlsx")) is not None:
        return refused
    base = exporting.export_basename(issue)
    spool = metric_files.metrics_xlsx_file(issue_metrics(issue), sheet_title=base)
    return _file_response(spool, f"{base}-metrics.xlsx", XLSX_MIME)


@require_safe
def issue_articles_json(request, bulletin_slug: str, number: int):
    issue = _public_issue(bulletin_slug, number)
    if (refused := _refused(request, issue, "articles.json")) is not None:
        return refused
    response = HttpResponse(
        exporting.articles_json_bytes(issue), content_type="application/json; charset=utf-8"
    )
    filename = f"{exporting.export_basename(issue)}-articles.json"
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


@require_safe
def issue_rendition(request, bulletin_slug: str, number: int, kind: str):
    # The same file, rules and headers as the public download link.
    return rendition_download(request, bulletin_slug, number, kind)


@require_safe
@_rate_limited
def issue_bundle(request, bulletin_slug: str, number: int):
    """The bundle as built once for the issue's current version (by a worker); while it
    is being built the answer is 503 with Retry-After."""
    issue = _public_issue(bulletin_slug, number)
    if (refused := _refused(request, issue, "bundle.zip")) is not None:
        return refused
    name = exporting.request_issue_bundle(issue)
    if name is None:
        return _try_again_later(
            _("The download is being prepared; try again in a few seconds."),
            status=503, seconds=5,
        )
    return stored_file_response(
        request,
        name,
        storage=default_storage,
        filename=f"{exporting.export_basename(issue)}.zip",
        attachment=True,
        content_type="application/zip",
    )


def _public_indicator(request, indicator_slug: str) -> Indicator:
    # Confirmed indicators with at least one value the reader may see; others are a 404.
    return selectors.get_public_indicator(indicator_slug, reader=reader_for_request(request))


@require_safe
@_rate_limited
def indicator_series_csv(request, indicator_slug: str):
    indicator = _public_indicator(request, indicator_slug)
    return _csv_response(
        metric_files.stream_metrics_csv(_readable(request, indicator_metrics(indicator))),
        f"{indicator.slug}-series.csv",
    )


@require_safe
@_rate_limited
def indicator_series_xlsx(request, indicator_slug: str):
    indicator = _public_indicator(request, indicator_slug)
    spool = metric_files.metrics_xlsx_file(
        _readable(request, indicator_metrics(indicator)), sheet_title=indicator.name
    )
    return _file_response(spool, f"{indicator.slug}-series.xlsx", XLSX_MIME)


@require_safe
@_rate_limited
def all_metrics_csv(request):
    return _csv_response(
        metric_files.stream_metrics_csv(_readable(request, all_public_metrics())),
        "metrics.csv",
    )


@require_safe
@_rate_limited
def all_metrics_xlsx(request):
    spool = metric_files.metrics_xlsx_file(_readable(request, all_public_metrics()))
    return _file_response(spool, "metrics.xlsx", XLSX_MIME)


@require_safe
def subscribers_csv(request):
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (user.is_active and user.is_staff and user.has_perm("editorial.export_subscriber")):
        raise PermissionDenied
    resource = SubscriberResource()
    return _csv_response(exporting.stream_resource_csv(resource), "subscribers.csv")
