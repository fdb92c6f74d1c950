"""Reads of an issue's rendered files: the one place that says which rendition is current.

Not filtered on state: a re-render keeps the current row pointing at the last good file
while it runs, and after it fails; that file is what readers and subscribers should get.
"""

from __future__ import annotations

from editorial.models import Issue, Rendition


def current_rendition_files(issue: Issue):
    """The issue's current renditions that have a file, as a queryset."""
    return Rendition.objects.filter(issue=issue, is_current=True).exclude(file="")


def current_renditions(issue: Issue) -> dict[str, Rendition]:
    """The issue's current renditions with a file, by kind, PDF first. One query."""
    return {
        rendition.kind: rendition for rendition in current_rendition_files(issue).order_by("-kind")
    }
