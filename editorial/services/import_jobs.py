"""An import job's lifecycle, the admin's flow: upload ▸ preview ▸ confirm ▸ import.

``create_import_job`` keeps the upload; the editor's corrections and chosen number are
kept on the job (``set_import_overrides``, ``set_import_number``); ``confirm_import_job``
imports what the preview showed, on a worker for big files (``run_import_job``). A job
that cannot finish ends through ``fail_import_job``, whoever notices: the import, the
preview, the worker's task or the admin finding a stalled parse. The preview itself is
editorial.services.import_previews.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from editorial.models import Bulletin, ImportJob, Issue
from editorial.operations.upload_limits import import_size_refusal
from editorial.parsing.text import OVERRIDE_ROLES
from editorial.selectors.imports import (
    find_duplicate_imports,
    issue_with_number,
    job_issue_date,
    job_overrides,
    job_upload_bytes,
    section_names,
)
from editorial.services.audit import record_action
from editorial.services.errors import ImportRefused, PermissionRefused
from editorial.services.importing import import_bulletin, number_clash_message
from editorial.services.queueing import delay_after_commit, tasks_run_in_process
from editorial.services.upload_parsing import (
    checksum_of,
    detect_format,
    parse_upload,
    refusal_message,
)

ERROR_LIMIT = 4000


def can_import(user) -> bool:
    return bool(user and user.is_active and user.has_perm("editorial.add_importjob"))


def _require_import_permission(user) -> None:
    if not can_import(user):
        raise PermissionRefused(_("You may not import bulletins."))


def _require_open_job(job: ImportJob) -> None:
    if job.issue_id or job.state in (ImportJob.State.RUNNING, ImportJob.State.SUCCEEDED):
        raise ImportRefused(
            _("This upload has already been imported; its preview can no longer be changed."),
            code="imported",
        )


def create_import_job(*, data: bytes, filename: str, bulletin: Bulletin, user, options=None):
    """Keep an upload for preview. Nothing but the ImportJob row and its file is written."""
    _require_import_permission(user)
    if not data:
        raise ImportRefused(refusal_message("empty"), code="empty")
    if refusal := import_size_refusal(len(data)):
        raise ImportRefused(refusal, code="too-large")
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


def parses_in_background(job: ImportJob) -> bool:
    """Whether the preview's parse of this upload is a worker's job, not the request's:
    every .docx and PDF, and any file above a small size, when a broker is configured."""
    if tasks_run_in_process():
        return False
    if job.format in (ImportJob.Format.DOCX, ImportJob.Format.PDF):
        return True
    return (job.file.size or 0) > settings.BULLETIN_IMPORT_INLINE_PARSE_BYTES


# --- The editor's choices, kept on the job until the confirm -------------------------


def set_import_overrides(
    *, job: ImportJob, overrides: Mapping[int, str | None], user
) -> ImportJob:
    """Add the editor's line roles to those already on the job.

    ``{line: role}`` sets a line's role; an empty role gives the line back to the parser.
    Lines not mentioned keep their earlier correction.
    """
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


# --- Confirm and import ----------------------------------------------------------------


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
        _check_confirmable(job, import_anyway=import_anyway)
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


def _check_confirmable(job: ImportJob, *, import_anyway: bool) -> None:
    """Refuse a repeat of an existing issue or a number taken since the preview; keep the
    number the preview showed on the job, so the issue gets that one."""
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


def run_import_job(*, job_id: int) -> Issue | None:
    """Parse and save a confirmed job; safe to run twice (a saved job is left alone)."""
    job = ImportJob.objects.select_related("bulletin", "created_by").get(pk=job_id)
    if job.issue_id:
        return job.issue
    try:
        data = job_upload_bytes(job)
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
        fail_import_job(job_id=job.pk, error=str(exc))
        return None


# --- Failing -----------------------------------------------------------------------------


@transaction.atomic
def fail_import_job(*, job_id: int, error: str, user=None) -> ImportJob | None:
    """Mark the job failed with ``error`` (the worker calls this; ``user`` is None then).

    A job that already succeeded is left alone, so a late duplicate task cannot undo it.
    """
    job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.state == ImportJob.State.SUCCEEDED:
        return job
    from_state = job.state
    job.state = ImportJob.State.FAILED
    job.error = error[:ERROR_LIMIT]
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "error", "finished_at"])
    record_action(user=user, action="import_job.fail", obj=job, issue=job.issue,
                  changes={"state": [from_state, job.state], "error": job.error})
    return job


def fail_import_job_for(*, job_id: int, code: str) -> None:
    """End a job as failed with the editor-facing message for a refusal ``code``."""
    fail_import_job(job_id=job_id, error=refusal_message(code))


def fail_stalled_import_job(job: ImportJob) -> ImportJob:
    """A preview parse whose worker died past every time limit ends as failed."""
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
