"""Removing stored files nobody may need any more, after a retention period.

Rejected or abandoned uploads (import jobs that failed, or were never confirmed) and the
files of superseded renditions are deleted ``BULLETIN_FILE_RETENTION_DAYS`` after the
job or rendition ended; their rows stay for the record with the file cleared. Withdrawn
issues keep their files (the public download view never serves them).

The same sweep deletes access-log rows older than ``BULLETIN_ACCESS_LOG_DAYS`` and
subscribers' sign-in links once used or expired (they are digests, of no use to keep;
the sign-ins themselves stay for the seat count and the record). Run by beat
(``editorial.sweep_stored_files``); safe to run twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from editorial.models import AccessLogEntry, ImportJob, Rendition, SignInLink

logger = logging.getLogger(__name__)


@dataclass
class RetentionReport:
    uploads: int = 0
    renditions: int = 0
    access_log: int = 0
    sign_in_links: int = 0


def _delete(name: str) -> None:
    if not name:
        return
    try:
        default_storage.delete(name)
    except OSError:  # gone already, or the storage refuses: the row is cleared anyway
        logger.warning("Could not delete stored file %s", name)


def sweep_access_records(*, now=None, report: RetentionReport | None = None) -> RetentionReport:
    """Delete access-log rows past BULLETIN_ACCESS_LOG_DAYS and spent sign-in links."""
    now = now or timezone.now()
    report = report or RetentionReport()
    log_cutoff = now - timedelta(days=settings.BULLETIN_ACCESS_LOG_DAYS)
    report.access_log, _by_model = AccessLogEntry.objects.filter(at__lt=log_cutoff).delete()
    report.sign_in_links, _by_model = SignInLink.objects.filter(
        Q(used_at__isnull=False) | Q(expires_at__lt=now)
    ).delete()
    if report.access_log or report.sign_in_links:
        logger.info(
            "Removed %s access-log rows and %s spent sign-in links",
            report.access_log,
            report.sign_in_links,
        )
    return report


def sweep_stored_files(*, now=None) -> RetentionReport:
    """Delete the files of rejected uploads and superseded renditions past retention,
    and the access records past theirs."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BULLETIN_FILE_RETENTION_DAYS)
    report = RetentionReport()
    sweep_access_records(now=now, report=report)

    rejected = ImportJob.objects.filter(issue__isnull=True).exclude(file="").filter(
        Q(state=ImportJob.State.FAILED, finished_at__lt=cutoff)
        | Q(state=ImportJob.State.FAILED, finished_at__isnull=True, created_at__lt=cutoff)
        | Q(state__in=[ImportJob.State.PENDING, ImportJob.State.PREVIEWED], created_at__lt=cutoff)
    )
    for job in rejected.iterator():
        _delete(job.file.name)
        _delete((job.report or {}).get("parsed_file") or "")
        ImportJob.objects.filter(pk=job.pk).update(file="")
        report.uploads += 1

    superseded = (
        Rendition.objects.filter(is_current=False)
        .exclude(file="")
        .filter(Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, queued_at__lt=cutoff))
    )
    for rendition in superseded.iterator():
        name = rendition.file.name
        # A superseded row may share its file with the current one (a reused name).
        if not Rendition.objects.filter(file=name, is_current=True).exists():
            _delete(name)
        Rendition.objects.filter(pk=rendition.pk).update(file="")
        report.renditions += 1
    if report.uploads or report.renditions:
        logger.info(
            "Removed the files of %s uploads and %s superseded renditions",
            report.uploads,
            report.renditions,
        )
    return report
