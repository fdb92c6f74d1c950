"""Exports: articles as JSON, a ZIP bundle per issue, export jobs for big files (the
metrics CSV and XLSX themselves are editorial.tables.metric_files).

Everything here is written row by row (pretix's exporters are the model): CSV is a
generator of byte chunks a view streams, XLSX goes through openpyxl's write-only mode
into a file, and the bundle is assembled in a temporary file. Memory stays flat however
many rows there are (bench/exports.py measures it against django-import-export's
in-memory export).

What may be exported is decided by the querysets in ``editorial.selectors.public`` and
``editorial.selectors.metrics``: published issues and confirmed metrics only. The
exports themselves only read; the database is written only by the export jobs (their
ExportJob rows), and storage by the stored bundle.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.links import absolute_url
from editorial.models import Article, ExportJob, Issue
from editorial.selectors import public as selectors
from editorial.selectors.metrics import all_public_metrics, issue_metrics
from editorial.selectors.renditions import current_renditions
from editorial.services.errors import PermissionRefused, ServiceError
from editorial.services.queueing import task_named, tasks_run_in_process
from editorial.tables import metric_files
from editorial.tables.writing import (
    CSV_CHUNK_BYTES,
    stream_csv,
)

DB_CHUNK_ROWS = 2000
ARTICLES_JSON_FORMAT = "bulletin-articles"
ARTICLES_JSON_VERSION = 1

# --- Articles -------------------------------------------------------------------------


def articles_document(issue: Issue) -> dict:
    """A published issue's articles as plain data (docs/articles-json-schema.json)."""
    articles = (
        Article.objects.filter(issue=issue)
        .select_related("section")
        .prefetch_related("tags", "figures")
        .order_by("section__position", "section_id", "position", "id")
    )
    return {
        "format": ARTICLES_JSON_FORMAT,
        "version": ARTICLES_JSON_VERSION,
        "bulletin": {"slug": issue.bulletin.slug, "name": issue.bulletin.name},
        "issue": {
            "number": issue.number,
            "volume": issue.volume,
            "title": issue.display_title,
            "issue_date": issue.issue_date.isoformat(),
            "published_at": issue.published_at.isoformat() if issue.published_at else None,
            "erratum": issue.erratum,
            "url": absolute_url(issue.get_absolute_url()),
        },
        "articles": [_article_data(article, issue) for article in articles],
    }


def _article_data(article: Article, issue: Issue) -> dict:
    article.issue = issue  # get_absolute_url reads issue.bulletin; no query per article
    return {
        "id": article.pk,
        "section": {
            "name": article.section.name,
            "slug": article.section.slug,
            "position": article.section.position,
        },
        "position": article.position,
        "title": article.title,
        "subtitle": article.subtitle,
        "source": article.source,
        "source_url": article.source_url,
        "author": article.author,
        "original_date": article.original_date.isoformat() if article.original_date else None,
        "summary": article.summary,
        "body_html": article.body,
        "tags": sorted(tag.name for tag in article.tags.all()),
        "figures": [
            {
                "position": figure.position,
                "caption": figure.caption,
                "source_line": figure.source_line,
                "image_url": absolute_url(figure.image.url) if figure.image else None,
            }
            for figure in sorted(article.figures.all(), key=lambda f: (f.position, f.pk))
        ],
        "url": absolute_url(article.get_absolute_url()),
    }


def articles_json_bytes(issue: Issue) -> bytes:
    return json.dumps(articles_document(issue), ensure_ascii=False, indent=2).encode("utf-8")


# --- Renditions and the bundle --------------------------------------------------------


def export_basename(issue: Issue) -> str:
    return f"{issue.bulletin.slug}-{issue.number}"


def write_issue_bundle(target, issue: Issue) -> list[str]:
    """A ZIP of everything published for the issue; returns the member names.

    Members: metrics CSV and XLSX, articles JSON, and the current PDF and HTML when
    they have been rendered. Each is copied in chunks; nothing is held whole in memory.
    """
    base = export_basename(issue)
    names = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        name = f"{base}-metrics.csv"
        with bundle.open(name, "w", force_zip64=True) as member:
            for chunk in metric_files.stream_metrics_csv(issue_metrics(issue)):
                member.write(chunk)
        names.append(name)

        with tempfile.TemporaryFile(suffix=".xlsx") as workbook:
            metric_files.write_metrics_xlsx(workbook, issue_metrics(issue), sheet_title=base)
            workbook.seek(0)
            name = f"{base}-metrics.xlsx"
            with bundle.open(name, "w", force_zip64=True) as member:
                shutil.copyfileobj(workbook, member, CSV_CHUNK_BYTES)
            names.append(name)

        name = f"{base}-articles.json"
        bundle.writestr(name, articles_json_bytes(issue))
        names.append(name)

        for rendition in current_renditions(issue).values():
            name = f"{base}.{rendition.kind}"
            with rendition.file.open("rb") as source, bundle.open(
                name, "w", force_zip64=True
            ) as member:
                shutil.copyfileobj(source, member, CSV_CHUNK_BYTES)
            names.append(name)
    return names


def issue_bundle_file(issue: Issue):
    """The bundle in an anonymous temporary file, rewound for reading."""
    spool = tempfile.TemporaryFile(suffix=".zip")
    write_issue_bundle(spool, issue)
    spool.seek(0)
    return spool


# --- The stored bundle: built once per issue version ------------------------------------

BUNDLE_FOLDER = "exports/bundles"
BUNDLE_LOCK_SECONDS = 300


def bundle_version(issue: Issue) -> str:
    """What the bundle is made from, as a hash: the issue, its articles, its metrics
    and its current renditions. Any change to them makes a new version."""
    # Read fresh, so a stale instance and the request's agree on the version.
    row = Issue.objects.filter(pk=issue.pk).values("state", "updated_at", "erratum").first() or {}
    metrics = issue_metrics(issue).values_list("pk", "value", "period_label", "yoy_percent")
    parts = [
        str(issue.pk),
        str(row.get("state", "")),
        str(row.get("updated_at", "")),
        str(row.get("erratum", "")),
        str(issue.articles.aggregate(m=Max("updated_at"))["m"]),
        [tuple(str(value) for value in metric) for metric in metrics],
        [(r.pk, r.kind, r.checksum, r.file.name) for r in current_renditions(issue).values()],
    ]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:24]


def bundle_name(issue: Issue, version: str | None = None) -> str:
    return f"{BUNDLE_FOLDER}/{issue.pk}-{version or bundle_version(issue)}.zip"


def stored_bundle(issue: Issue) -> str | None:
    """The storage name of the issue's current bundle, when it has been built."""
    name = bundle_name(issue)
    return name if default_storage.exists(name) else None


def build_issue_bundle(*, issue_id: int) -> str | None:
    """Write the bundle of a published issue's current version to storage, once.

    Idempotent: an existing file for the version is kept. Older versions of the issue's
    bundle are removed once the new one is in place. Returns the storage name.
    """
    issue = selectors.public_issues().filter(pk=issue_id).select_related("bulletin").first()
    if issue is None:
        return None
    name = bundle_name(issue)
    if default_storage.exists(name):
        return name
    with tempfile.TemporaryFile(suffix=".zip") as spool:
        write_issue_bundle(spool, issue)
        spool.seek(0)
        saved = default_storage.save(name, File(spool, name=name))
    if saved != name:  # another worker saved the same version meanwhile
        default_storage.delete(saved)
    _remove_old_bundles(issue, keep=name)
    return name


def _remove_old_bundles(issue: Issue, *, keep: str) -> None:
    try:
        _folders, files = default_storage.listdir(BUNDLE_FOLDER)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    prefix = f"{issue.pk}-"
    for file in files:
        path = f"{BUNDLE_FOLDER}/{file}"
        if file.startswith(prefix) and path != keep:
            default_storage.delete(path)


def request_issue_bundle(issue: Issue) -> str | None:
    """The stored bundle's name; when there is none yet, have it built.

    With a broker the build is a worker's job (queued once, however many ask) and None
    is returned meanwhile; in-process it is built here, once.
    """
    name = stored_bundle(issue)
    if name:
        return name
    if tasks_run_in_process():
        return build_issue_bundle(issue_id=issue.pk)
    lock = f"bundle-build:{bundle_name(issue)}"
    try:
        first = cache.add(lock, 1, BUNDLE_LOCK_SECONDS)
    except Exception:  # cache down: queueing twice is harmless (the build is idempotent)
        first = True
    if first:
        task_named("editorial.build_issue_bundle").delay(issue.pk)
    return None


def queue_bundle_build(issue_id: int) -> None:
    """After a rendition of a published issue is stored, build its bundle (a worker)."""
    if tasks_run_in_process():
        return  # in-process mode builds on the first download instead

    def queue():
        try:
            task_named("editorial.build_issue_bundle").delay(issue_id)
        except Exception:  # broker down: the first download queues it
            pass

    transaction.on_commit(queue)


# --- Rate limits for anonymous downloads -----------------------------------------------


def download_allowed(request) -> bool:
    """Whether an anonymous address may start another generated download this minute
    (``EXPORT_DOWNLOADS_PER_MINUTE``; staff are not limited; 0 turns the limit off)."""
    limit = int(getattr(settings, "EXPORT_DOWNLOADS_PER_MINUTE", 60))
    user = getattr(request, "user", None)
    if limit <= 0 or (user is not None and user.is_authenticated and user.is_staff):
        return True
    address = request.META.get("REMOTE_ADDR", "")
    key = f"download-rate:{address}:{int(time.time() // 60)}"
    try:
        if cache.add(key, 1, 120):
            return True
        return cache.incr(key) <= limit
    except Exception:  # the cache is down: do not refuse the public
        return True


# --- Any django-import-export resource, streamed --------------------------------------


def stream_resource_csv(resource, queryset: QuerySet | None = None) -> Iterator[bytes]:
    """A resource's export (the same columns as the admin's) streamed as CSV.

    ``resource.export()`` builds a whole tablib Dataset first; this renders one row at a
    time from a chunked cursor, for tables as large as the subscriber list.
    """
    if queryset is None:
        queryset = resource.get_queryset()
    fields = resource.get_export_fields()
    headers = resource.get_export_headers()

    def rows():
        for instance in queryset.iterator(chunk_size=DB_CHUNK_ROWS):
            yield [resource.export_field(field, instance) for field in fields]

    return stream_csv(headers=headers, rows=rows())


# --- Export jobs: large exports made by a worker ---------------------------------------

EXPORT_PROGRESS_EVERY = 2000  # rows between progress updates


def may_start_export(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm("editorial.export_metric"))


def start_export_job(*, kind: str, user):
    """Record an export and queue it after commit; the admin shows its progress."""
    if not may_start_export(user):
        raise PermissionRefused(_("You may not export key figures."))
    if kind not in ExportJob.Kind.values:
        raise ServiceError(f"Unknown export kind {kind!r}")
    job = ExportJob.objects.create(kind=kind, created_by=user)

    def queue():
        try:
            task_named("editorial.run_export_job").delay(job.pk)
        except Exception as exc:  # broker down: the job stays pending, with the reason
            ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.PENDING).update(
                error=_("The task queue could not be reached: %(error)s") % {"error": exc}
            )

    transaction.on_commit(queue)
    return job


def run_export_job(*, job_id: int):
    """Write the export to storage; safe to run twice (a finished job is left alone)."""
    claimed = ExportJob.objects.filter(
        pk=job_id, state__in=[ExportJob.State.PENDING, ExportJob.State.RUNNING]
    ).update(state=ExportJob.State.RUNNING, progress=0, error="")
    job = ExportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    queryset = all_public_metrics()
    total = max(1, queryset.count())

    def progress(done: int) -> None:
        if done % EXPORT_PROGRESS_EVERY == 0:
            ExportJob.objects.filter(pk=job_id).update(progress=min(99, done * 100 // total))

    try:
        with tempfile.TemporaryFile() as spool:
            if job.kind == ExportJob.Kind.METRICS_XLSX:
                rows = metric_files.write_metrics_xlsx(spool, queryset, progress=progress)
                name = "metrics.xlsx"
            else:
                rows = 0
                for chunk in metric_files.stream_metrics_csv(queryset):
                    spool.write(chunk)
                    rows += chunk.count(b"\n")
                rows = max(0, rows - 1)  # the header line
                name = "metrics.csv"
            spool.seek(0)
            job.file.save(f"{timezone.localdate():%Y%m%d}-{job.pk}-{name}", File(spool), save=False)
    except Exception as exc:
        ExportJob.objects.filter(pk=job_id).update(
            state=ExportJob.State.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    ExportJob.objects.filter(pk=job_id).update(
        state=ExportJob.State.SUCCEEDED, file=job.file.name, rows=rows, progress=100,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job
