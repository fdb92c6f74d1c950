"""Big table imports as Celery jobs the admin watches: the check, then the write.

A file above ``BULLETIN_TABLE_IMPORT_ASYNC_BYTES`` is not checked inside the upload
request: it is kept on an ImportJob and a worker validates it (the preview), reporting
its progress on the job. The file is deleted once checked; the job keeps the plan. The
editor's confirm hands the plan to a worker again, which writes it as the inline path
does (``write_validated``). Each task re-reads its job and does nothing unless the job is
in the state it expects, so a task delivered twice changes nothing.
"""

from __future__ import annotations

from uuid import uuid4

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.models import ImportJob
from editorial.operations.upload_limits import import_size_refusal
from editorial.services.errors import ImportRefused, PermissionRefused
from editorial.services.queueing import delay_after_commit
from editorial.tables.definitions import TABLES
from editorial.tables.reading import is_xlsx_upload
from editorial.tables.service import (
    TableImportRefused,
    ValidatedTable,
    _refused,
    checksum_of,
    expired_message,
    require_import_permission,
    validate_table,
    write_validated,
)

ERROR_LIMIT = 4000


def runs_in_background(data: bytes) -> bool:
    return len(data) > int(getattr(settings, "BULLETIN_TABLE_IMPORT_ASYNC_BYTES", 256 * 1024))


def start_table_check(*, table: str, data: bytes, user, file_name: str = "") -> ImportJob:
    """Keep the upload on a new job and queue its check; nothing else is written."""
    require_import_permission(user, TABLES[table])
    if refusal := import_size_refusal(len(data)):
        raise ImportRefused(refusal, code="too-large")
    xlsx = is_xlsx_upload(file_name, data)
    job = ImportJob(
        format=ImportJob.Format.XLSX if xlsx else ImportJob.Format.CSV,
        original_name=file_name[:255],
        checksum=checksum_of(data),
        options={"table": table, "background": True},
        state=ImportJob.State.PENDING,
        progress=1,
        created_by=user if getattr(user, "pk", None) else None,
    )
    job.file.save(f"{uuid4().hex}.{'xlsx' if xlsx else 'csv'}", ContentFile(data), save=False)
    job.save()
    delay_after_commit("editorial.check_table_import", job.pk)
    return job


def _progress(job_id: int, low: int, high: int):
    def report(fraction: float) -> None:
        ImportJob.objects.filter(pk=job_id).update(progress=int(low + (high - low) * fraction))

    return report


def _fail(job: ImportJob, message: str, report: dict | None = None) -> None:
    job.state = ImportJob.State.FAILED
    job.error = message[:ERROR_LIMIT]
    job.finished_at = timezone.now()
    job.report = report or {}
    job.save(update_fields=["state", "error", "finished_at", "report"])


def run_table_check(*, job_id: int) -> str:
    """The worker's check of an upload: the plan kept on the job, or every problem."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.state != ImportJob.State.PENDING or not job.file:
        return "skipped"
    table = (job.options or {}).get("table", "")
    with job.file.open("rb") as handle:
        data = handle.read()
    try:
        validated = validate_table(
            table=table, data=data, user=job.created_by, file_name=job.original_name,
            progress=_progress(job_id, 5, 95),
        )
    except TableImportRefused as exc:
        _fail(job, str(exc), {"table_import": {"problems": [[p.row, p.column, p.message]
                                                            for p in exc.problems]}})
        return "failed"
    except (ImportRefused, PermissionRefused) as exc:
        _fail(job, str(exc))
        return "failed"
    finally:
        job.file.delete(save=False)  # the plan is what is kept, not the upload
        ImportJob.objects.filter(pk=job_id).update(file="")
    if validated.problems:
        _fail(job, str(_refused(validated.problems, validated.rows)),
              {"table_import": validated.to_json()})
        return "failed"
    job.state = ImportJob.State.PREVIEWED
    job.progress = 100
    job.report = {"table_import": validated.to_json()}
    job.save(update_fields=["state", "progress", "report"])
    return "previewed"


def start_table_write(*, job_id: int, checksum: str, table: str, user) -> ImportJob:
    """The editor's confirm of a checked job: queue the write of the kept plan."""
    require_import_permission(user, TABLES[table])
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if (
            job is None
            or job.state != ImportJob.State.PREVIEWED
            or (job.options or {}).get("table") != table
        ):
            raise ImportRefused(expired_message(), code="expired")
        if not checksum or checksum != job.checksum:
            raise ImportRefused(
                _("This is not the file that was previewed. Upload it again."), code="changed-file"
            )
        job.state = ImportJob.State.RUNNING
        job.progress = 50
        job.options = {**job.options, "confirmed_by": user.pk}
        job.save(update_fields=["state", "progress", "options"])
        delay_after_commit("editorial.write_table_import", job_id)
    return job


def run_table_write(*, job_id: int) -> str:
    """The worker's write of a confirmed plan, all or nothing, the job's new state in the
    same transaction (a task delivered again finds the job done)."""
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
            if job is None or job.state != ImportJob.State.RUNNING:
                return "skipped"
            stored = (job.report or {}).get("table_import")
            user = get_user_model().objects.filter(
                pk=(job.options or {}).get("confirmed_by")
            ).first()
            report = write_validated(ValidatedTable.from_json(stored), user=user, job=job)
            job.state = ImportJob.State.SUCCEEDED
            job.progress = 100
            job.finished_at = timezone.now()
            job.report = {"table": report.table, "rows": report.rows, "new": report.new,
                          "updated": report.updated, "skipped": report.skipped}
            job.save(update_fields=["state", "progress", "finished_at", "report"])
    except TableImportRefused as exc:
        job = ImportJob.objects.get(pk=job_id)
        stored = (job.report or {}).get("table_import") or {}
        keep = dict(stored, problems=[[p.row, p.column, p.message] for p in exc.problems])
        _fail(job, str(exc), {"table_import": keep})
        return "failed"
    except (ImportRefused, PermissionRefused) as exc:
        job = ImportJob.objects.get(pk=job_id)
        _fail(job, str(exc), job.report)
        return "failed"
    return "succeeded"
