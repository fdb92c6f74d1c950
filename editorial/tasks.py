"""Celery tasks: they take ids, call one service, and own their retries.

Settings give every task late acknowledgement, requeue when the worker process dies,
prefetch 1, time limits and worker recycling (bulletin/settings.py); the render task
restates the ones it relies on so they hold whatever the defaults become.
"""

from __future__ import annotations

import logging
import random

from celery import current_app, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from editorial.services import rendering

logger = logging.getLogger(__name__)


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
            rendition_id=rendition_id, force=force, can_retry=can_retry
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
        countdown = rendering.retry_delay(self.request.retries) + random.randint(0, 5)
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
    from django.db import OperationalError

    from editorial.services.import_jobs import fail_import_job
    from editorial.services.importing import run_import_job as run

    try:
        issue = run(job_id=job_id)
    except OperationalError as exc:  # database hiccup: try again later
        raise self.retry(exc=exc) from exc
    except Exception as exc:
        fail_import_job(job_id=job_id, error=str(exc))
        raise
    return issue.pk if issue else None


@shared_task(name="editorial.publish_due_issues", acks_late=True)
def publish_due_issues() -> list[int]:
    """Beat runs this every minute; `manage.py publish_due` does the same from cron."""
    from editorial.services.publishing import publish_due_issues as publish

    published = publish()
    if published:
        logger.info("Published due issues %s", published)
    return published


# --- Subscriber deliveries ---------------------------------------------------------------


def _queue_batches(delivery_ids: list[int]) -> int:
    from editorial.services.delivery import queue_delivery_batches

    return queue_delivery_batches(delivery_ids)


@shared_task(name="editorial.fan_out_issue_deliveries", acks_late=True)
def fan_out_issue_deliveries(issue_id: int, kind: str = "issue") -> int:
    """Create the deliveries of a published issue (or erratum) and queue their batches."""
    from editorial.services.delivery import fan_out_issue_deliveries as fan_out

    delivery_ids = fan_out(issue_id=issue_id, kind=kind)
    batches = _queue_batches(delivery_ids)
    logger.info("Issue %s (%s): %s deliveries in %s batches", issue_id, kind, len(delivery_ids), batches)
    return len(delivery_ids)


@shared_task(name="editorial.send_delivery_batch", acks_late=True)
def send_delivery_batch(delivery_ids: list[int]) -> dict:
    """Send a batch; rows that must be retried are queued again for when they are due."""
    from editorial.services.delivery import send_deliveries

    outcome = send_deliveries(delivery_ids=delivery_ids)
    if outcome.retry and not current_app.conf.task_always_eager:
        # In-process (no broker) a retry would run at once, in the request; there the
        # sweeper (`manage.py` or beat) picks retries up when they are due.
        countdown = max(0.0, (outcome.retry_at - timezone.now()).total_seconds())
        send_delivery_batch.apply_async((outcome.retry,), countdown=countdown)
    return outcome.counts()


@shared_task(name="editorial.sweep_deliveries", acks_late=True)
def sweep_deliveries() -> int:
    """Fan out missed publishes and corrections; queue due, retrying and abandoned rows."""
    from editorial.services.delivery import fan_out_due_deliveries

    due = fan_out_due_deliveries()
    if due:
        _queue_batches(due)
        logger.info("Delivery sweep queued %s deliveries", len(due))
    return len(due)


# --- Large exports ------------------------------------------------------------------------


@shared_task(name="editorial.run_export_job", acks_late=True)
def run_export_job(job_id: int) -> str:
    """Write a large export to storage, reporting progress on its ExportJob row."""
    from editorial.services.exporting import run_export_job as run

    return run(job_id=job_id).state
