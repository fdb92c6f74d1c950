"""Reads of an issue's rendered files: the one place that says which rendition is current.

Not filtered on state: a re-render keeps the current row pointing at the last good file
while it runs, and after it fails; that file is what readers and subscribers should get.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from editorial.models import Issue, Rendition
from editorial.workflow import ISSUE_PUBLIC_STATES


def _current_with_a_file():
    return Rendition.objects.filter(is_current=True).exclude(file="")


def current_rendition_files(issue: Issue):
    """The issue's current renditions that have a file, as a queryset."""
    return _current_with_a_file().filter(issue=issue)


def current_file_kinds(issue_ids) -> dict[int, set[str]]:
    """For several issues at once: the kinds (pdf, html) each has a current file of."""
    kinds: dict[int, set[str]] = {issue_id: set() for issue_id in issue_ids}
    rows = _current_with_a_file().filter(issue_id__in=kinds)
    for issue_id, kind in rows.values_list("issue_id", "kind"):
        kinds[issue_id].add(kind)
    return kinds


def current_renditions(issue: Issue) -> dict[str, Rendition]:
    """The issue's current renditions with a file, by kind, PDF first. One query."""
    return {
        rendition.kind: rendition for rendition in current_rendition_files(issue).order_by("-kind")
    }


def public_issues_missing_renditions() -> dict[int, list[str]]:
    """Published issues without a current rendition of some kind: issue id → kinds."""
    missing: dict[int, list[str]] = {}
    for kind in Rendition.Kind:
        has_current = Rendition.objects.filter(issue=OuterRef("pk"), kind=kind, is_current=True)
        for issue_id in (
            Issue.objects.filter(state__in=ISSUE_PUBLIC_STATES)
            .filter(~Exists(has_current))
            .order_by("-published_at", "-pk")  # the newest first: readers want those
            .values_list("pk", flat=True)
        ):
            missing.setdefault(issue_id, []).append(kind)
    return missing
