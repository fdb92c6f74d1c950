"""Importing a bulletin file (plain text, .docx or PDF) as a draft issue.

The flow is pretix's: parse and validate the whole upload first (pure code in
editorial.parsing), show the editor a preview, then write everything in one short
transaction. Nothing is saved when anything is wrong.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from editorial.models import (
    Article,
    Bulletin,
    Figure,
    ImportJob,
    ImportWarning,
    Indicator,
    Issue,
    Metric,
    Section,
)
from editorial.parsing.keyfigures import KeyFigure, extract_key_figures
from editorial.parsing.tree import BulletinParseError, ParsedBulletin
from editorial.services.errors import ImportRefused, ServiceError
from editorial.services.queueing import delay_after_commit
from editorial.slugs import is_url_slug, validate_url_slug
from editorial.typesetting.bodies import article_body_html, article_summary
from editorial.workflow import IssueState

logger = logging.getLogger(__name__)

ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"


def refusal_message(code: str) -> str:
    """The editor-facing text for a parser's refusal code."""
    messages = {
        "empty": _("The file is empty."),
        "binary": _(
            "The file is not text, a Word file or a PDF: it looks like a binary file (an image "
            "or an archive?)."
        ),
        "scanned-pdf": _(
            "This PDF has no text layer (it may be a scan). Run text recognition on it first, "
            "or import its text instead."
        ),
        "pdf-broken": _("The PDF file is damaged or incomplete and cannot be read."),
        "pdf-unsupported": _("PDF files cannot be read on this server; import the text instead."),
        "encoding": _(
            "The file's encoding could not be recognised. Save it as UTF-8 or GB18030 and try again."
        ),
        "docx-broken": _("The Word file is damaged or incomplete and cannot be read."),
        "no-structure": _(
            "No sections or article titles were recognised. Is this a bulletin? Check the "
            "section names configured for the bulletin."
        ),
        "too-large": _("The file is too large (at most %(size)s MB).")
        % {"size": settings.BULLETIN_IMPORT_MAX_BYTES // (1024 * 1024)},
        "too-expanded": _(
            "The file expands to more than %(size)s MB when unpacked, or holds too many "
            "parts, and is refused. Save it again without embedded objects, or import its "
            "text instead."
        )
        % {"size": package_limits().max_bytes // (1024 * 1024)},
        "too-much-memory": _(
            "Reading the file needed more memory than an import may use, and was stopped. "
            "Import its text instead, or split it."
        ),
        "not-started": _(
            "No worker took the file up within %(minutes)s minutes. Upload it again later, "
            "or tell the administrator."
        )
        % {"minutes": max(1, settings.BULLETIN_IMPORT_QUEUE_SECONDS // 60)},
        "too-slow": _(
            "Reading the file took longer than %(seconds)s seconds and was stopped. Import "
            "its text instead, or split it."
        )
        % {"seconds": settings.BULLETIN_IMPORT_PARSE_SECONDS},
    }
    return messages.get(code, _("The file could not be read as a bulletin."))


def package_limits():
    """The expansion limits for .docx and .xlsx uploads, from the settings."""
    from editorial.parsing.docx_reader import PackageLimits

    return PackageLimits(
        max_bytes=settings.BULLETIN_PACKAGE_MAX_EXPANDED_BYTES,
        max_ratio=settings.BULLETIN_PACKAGE_MAX_RATIO,
        max_entries=settings.BULLETIN_PACKAGE_MAX_ENTRIES,
    )


def detect_format(filename: str, data: bytes) -> str:
    """The upload's format: the bytes' magic number first, then the file name."""
    name = filename.lower()
    if data.startswith(PDF_MAGIC):
        return ImportJob.Format.PDF
    if data.startswith(ZIP_MAGIC):
        return ImportJob.Format.DOCX
    if name.endswith(".pdf"):
        return ImportJob.Format.PDF
    if name.endswith(".docx"):
        return ImportJob.Format.DOCX
    return ImportJob.Format.TEXT


def accepts_overrides(file_format: str) -> bool:
    """Whether the reader for this format honours an editor's per-line roles."""
    if file_format == ImportJob.Format.DOCX:
        from editorial.parsing.docx_reader import parse_docx

        return "overrides" in inspect.signature(parse_docx).parameters
    return file_format in (ImportJob.Format.TEXT, ImportJob.Format.PDF)


def checksum_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_upload(
    *,
    data: bytes,
    filename: str = "",
    sections: list[str] | None = None,
    overrides: dict[int, str] | None = None,
) -> ParsedBulletin:
    """Parse an uploaded bulletin, or raise ImportRefused with a clear message."""
    if len(data) > settings.BULLETIN_IMPORT_MAX_BYTES:
        raise ImportRefused(refusal_message("too-large"), code="too-large")
    file_format = detect_format(filename, data)
    try:
        if file_format == ImportJob.Format.PDF:
            try:
                from editorial.parsing.pdf import parse_pdf
            except ImportError as exc:
                raise ImportRefused(
                    refusal_message("pdf-unsupported"), code="pdf-unsupported"
                ) from exc
            parsed = parse_pdf(data, sections=sections or None, overrides=overrides)
        elif file_format == ImportJob.Format.DOCX:
            from editorial.parsing.docx_reader import parse_docx

            extra = {"overrides": overrides} if overrides and accepts_overrides(file_format) else {}
            parsed = parse_docx(
                data, sections=sections or None, limits=package_limits(), **extra
            )
        else:
            from editorial.parsing.text import parse_bulletin_bytes

            parsed = parse_bulletin_bytes(data, sections=sections or None, overrides=overrides)
    except BulletinParseError as exc:
        raise ImportRefused(refusal_message(exc.code), code=exc.code) from exc
    if not parsed.articles:
        raise ImportRefused(refusal_message("no-structure"), code="no-structure")
    # A caption the file has no image for: the editor attaches one before approval.
    from editorial.services.figures import figure_import_warnings

    parsed.warnings.extend(figure_import_warnings(parsed))
    return parsed


@dataclass
class MetricProposal:
    section_index: int
    article_index: int
    figure: KeyFigure


def propose_metrics(parsed: ParsedBulletin, *, year: int | None) -> list[MetricProposal]:
    proposals = []
    for s_index, section in enumerate(parsed.sections):
        for a_index, article in enumerate(section.articles):
            text = "\n".join(article.paragraphs)
            for figure in extract_key_figures(text, year=year):
                proposals.append(MetricProposal(s_index, a_index, figure))
    return proposals


def number_for_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def dry_run_report(parsed: ParsedBulletin, proposals: list[MetricProposal]) -> dict:
    """The stable ``import_bulletin --dry-run --json`` shape."""
    report = parsed.to_dict()
    report["metrics"] = [
        {
            "indicator": p.figure.indicator,
            "period": p.figure.period,
            "value": number_for_json(p.figure.value),
            "unit": p.figure.unit,
            "yoy": number_for_json(p.figure.yoy) if p.figure.yoy is not None else None,
            "sentence": p.figure.sentence,
        }
        for p in proposals
    ]
    return report


def ensure_bulletin(*, slug: str, sections: list[str] | None, name: str | None = None):
    """The bulletin with this slug, created with ``sections`` when missing.

    Returns (bulletin, created).
    """
    bulletin = Bulletin.objects.filter(slug=slug).first()
    if bulletin:
        return bulletin, False
    if not is_url_slug(slug):
        raise ImportRefused(str(validate_url_slug.message), code="bad-slug")
    name = name or slug
    if Bulletin.objects.filter(name=name).exists():
        # The name read from the file belongs to another bulletin (names are unique):
        # keep it recognisable and tell the two apart by the slug the editor gave.
        name = f"{name}（{slug}）"
    bulletin = Bulletin.objects.create(slug=slug, name=name)
    for position, section_name in enumerate(sections or [], start=1):
        # The slug is made from the name's pinyin when the section is saved.
        Section.objects.create(bulletin=bulletin, name=section_name, position=position)
    return bulletin, True


def section_names(bulletin: Bulletin) -> list[str]:
    return list(bulletin.sections.order_by("position").values_list("name", flat=True))


def _normalised(name: str) -> str:
    return "".join(name.split())


def _section_for(bulletin: Bulletin, title: str, by_name: dict[str, Section]) -> Section:
    """The bulletin's section called ``title``; an unknown one is added at the end."""
    key = _normalised(title)
    if key in by_name:
        return by_name[key]
    if not key:
        # Articles before any section heading go into the first section.
        if by_name:
            return next(iter(by_name.values()))
        key = title = _("Other")
    position = (bulletin.sections.aggregate(m=Max("position"))["m"] or 0) + 1
    section = Section.objects.create(bulletin=bulletin, name=title, position=position)
    by_name[key] = section
    return section


def _indicators_for(wanted: dict[str, str]) -> dict[str, Indicator]:
    """The indicator for each name (name → unit of its first figure), new ones created.

    One query finds the existing indicators, one the slugs already taken, and the new
    indicators (with their history rows) are inserted in bulk: a big issue proposes
    thousands of figures, and a query or two per indicator name made its import slow.
    """
    found: dict[str, Indicator] = {}
    for indicator in Indicator.objects.filter(name__in=list(wanted)):
        found.setdefault(_normalised(indicator.name), indicator)
    missing = {}
    for name, unit in wanted.items():
        if _normalised(name) not in found:
            missing.setdefault(_normalised(name), (name, unit))
    if not missing:
        return found
    bases = {key: slugify(name, allow_unicode=True)[:120] or "indicator"
             for key, (name, _unit) in missing.items()}
    taken = set(
        Indicator.objects.filter(slug__in=set(bases.values())).values_list("slug", flat=True)
    )
    created = []
    for key, (name, unit) in missing.items():
        slug, counter = bases[key], 1
        while slug in taken:
            counter += 1
            slug = f"{bases[key]}-{counter}"
            if counter == 2:  # suffixes of earlier imports: one look for this base only
                taken |= set(
                    Indicator.objects.filter(slug__startswith=f"{bases[key]}-")
                    .values_list("slug", flat=True)
                )
        taken.add(slug)
        created.append(Indicator(name=name, slug=slug, unit=unit, confirmed=False))
    for indicator in bulk_create_with_history(created, Indicator):
        found[_normalised(indicator.name)] = indicator
    return found


def next_issue_number(bulletin: Bulletin, *, year: int | None = None) -> int:
    """The next free number: after the highest of ``year`` (or of the bulletin's latest
    year, when ``year`` has none yet), and never one another issue of the bulletin has."""
    issues = bulletin.issues.all()
    highest = None
    if year is not None:
        highest = issues.filter(volume=year).aggregate(m=Max("number"))["m"]
    if highest is None:
        highest = issues.aggregate(m=Max("number"))["m"]
    number = (highest or 0) + 1
    taken = set(issues.filter(number__gte=number).values_list("number", flat=True))
    while number in taken:
        number += 1
    return number


def issue_with_number(bulletin: Bulletin, number: int) -> Issue | None:
    return bulletin.issues.filter(number=number).first()


def number_clash_message(bulletin: Bulletin, number: int) -> str:
    return _(
        "%(bulletin)s already has an issue number %(number)s; choose another number."
    ) % {"bulletin": bulletin.name, "number": number}


def default_issue_number(
    bulletin: Bulletin, *, parsed: ParsedBulletin, issue_date: date | None
) -> tuple[int, str]:
    """The number an import gets when none is given, and where it comes from.

    The number the file states (``"file"``), else the next free one (``"next"``).
    """
    if parsed.issue_number:
        return parsed.issue_number, "file"
    year = issue_date.year if issue_date else None
    return next_issue_number(bulletin, year=year), "next"


@transaction.atomic
def import_bulletin(
    *,
    parsed: ParsedBulletin,
    bulletin: Bulletin,
    user,
    issue_date: date | None = None,
    number: int | None = None,
    job: ImportJob | None = None,
) -> Issue:
    """Create a draft issue (sections ▸ articles ▸ figures, suggested metrics) in one go.

    Without ``number`` the issue gets the number the file states, else the next free one.
    """
    issue_date = issue_date or parsed.issue_date or timezone.localdate()
    if number is None:
        number, _source = default_issue_number(bulletin, parsed=parsed, issue_date=issue_date)
    if Issue.objects.filter(bulletin=bulletin, number=number).exists():
        raise ImportRefused(number_clash_message(bulletin, number), code="duplicate-number")
    try:
        with transaction.atomic():
            issue = Issue.objects.create(
                bulletin=bulletin,
                number=number,
                volume=issue_date.year,
                issue_date=issue_date,
                state=IssueState.ASSEMBLING,
                created_by=user,
            )
    except IntegrityError as exc:  # another import took the number meanwhile
        raise ImportRefused(
            _("Another import took issue number %(number)s meanwhile; try again.")
            % {"number": number},
            code="duplicate-number",
        ) from exc

    sections = {_normalised(s.name): s for s in bulletin.sections.order_by("position")}
    articles: dict[tuple[int, int], Article] = {}
    positions: dict[int, int] = {}
    for s_index, parsed_section in enumerate(parsed.sections):
        section = _section_for(bulletin, parsed_section.title, sections)
        for a_index, parsed_article in enumerate(parsed_section.articles):
            positions[section.pk] = positions.get(section.pk, 0) + 1
            article = Article.objects.create(
                issue=issue,
                section=section,
                position=positions[section.pk],
                title=parsed_article.title[:300],
                summary=article_summary(parsed_article),
                body=article_body_html(parsed_article),
                created_by=user,
            )
            Figure.objects.bulk_create(
                Figure(
                    article=article,
                    position=position,
                    caption=figure.caption[:300],
                    source_line=(figure.source or "")[:300],
                )
                for position, figure in enumerate(parsed_article.figures, start=1)
            )
            articles[(s_index, a_index)] = article

    _save_metric_proposals(issue, parsed, articles)
    ImportWarning.objects.bulk_create(
        ImportWarning(
            issue=issue, job=job, line=w.line, code=w.code, message=w.message, text=w.text
        )
        for w in parsed.warnings
    )
    if job is not None:
        job.issue = issue
        job.state = ImportJob.State.SUCCEEDED
        job.progress = 100
        job.finished_at = timezone.now()
        job.save(update_fields=["issue", "state", "progress", "finished_at"])
    logger.info("Imported issue %s (%s articles)", issue.pk, len(articles))
    return issue


def _save_metric_proposals(issue: Issue, parsed: ParsedBulletin, articles: dict) -> None:
    seen: set[tuple[int, str]] = set()
    metrics = []
    proposals = propose_metrics(parsed, year=issue.issue_date.year)
    wanted: dict[str, str] = {}
    for proposal in proposals:
        wanted.setdefault(proposal.figure.indicator[:120], proposal.figure.unit)
    indicators = _indicators_for(wanted)
    for proposal in proposals:
        figure = proposal.figure
        indicator = indicators[_normalised(figure.indicator[:120])]
        key = (indicator.pk, (figure.period or "")[:60])
        if key in seen:  # the natural key allows one value per indicator and period
            continue
        seen.add(key)
        metrics.append(
            Metric(
                indicator=indicator,
                issue=issue,
                article=articles[(proposal.section_index, proposal.article_index)],
                sentence=figure.sentence,
                period_label=key[1],
                period_start=figure.period_start,
                period_end=figure.period_end,
                value=figure.value,
                unit=figure.unit[:30],
                yoy_percent=figure.yoy,
                status=Metric.Status.SUGGESTED,
            )
        )
    Metric.objects.bulk_create(metrics)


# --- Import jobs: upload ▸ preview ▸ confirm (the admin's flow) ------------------------


def can_import(user) -> bool:
    return bool(user and user.is_active and user.has_perm("editorial.add_importjob"))


def create_import_job(*, data: bytes, filename: str, bulletin: Bulletin, user, options=None):
    """Keep an upload for preview. Nothing but the ImportJob row and its file is written."""
    from django.core.files.base import ContentFile

    from editorial.services.errors import PermissionRefused

    if not can_import(user):
        raise PermissionRefused(_("You may not import bulletins."))
    if not data:
        raise ImportRefused(refusal_message("empty"), code="empty")
    if len(data) > settings.BULLETIN_IMPORT_MAX_BYTES:
        raise ImportRefused(refusal_message("too-large"), code="too-large")
    job = ImportJob(
        original_name=filename[:255],
        checksum=checksum_of(data),
        format=detect_format(filename, data),
        bulletin=bulletin,
        options=options or {},
        created_by=user,
    )
    job.file.save(f"{job.checksum[:16]}-{slugify(filename)[:60] or 'upload'}", ContentFile(data), save=False)
    job.save()
    return job


def job_overrides(job: ImportJob) -> dict[int, str]:
    return {int(line): role for line, role in (job.options.get("overrides") or {}).items()}


def _job_bytes(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def _require_import_permission(user) -> None:
    from editorial.services.errors import PermissionRefused

    if not can_import(user):
        raise PermissionRefused(_("You may not import bulletins."))


def _require_open_job(job: ImportJob) -> None:
    if job.issue_id or job.state in (ImportJob.State.RUNNING, ImportJob.State.SUCCEEDED):
        raise ImportRefused(
            _("This upload has already been imported; its preview can no longer be changed."),
            code="imported",
        )


@dataclass
class DuplicateImport:
    """An existing issue the upload may repeat: ``reason`` is "same-file" or "same-date"."""

    reason: str
    issue: Issue


def find_duplicate_imports(*, job: ImportJob, issue_date: date | None) -> list[DuplicateImport]:
    """Issues this upload may already be: made from the same file (any bulletin), or of
    the same bulletin and issue date."""
    found: dict[int, DuplicateImport] = {}
    earlier_jobs = (
        ImportJob.objects.filter(checksum=job.checksum, issue__isnull=False)
        .exclude(pk=job.pk)
        .select_related("issue__bulletin")
        .order_by("created_at")
    )
    for earlier in earlier_jobs:
        found.setdefault(earlier.issue_id, DuplicateImport("same-file", earlier.issue))
    if job.bulletin_id and issue_date:
        same_date = Issue.objects.filter(bulletin_id=job.bulletin_id, issue_date=issue_date)
        for issue in same_date.select_related("bulletin").order_by("number"):
            found.setdefault(issue.pk, DuplicateImport("same-date", issue))
    return list(found.values())


def job_issue_date(job: ImportJob, parsed: ParsedBulletin | None = None) -> date | None:
    """The date the issue will get: the one given at upload, else the file's."""
    options = job.options or {}
    if options.get("date"):
        return date.fromisoformat(options["date"])
    if parsed is not None:
        return parsed.issue_date
    reported = (job.report or {}).get("date")
    return date.fromisoformat(reported) if reported else None


@dataclass
class ImportPreview:
    """What the preview shows: the parse with the editor's corrections, and the checks."""

    report: dict  # the dry-run shape plus warnings, kept on the job
    parsed: ParsedBulletin
    issue_date: date | None
    number: int
    number_source: str  # "editor", "file" or "next"
    number_taken_by: Issue | None
    duplicates: list[DuplicateImport]
    accepts_overrides: bool


class PreviewPending(ServiceError):
    """The preview's parse runs in a worker; the admin shows the job's progress."""


def parses_in_background(job: ImportJob) -> bool:
    """Whether the preview's parse of this upload is a worker's job, not the request's:
    every .docx and PDF, and any file above a small size, when a broker is configured."""
    from celery import current_app

    if current_app.conf.task_always_eager:
        return False
    if job.format in (ImportJob.Format.DOCX, ImportJob.Format.PDF):
        return True
    return (job.file.size or 0) > settings.BULLETIN_IMPORT_INLINE_PARSE_BYTES


def _parse_key(job: ImportJob) -> str:
    """What a parse depends on: the file, the editor's corrections, the sections."""
    sections = section_names(job.bulletin) if job.bulletin else []
    raw = f"{job.checksum}|{sorted(job_overrides(job).items())}|{sections}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _parsed_name(job: ImportJob, key: str) -> str:
    return f"imports/parsed/{job.pk}-{key[:24]}.pickle"


def _stored_parse(job: ImportJob, key: str) -> ParsedBulletin | None:
    # Only for files this application signed (below) (bandit B403 reviewed).
    import pickle  # nosec B403

    from django.core.files.storage import default_storage
    from django.utils.crypto import constant_time_compare

    name = (job.report or {}).get("parsed_file")
    if not name or (job.report or {}).get("parse_key") != key or name != _parsed_name(job, key):
        return None
    try:
        with default_storage.open(name, "rb") as handle:
            stored = handle.read()
    except OSError:
        return None
    # Written by this application's worker and signed with SECRET_KEY: a file planted in
    # shared storage (a bucket others can write to) is refused unread, never unpickled.
    signature, data = stored[:_PARSE_SIGNATURE_BYTES], stored[_PARSE_SIGNATURE_BYTES:]
    if not constant_time_compare(signature, _parse_signature(data)):
        return None
    try:
        # Signed above, by us (bandit B301 reviewed).
        return pickle.loads(data)  # nosec B301
    except (EOFError, pickle.UnpicklingError, AttributeError):
        return None


def _store_parse(job: ImportJob, key: str, parsed: ParsedBulletin) -> str:
    # The file is signed, see _stored_parse (bandit B403 reviewed).
    import pickle  # nosec B403

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = _parsed_name(job, key)
    if default_storage.exists(name):
        default_storage.delete(name)
    data = pickle.dumps(parsed)
    return default_storage.save(name, ContentFile(_parse_signature(data) + data))


_PARSE_SIGNATURE_BYTES = 32


def _parse_signature(data: bytes) -> bytes:
    from django.utils.crypto import salted_hmac

    return salted_hmac("editorial.stored-parse", data, algorithm="sha256").digest()


@contextmanager
def parse_time_guard(seconds: int):
    """Stop a parse that runs past ``seconds`` (in-process mode; workers have Celery's
    time limits). Only the main thread can take an alarm; elsewhere it does nothing."""
    import signal
    import threading

    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum, _frame):
        raise ImportRefused(refusal_message("too-slow"), code="too-slow")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def request_preview_parse(*, job: ImportJob) -> None:
    """Queue the worker's parse for the preview, unless the same one is queued already."""
    key = _parse_key(job)
    report = job.report or {}
    if job.state == ImportJob.State.PENDING and report.get("parse_key") == key and not job.error:
        return
    job.state = ImportJob.State.PENDING
    job.progress = 1
    job.error = ""
    job.report = {"parse_key": key, "parse_queued_at": timezone.now().isoformat()}
    job.save(update_fields=["state", "progress", "error", "report"])
    delay_after_commit("editorial.parse_import_preview", job.pk, key)


def fail_import_job_for(*, job_id: int, code: str) -> None:
    """End a job as failed with the editor-facing message for a refusal ``code``."""
    from editorial.services.import_jobs import fail_import_job

    fail_import_job(job_id=job_id, error=refusal_message(code))


def run_preview_parse(*, job_id: int, key: str) -> str:
    """The worker's side of a preview: parse, keep the tree for the preview, report.

    Idempotent: a parse for other corrections, or one already done, is skipped. A second
    delivery of the same parse (the first killed its worker) ends the job as failed
    rather than trying again for ever.
    """
    job = ImportJob.objects.select_related("bulletin").filter(pk=job_id).first()
    if job is None or job.state != ImportJob.State.PENDING:
        return "skipped"
    report = job.report or {}
    if report.get("parse_key") != key or _parse_key(job) != key:
        return "skipped"
    if report.get("parse_started_at"):
        fail_import_job_for(job_id=job_id, code="too-slow")
        return ImportJob.State.FAILED
    report = {**report, "parse_started_at": timezone.now().isoformat()}
    ImportJob.objects.filter(pk=job_id).update(report=report, progress=10)
    job.report = report
    try:
        preview_import_job(job=job, in_worker=True)
    except ImportRefused:
        return ImportJob.State.FAILED  # preview_import_job recorded the message
    return ImportJob.State.PREVIEWED


def fail_stalled_import_job(job: ImportJob) -> ImportJob:
    """A preview parse whose worker died past every time limit ends as failed."""
    from datetime import datetime, timedelta

    report = job.report or {}
    if job.state != ImportJob.State.PENDING or not report.get("parse_queued_at"):
        return job
    now = timezone.now()
    started = report.get("parse_started_at")
    limit = timedelta(seconds=settings.BULLETIN_IMPORT_PARSE_SECONDS + 45)
    if started and now - datetime.fromisoformat(started) > limit:
        fail_import_job_for(job_id=job.pk, code="too-slow")
        job.refresh_from_db()
    elif not started and now - datetime.fromisoformat(report["parse_queued_at"]) > timedelta(
        seconds=settings.BULLETIN_IMPORT_QUEUE_SECONDS
    ):
        fail_import_job_for(job_id=job.pk, code="not-started")
        job.refresh_from_db()
    return job


def preview_import_job(*, job: ImportJob, in_worker: bool = False) -> ImportPreview:
    """Parse the job's file (with the editor's corrections) and keep the report on the job.

    The preview also proposes the issue number and looks for an issue this upload may
    repeat; nothing but the job row is written. A heavy upload is parsed by a worker
    (``PreviewPending`` is raised after queueing it); its tree is kept for the preview.
    """
    data = _job_bytes(job)
    if checksum_of(data) != job.checksum:
        raise ImportRefused(_("The stored upload has changed; upload the file again."), code="changed")
    background = in_worker or parses_in_background(job)
    key = _parse_key(job) if background else ""
    parsed = _stored_parse(job, key) if background else None
    if parsed is None and background and not in_worker:
        request_preview_parse(job=job)
        raise PreviewPending(_("The file is being read."))
    if parsed is None:
        try:
            with parse_time_guard(0 if in_worker else settings.BULLETIN_IMPORT_PARSE_SECONDS):
                parsed = parse_upload(
                    data=data,
                    filename=job.original_name,
                    sections=section_names(job.bulletin) if job.bulletin else None,
                    overrides=job_overrides(job),
                )
        except ImportRefused as exc:
            ImportJob.objects.filter(pk=job.pk).update(
                state=ImportJob.State.FAILED, error=str(exc), finished_at=timezone.now()
            )
            raise
    issue_date = job_issue_date(job, parsed)
    year = issue_date.year if issue_date else None
    report = dry_run_report(parsed, propose_metrics(parsed, year=year))
    report["warnings"] = [
        {"line": w.line, "message": w.message, "code": w.code, "text": w.text}
        for w in parsed.warnings
    ]
    report["encoding"] = parsed.encoding
    options = job.options or {}
    if options.get("number"):
        number, source = int(options["number"]), "editor"
    elif job.bulletin:
        number, source = default_issue_number(job.bulletin, parsed=parsed, issue_date=issue_date)
    else:
        number, source = parsed.issue_number or 1, "file" if parsed.issue_number else "next"
    report["number"] = number
    report["number_source"] = source
    taken_by = issue_with_number(job.bulletin, number) if job.bulletin else None
    duplicates = find_duplicate_imports(job=job, issue_date=issue_date)
    report["duplicates"] = [{"reason": d.reason, "issue": d.issue.pk} for d in duplicates]
    if in_worker:
        report["parse_key"] = key
        report["parsed_file"] = _store_parse(job, key, parsed)
    elif background:
        report["parse_key"] = key
        report["parsed_file"] = (job.report or {}).get("parsed_file")
    job.report = report
    job.state = ImportJob.State.PREVIEWED
    job.progress = 100 if background else job.progress
    job.save(update_fields=["report", "state", "progress"])
    return ImportPreview(
        report=report,
        parsed=parsed,
        issue_date=issue_date,
        number=number,
        number_source=source,
        number_taken_by=taken_by,
        duplicates=duplicates,
        accepts_overrides=accepts_overrides(job.format),
    )


def set_import_overrides(
    *, job: ImportJob, overrides: Mapping[int, str | None], user
) -> ImportJob:
    """Add the editor's line roles to those already on the job.

    ``{line: role}`` sets a line's role; an empty role gives the line back to the parser.
    Lines not mentioned keep their earlier correction.
    """
    from editorial.parsing.text import OVERRIDE_ROLES

    _require_import_permission(user)
    _require_open_job(job)
    bad_lines = [line for line in overrides if not isinstance(line, int) or line < 1]
    bad_roles = {role for role in overrides.values() if role and role not in OVERRIDE_ROLES}
    if bad_lines or bad_roles:
        raise ImportRefused(_("The corrections name an unknown line or role; reload the page."))
    current = job_overrides(job)
    for line, role in overrides.items():
        if role:
            current[line] = role
        else:
            current.pop(line, None)
    job.options = {**job.options, "overrides": {str(k): v for k, v in sorted(current.items())}}
    job.save(update_fields=["options"])
    return job


def set_import_number(*, job: ImportJob, number: int | None, user) -> ImportJob:
    """The issue number the editor chose (``None``: the file's or the next free one)."""
    _require_import_permission(user)
    _require_open_job(job)
    options = dict(job.options or {})
    if number is None:
        options.pop("number", None)
    else:
        if number < 1:
            raise ImportRefused(_("The issue number must be 1 or more."), code="bad-number")
        if job.bulletin and issue_with_number(job.bulletin, number):
            raise ImportRefused(number_clash_message(job.bulletin, number), code="duplicate-number")
        options["number"] = number
    if options != job.options:
        job.options = options
        job.save(update_fields=["options"])
    return job


def confirm_import_job(
    *, job: ImportJob, user, checksum: str, import_anyway: bool = False
) -> ImportJob:
    """Import what the editor previewed: the same file (by checksum), the same corrections,
    the number the preview showed.

    An upload that repeats an existing issue (same file, or same bulletin and date) is
    imported only with ``import_anyway``. Large files run in a Celery task (the admin
    shows progress); small ones right away.
    """
    _require_import_permission(user)
    if checksum != job.checksum:
        raise ImportRefused(
            _("This is not the file you previewed. Preview it again before confirming."),
            code="changed",
        )
    if job.state in (ImportJob.State.PENDING, ImportJob.State.PREVIEWED):
        if not import_anyway and find_duplicate_imports(job=job, issue_date=job_issue_date(job)):
            raise ImportRefused(
                _("This bulletin seems to have been imported already (see the warning). Tick "
                  "“Import anyway” to import it again."),
                code="duplicate",
            )
        number = (job.options or {}).get("number") or (job.report or {}).get("number")
        if number and job.bulletin and issue_with_number(job.bulletin, int(number)):
            raise ImportRefused(
                number_clash_message(job.bulletin, int(number)), code="duplicate-number"
            )
        if number and not (job.options or {}).get("number"):
            # The number the preview showed is the one the issue gets.
            job.options = {**job.options, "number": int(number)}
            ImportJob.objects.filter(pk=job.pk).update(options=job.options)
    updated = ImportJob.objects.filter(
        pk=job.pk, state__in=[ImportJob.State.PENDING, ImportJob.State.PREVIEWED]
    ).update(state=ImportJob.State.RUNNING, progress=5)
    if not updated:  # confirmed twice (double click, two tabs): the first one wins
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    if job.file.size > settings.BULLETIN_IMPORT_ASYNC_BYTES or parses_in_background(job):
        delay_after_commit("editorial.run_import_job", job.pk)
    else:
        run_import_job(job_id=job.pk)
        job.refresh_from_db()
    return job


def run_import_job(*, job_id: int) -> Issue | None:
    """Parse and save a confirmed job; safe to run twice (a saved job is left alone)."""
    job = ImportJob.objects.select_related("bulletin", "created_by").get(pk=job_id)
    if job.issue_id:
        return job.issue
    try:
        data = _job_bytes(job)
        if checksum_of(data) != job.checksum:
            raise ImportRefused(_("The stored upload has changed; upload the file again."))
        parsed = parse_upload(
            data=data,
            filename=job.original_name,
            sections=section_names(job.bulletin),
            overrides=job_overrides(job),
        )
        ImportJob.objects.filter(pk=job.pk).update(progress=40)
        options = job.options or {}
        issue_date = date.fromisoformat(options["date"]) if options.get("date") else None
        return import_bulletin(
            parsed=parsed,
            bulletin=job.bulletin,
            user=job.created_by,
            issue_date=issue_date,
            number=int(options["number"]) if options.get("number") else None,
            job=job,
        )
    except ImportRefused as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED, error=str(exc), finished_at=timezone.now()
        )
        return None
