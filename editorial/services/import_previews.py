"""The preview of an uploaded bulletin: its parse, the proposed number, likely repeats.

A light upload is parsed in the request. A heavy one (every .docx and PDF when a broker
is configured) is parsed by a worker, which keeps the tree in storage, signed, so the
preview page shows it without parsing again; ``PreviewPending`` tells the admin to show
the job's progress meanwhile. Only the job row (and the kept tree) is written.
"""

from __future__ import annotations

import hashlib
import pickle  # nosec B403 - only files this application signed are read, see _stored_parse
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from editorial.models import ImportJob, Issue
from editorial.parsing.tree import ParsedBulletin
from editorial.selectors.imports import (
    DuplicateImport,
    default_issue_number,
    find_duplicate_imports,
    issue_with_number,
    job_issue_date,
    job_overrides,
    job_upload_bytes,
    section_names,
)
from editorial.services.errors import ImportRefused, ServiceError
from editorial.services.import_jobs import (
    fail_import_job,
    fail_import_job_for,
    parses_in_background,
)
from editorial.services.queueing import delay_after_commit
from editorial.services.upload_parsing import (
    accepts_overrides,
    checksum_of,
    dry_run_report,
    parse_upload,
    propose_metrics,
    refusal_message,
)


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


# --- The parse a worker keeps for the preview --------------------------------------------


def _parse_key(job: ImportJob) -> str:
    """What a parse depends on: the file, the editor's corrections, the sections."""
    sections = section_names(job.bulletin) if job.bulletin else []
    raw = f"{job.checksum}|{sorted(job_overrides(job).items())}|{sections}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _parsed_name(job: ImportJob, key: str) -> str:
    return f"imports/parsed/{job.pk}-{key[:24]}.pickle"


def _stored_parse(job: ImportJob, key: str) -> ParsedBulletin | None:
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
    name = _parsed_name(job, key)
    if default_storage.exists(name):
        default_storage.delete(name)
    data = pickle.dumps(parsed)
    return default_storage.save(name, ContentFile(_parse_signature(data) + data))


_PARSE_SIGNATURE_BYTES = 32


def _parse_signature(data: bytes) -> bytes:
    return salted_hmac("editorial.stored-parse", data, algorithm="sha256").digest()


@contextmanager
def parse_time_guard(seconds: int):
    """Stop a parse that runs past ``seconds`` (in-process mode; workers have Celery's
    time limits). Only the main thread can take an alarm; elsewhere it does nothing."""
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


# --- The worker's side ---------------------------------------------------------------------


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


# --- The preview ---------------------------------------------------------------------------


def preview_import_job(*, job: ImportJob, in_worker: bool = False) -> ImportPreview:
    """Parse the job's file (with the editor's corrections) and keep the report on the job.

    The preview also proposes the issue number and looks for an issue this upload may
    repeat; nothing but the job row is written. A heavy upload is parsed by a worker
    (``PreviewPending`` is raised after queueing it); its tree is kept for the preview.
    """
    data = job_upload_bytes(job)
    if checksum_of(data) != job.checksum:
        raise ImportRefused(_("The stored upload has changed; upload the file again."), code="changed")
    background = in_worker or parses_in_background(job)
    key = _parse_key(job) if background else ""
    parsed = _stored_parse(job, key) if background else None
    if parsed is None and background and not in_worker:
        request_preview_parse(job=job)
        raise PreviewPending(_("The file is being read."))
    if parsed is None:
        parsed = _parse_for_preview(job, data, in_worker=in_worker)
    issue_date = job_issue_date(job, parsed)
    report = _preview_report(parsed, issue_date)
    number, source = _proposed_number(job, parsed, issue_date)
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


def _parse_for_preview(job: ImportJob, data: bytes, *, in_worker: bool) -> ParsedBulletin:
    """Parse the upload with the editor's corrections; a refusal ends the job as failed."""
    try:
        with parse_time_guard(0 if in_worker else settings.BULLETIN_IMPORT_PARSE_SECONDS):
            return parse_upload(
                data=data,
                filename=job.original_name,
                sections=section_names(job.bulletin) if job.bulletin else None,
                overrides=job_overrides(job),
            )
    except ImportRefused as exc:
        fail_import_job(job_id=job.pk, error=str(exc))
        raise


def _preview_report(parsed: ParsedBulletin, issue_date: date | None) -> dict:
    year = issue_date.year if issue_date else None
    report = dry_run_report(parsed, propose_metrics(parsed, year=year))
    report["warnings"] = [
        {"line": w.line, "message": w.message, "code": w.code, "text": w.text}
        for w in parsed.warnings
    ]
    report["encoding"] = parsed.encoding
    return report


def _proposed_number(
    job: ImportJob, parsed: ParsedBulletin, issue_date: date | None
) -> tuple[int, str]:
    """The number the issue will get, and where it comes from: the editor, the file or
    the next free one."""
    options = job.options or {}
    if options.get("number"):
        return int(options["number"]), "editor"
    if job.bulletin:
        return default_issue_number(job.bulletin, parsed=parsed, issue_date=issue_date)
    return parsed.issue_number or 1, "file" if parsed.issue_number else "next"
