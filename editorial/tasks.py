"""Celery tasks: they take ids, call one service, and own their retries.

Settings give every task late acknowledgement, requeue when the worker process dies,
prefetch 1, time limits and worker recycling (bulletin/settings.py); the render task
restates the ones it relies on so they hold whatever the defaults become.
"""

from __future__ import annotations

import logging
import random
from contextlib import contextmanager

from celery import current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from editorial.services import (
    delivery,
    exporting,
    notifying,
    publishing,
    rendering,
    retention,
    signing_in,
)

try:
    import resource
except ImportError:  # not on POSIX: no address-space limit (see _memory_limit)
    resource = None

logger = logging.getLogger(__name__)

# Loaded by the tasks that need them: the app config imports this module in every
# process (web, worker, commands) so that the tasks are registered by name, and two
# services are costly to load: services.import_jobs and .import_previews (the bulletin
# parsers, ~0.05 s) and tables.jobs (openpyxl, tablib and django-import-export, ~0.15 s).
# A web request or a management command would otherwise pay for them at every start;
# those tasks import them when they run.


@shared_task(
    bind=True,
    name="editorial.render_issue_rendition",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=max(0, rendering.max_attempts() - 1),
    soft_time_limit=getattr(settings, "CELERY_TASK_SOFT_TIME_LIMIT", 300),
    time_limit=getattr(settings, "CELERY_TASK_TIME_LIMIT", 360),
)
def render_issue_rendition(self, rendition_id: int, force: bool = False) -> str:
    """Make one Rendition (PDF or HTML) of an issue; see services.rendering."""
    can_retry = self.request.retries < self.max_retries
    try:
        outcome = rendering.render_rendition(
            rendition_id=rendition_id,
            force=force,
            can_retry=can_retry,
            time_limit_errors=(SoftTimeLimitExceeded,),
        )
    except (rendering.TransientRenderError, OperationalError, InterfaceError) as exc:
        if not can_retry:
            rendering.fail_rendition(rendition_id=rendition_id, error=f"{exc.__class__.__name__}: {exc}")
            raise
        if self.request.is_eager:
            # In-process (no broker): Celery would propagate Retry, so try again here.
            return self.apply(
                args=(rendition_id,), kwargs={"force": force}, retries=self.request.retries + 1
            ).result
        # Jitter (bandit B311 reviewed).
        countdown = rendering.retry_delay(self.request.retries) + random.randint(0, 5)  # nosec B311
        logger.warning("Rendition %s: transient error (%s); retry in %ss", rendition_id, exc, countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc
    return outcome.state


@shared_task(name="editorial.sweep_renditions", acks_late=True)
def sweep_renditions() -> dict:
    """Re-send stuck renditions and queue missing ones (run by beat every minute)."""
    report = rendering.sweep_renditions()
    return {"resent": report.resent, "created": report.created, "unsent": report.unsent}


# --- Imports and scheduled publishing ------------------------------------------------


@shared_task(
    bind=True, name="editorial.run_import_job", acks_late=True, max_retries=3,
    default_retry_delay=10,
)
def run_import_job(self, job_id: int) -> int | None:
    """Parse and save a confirmed import; idempotent (a saved job is left alone)."""
    from editorial.services import import_jobs  # costly to load: see "Loaded by the tasks"

    try:
        issue = import_jobs.run_import_job(job_id=job_id)
    except OperationalError as exc:  # database hiccup: try again later
        raise self.retry(exc=exc) from exc
    except Exception as exc:
        import_jobs.fail_import_job(job_id=job_id, error=str(exc))
        raise
    return issue.pk if issue else None


@shared_task(name="editorial.publish_due_issues", acks_late=True)
def publish_due_issues() -> list[int]:
    """Beat runs this every minute; `manage.py publish_due` does the same from cron."""
    published = publishing.publish_due_issues()
    if published:
        logger.info("Published due issues %s", published)
    return published


@shared_task(name="editorial.send_notification_digests", acks_late=True)
def send_notification_digests() -> int:
    """The daily review digest (NOTIFICATION_DIGEST = "daily"); a no-op before its hour."""
    return notifying.send_due_digests()


# --- Subscriber deliveries ---------------------------------------------------------------


def _queue_batches(delivery_ids: list[int]) -> int:
    return delivery.queue_delivery_batches(delivery_ids)


@shared_task(name="editorial.fan_out_issue_deliveries", acks_late=True)
def fan_out_issue_deliveries(issue_id: int, kind: str = "issue") -> int:
    """Create the deliveries of a published issue (or erratum) and queue their batches."""
    delivery_ids = delivery.fan_out_issue_deliveries(issue_id=issue_id, kind=kind)
    batches = _queue_batches(delivery_ids)
    logger.info("Issue %s (%s): %s deliveries in %s batches", issue_id, kind, len(delivery_ids), batches)
    return len(delivery_ids)


@shared_task(name="editorial.send_delivery_batch", acks_late=True)
def send_delivery_batch(delivery_ids: list[int]) -> dict:
    """Send a batch; rows that must be retried are queued again for when they are due."""
    outcome = delivery.send_deliveries(delivery_ids=delivery_ids)
    if outcome.retry and not current_app.conf.task_always_eager:
        # In-process (no broker) a retry would run at once, in the request; there the
        # sweeper (`manage.py` or beat) picks retries up when they are due.
        countdown = max(0.0, (outcome.retry_at - timezone.now()).total_seconds())
        send_delivery_batch.apply_async((outcome.retry,), countdown=countdown)
    return outcome.counts()


@shared_task(name="editorial.sweep_deliveries", acks_late=True)
def sweep_deliveries() -> int:
    """Fan out missed publishes and corrections; queue due, retrying and abandoned rows."""
    due = delivery.fan_out_due_deliveries()
    if due:
        _queue_batches(due)
        logger.info("Delivery sweep queued %s deliveries", len(due))
    return len(due)


# --- Large exports ------------------------------------------------------------------------


@shared_task(name="editorial.run_export_job", acks_late=True)
def run_export_job(job_id: int) -> str:
    """Write a large export to storage, reporting progress on its ExportJob row."""
    return exporting.run_export_job(job_id=job_id).state


# --- Hardening: preview parses of heavy uploads -------------------------------------------


@contextmanager
def _memory_limit(megabytes: int):
    """Let the task's process grow by at most ``megabytes`` of address space, then give
    the limit back (the pool process serves other tasks afterwards). Where the platform
    has no such limit, or in-process (the web server's own process), nothing changes."""
    if resource is None or megabytes <= 0 or current_app.conf.task_always_eager:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    limit = used + megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@shared_task(
    name="editorial.parse_import_preview",
    acks_late=True,
    soft_time_limit=getattr(settings, "BULLETIN_IMPORT_PARSE_SECONDS", 120),
    time_limit=getattr(settings, "BULLETIN_IMPORT_PARSE_SECONDS", 120) + 30,
)
def parse_import_preview(job_id: int, key: str) -> str:
    """Parse an upload for its preview; a parse past the time or memory limit ends the
    job failed."""
    # costly to load: see "Loaded by the tasks"
    from editorial.services import import_jobs, import_previews

    try:
        with _memory_limit(getattr(settings, "BULLETIN_IMPORT_PARSE_MEMORY_MB", 1024)):
            return import_previews.run_preview_parse(job_id=job_id, key=key)
    except SoftTimeLimitExceeded:
        import_jobs.fail_import_job_for(job_id=job_id, code="too-slow")
        return "failed"
    except MemoryError:
        import_jobs.fail_import_job_for(job_id=job_id, code="too-much-memory")
        return "failed"
    except Exception:
        logger.exception("Preview parse of import job %s failed", job_id)
        import_jobs.fail_import_job_for(job_id=job_id, code="unreadable")
        raise


@shared_task(name="editorial.check_table_import", acks_late=True)
def check_table_import(job_id: int) -> str:
    """Validate a big spreadsheet upload for its preview (idempotent: only a pending job)."""
    from editorial.tables import jobs  # costly to load: see "Loaded by the tasks"

    return jobs.run_table_check(job_id=job_id)


@shared_task(name="editorial.write_table_import", acks_late=True)
def write_table_import(job_id: int) -> str:
    """Write a confirmed spreadsheet import in bulk (idempotent: only a running job)."""
    from editorial.tables import jobs  # costly to load: see "Loaded by the tasks"

    return jobs.run_table_write(job_id=job_id)


@shared_task(name="editorial.build_issue_bundle", acks_late=True)
def build_issue_bundle(issue_id: int) -> str | None:
    """Write a published issue's bundle.zip for its current version (idempotent)."""
    return exporting.build_issue_bundle(issue_id=issue_id)


@shared_task(name="editorial.sweep_stored_files", acks_late=True)
def sweep_stored_files() -> dict:
    """Remove rejected uploads and superseded renditions' files past retention (beat)."""
    report = retention.sweep_stored_files()
    return {"uploads": report.uploads, "renditions": report.renditions}


@shared_task(name="editorial.send_sign_in_link", acks_late=True)
def send_sign_in_link(email: str, client_address: str | None = None, next_url: str = "") -> bool:
    """Mail a subscriber's one-time sign-in link, after the request was answered (the
    answer is the same for every address; the look-up happens here)."""
    return signing_in.send_sign_in_link(email=email, client_address=client_address, next_url=next_url)
