"""The lifecycle of an import job outside the import itself: recording a failure."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from editorial.models import ImportJob
from editorial.services.audit import record_action

ERROR_LIMIT = 4000


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
