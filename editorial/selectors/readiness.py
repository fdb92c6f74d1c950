"""Whether an issue is ready: the gates an issue passes before approval, scheduling or a
publish, in plain words for the editor.

``issue_blockers`` reads one issue (the issue door, services.issues, refuses a gated
action while it returns anything; the admin shows the same list); the desk computes the
same gates for many issues at once (editorial.selectors.desk.issue_readiness).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from editorial.models import Figure, ImportWarning, Issue, Metric
from editorial.workflow import ArticleState

# The issue actions an issue takes only with no blocker left.
GATED_ISSUE_ACTIONS = {"approve", "schedule", "publish"}


def figures_without_artwork(issue: Issue) -> QuerySet:
    """The issue's figures that show nothing: neither an image nor an indicator chart."""
    return Figure.objects.filter(article__issue=issue, image="", indicator__isnull=True)


def issue_blockers(issue: Issue, *, for_action: str = "approve") -> list[str]:
    """What still keeps the issue from being approved or published, in plain words."""
    blockers = []
    not_approved = issue.articles.exclude(state=ArticleState.APPROVED).count()
    if not issue.articles.exists():
        blockers.append(_("The issue has no articles."))
    if not_approved:
        blockers.append(_("%(count)s articles are not approved yet.") % {"count": not_approved})
    filled = set(issue.articles.values_list("section_id", flat=True))
    for section in issue.bulletin.sections.filter(required=True).exclude(pk__in=filled):
        blockers.append(_("The required section “%(name)s” is empty.") % {"name": section.name})
    suggested = issue.metrics.filter(status=Metric.Status.SUGGESTED).count()
    if suggested:
        blockers.append(
            _("%(count)s suggested key figures are neither confirmed nor dismissed.")
            % {"count": suggested}
        )
    warnings = ImportWarning.objects.filter(issue=issue, resolved=False).count()
    if warnings:
        blockers.append(_("%(count)s import warnings are unresolved.") % {"count": warnings})
    bare = figures_without_artwork(issue).count()
    if bare:
        blockers.append(_("%(count)s figures have no image or chart.") % {"count": bare})
    return blockers
