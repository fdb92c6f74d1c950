"""Reads behind a bulletin import: section names, free issue numbers, earlier imports of
the same file, and what an import job's options and upload say.

Services decide with these and the admin shows them; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Max

from editorial.models import Bulletin, ImportJob, Issue
from editorial.parsing.tree import ParsedBulletin


def section_names(bulletin: Bulletin) -> list[str]:
    return list(bulletin.sections.order_by("position").values_list("name", flat=True))


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


def job_overrides(job: ImportJob) -> dict[int, str]:
    """The editor's line roles kept on the job, ``{line: role}``."""
    return {int(line): role for line, role in (job.options.get("overrides") or {}).items()}


def job_issue_date(job: ImportJob, parsed: ParsedBulletin | None = None) -> date | None:
    """The date the issue will get: the one given at upload, else the file's."""
    options = job.options or {}
    if options.get("date"):
        return date.fromisoformat(options["date"])
    if parsed is not None:
        return parsed.issue_date
    reported = (job.report or {}).get("date")
    return date.fromisoformat(reported) if reported else None


def job_upload_bytes(job: ImportJob) -> bytes:
    """The uploaded file as stored with the job."""
    with job.file.open("rb") as handle:
        return handle.read()
