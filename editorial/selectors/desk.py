"""Reads for the admin's home page, the editorial desk: what waits for whom.

Each function runs a fixed number of queries however many rows it returns (tests count
them), so the desk stays quick on a large archive. The readiness gates are the ones
selectors.readiness.issue_blockers checks for one issue, computed here for many at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.models import (
    Article,
    Bulletin,
    Delivery,
    ImportJob,
    Issue,
    Metric,
    Rendition,
    ReviewEvent,
    SchedulerHeartbeat,
    Section,
)
from editorial.services.publishing import RELEASE_JOB
from editorial.workflow import ArticleState, IssueState

PANEL_ROWS = 15
# The scheduler ticks every 30 s (beat or run_scheduler); older than this, none is running.
SCHEDULER_STALE_AFTER = timedelta(minutes=5)
# Issues whose gates the publisher's panel shows.
OPEN_ISSUE_STATES = (IssueState.ASSEMBLING, IssueState.IN_REVIEW, IssueState.APPROVED)


def _last_event(action: str, value: str):
    return Subquery(
        ReviewEvent.objects.filter(article=OuterRef("pk"), action=action)
        .order_by("-created_at", "-id")
        .values(value)[:1]
    )


# --- Editors ------------------------------------------------------------------------------


def draft_articles(user, *, limit: int = PANEL_ROWS) -> list[Article]:
    """The user's articles still in draft, last changed first (1 query)."""
    return list(
        Article.objects.filter(created_by=user, state=ArticleState.DRAFT)
        .select_related("issue__bulletin", "section")
        .order_by("-updated_at", "-pk")[:limit]
    )


def sent_back_articles(user, *, limit: int = PANEL_ROWS) -> list[Article]:
    """The user's articles a reviewer sent back, each with the reviewer's last comment
    (``sent_back_comment``, ``sent_back_by``, ``sent_back_at``), latest first (1 query)."""
    return list(
        Article.objects.filter(created_by=user, state=ArticleState.CHANGES_REQUESTED)
        .select_related("issue__bulletin", "section")
        .annotate(
            sent_back_comment=_last_event("request_changes", "comment"),
            sent_back_by=_last_event("request_changes", "actor__username"),
            sent_back_at=_last_event("request_changes", "created_at"),
        )
        .order_by(F("sent_back_at").desc(nulls_last=True), "-pk")[:limit]
    )


# --- Reviewers ----------------------------------------------------------------------------


def articles_awaiting_review(user, *, limit: int = PANEL_ROWS) -> list[Article]:
    """Submitted articles the user may review (not their own), oldest submission first,
    each with ``submitted_at`` (1 query)."""
    queryset = (
        Article.objects.filter(state=ArticleState.SUBMITTED)
        .select_related("issue__bulletin", "section", "created_by")
        .annotate(submitted_at=_last_event("submit", "created_at"))
    )
    if not user.is_superuser:
        queryset = queryset.exclude(created_by=user)
    return list(queryset.order_by(F("submitted_at").asc(nulls_first=True), "pk")[:limit])


def issues_awaiting_review(*, limit: int = PANEL_ROWS) -> list[Issue]:
    """Issues in review, the longest waiting first, each with ``submitted_at`` (1 query)."""
    submitted = Subquery(
        ReviewEvent.objects.filter(issue=OuterRef("pk"), action="submit")
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return list(
        Issue.objects.filter(state=IssueState.IN_REVIEW)
        .select_related("bulletin")
        .annotate(submitted_at=submitted)
        .order_by(F("submitted_at").asc(nulls_first=True), "pk")[:limit]
    )


# --- Publishers ---------------------------------------------------------------------------


@dataclass
class IssueReadiness:
    issue: Issue
    blockers: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Approved with nothing in the way: it may be published or scheduled."""
        return self.issue.state == IssueState.APPROVED and not self.blockers


def issue_readiness(*, states=OPEN_ISSUE_STATES, limit: int = PANEL_ROWS) -> list[IssueReadiness]:
    """Open issues with their readiness gates, the most advanced first (2 queries).

    The same gates, in the same words, as selectors.readiness.issue_blockers.
    """
    not_approved = Count("articles", filter=~Q(articles__state=ArticleState.APPROVED),
                         distinct=True)
    issues = list(
        Issue.objects.filter(state__in=states)
        .select_related("bulletin")
        .annotate(
            _articles=Count("articles", distinct=True),
            _not_approved=not_approved,
            _suggested=Count("metrics", filter=Q(metrics__status=Metric.Status.SUGGESTED),
                             distinct=True),
            _warnings=Count("import_warnings", filter=Q(import_warnings__resolved=False),
                            distinct=True),
            _bare_figures=Count("articles__figures", distinct=True, filter=Q(
                articles__figures__image="", articles__figures__indicator__isnull=True)),
        )
        .annotate(_stage=Case(
            When(state=IssueState.APPROVED, then=Value(1)),
            When(state=IssueState.IN_REVIEW, then=Value(2)),
            default=Value(3), output_field=IntegerField(),
        ))
        .order_by("_stage", "issue_date", "pk")[:limit]
    )
    # Required sections without an article, for all the issues at once.
    empty: dict[int, list[str]] = {}
    if issues:
        rows = (
            Section.objects.filter(required=True, bulletin__issues__in=issues)
            .annotate(for_issue=F("bulletin__issues__pk"))
            .exclude(Exists(Article.objects.filter(issue_id=OuterRef("for_issue"),
                                                   section_id=OuterRef("pk"))))
            .order_by("position", "pk")
            .values_list("for_issue", "name")
        )
        for issue_id, name in rows:
            empty.setdefault(issue_id, []).append(name)
    result = []
    for issue in issues:
        blockers = []
        if not issue._articles:
            blockers.append(_("The issue has no articles."))
        if issue._not_approved:
            blockers.append(
                _("%(count)s articles are not approved yet.") % {"count": issue._not_approved}
            )
        for name in empty.get(issue.pk, []):
            blockers.append(_("The required section “%(name)s” is empty.") % {"name": name})
        if issue._suggested:
            blockers.append(
                _("%(count)s suggested key figures are neither confirmed nor dismissed.")
                % {"count": issue._suggested}
            )
        if issue._warnings:
            blockers.append(
                _("%(count)s import warnings are unresolved.") % {"count": issue._warnings}
            )
        if issue._bare_figures:
            blockers.append(
                _("%(count)s figures have no image or chart.") % {"count": issue._bare_figures}
            )
        result.append(IssueReadiness(issue, blockers))
    result.sort(key=lambda r: not r.ready)  # ready ones first; stable otherwise
    return result


def scheduled_releases(*, limit: int = PANEL_ROWS) -> list[Issue]:
    """Scheduled issues, the next release first (1 query)."""
    return list(
        Issue.objects.filter(state=IssueState.SCHEDULED)
        .select_related("bulletin")
        .order_by("scheduled_at", "pk")[:limit]
    )


# --- Everyone -----------------------------------------------------------------------------


def recent_imports(*, limit: int = 8) -> list[ImportJob]:
    """The latest imports, newest first (1 query)."""
    return list(
        ImportJob.objects.select_related("bulletin", "issue", "created_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def failed_renditions(*, limit: int = PANEL_ROWS) -> list[Rendition]:
    """Current renditions whose last render failed (1 query)."""
    return list(
        Rendition.objects.filter(state=Rendition.State.FAILED, is_current=True)
        .select_related("issue__bulletin")
        .order_by("-finished_at", "-pk")[:limit]
    )


def failed_deliveries(*, limit: int = PANEL_ROWS) -> list[Issue]:
    """Issues with deliveries that failed for good, each with ``failed_count`` (1 query).

    Counts only: the addresses are for publishers, on the delivery report.
    """
    return list(
        Issue.objects.annotate(
            failed_count=Count("deliveries", filter=Q(deliveries__state=Delivery.State.FAILED))
        )
        .filter(failed_count__gt=0)
        .select_related("bulletin")
        .order_by("-issue_date", "-pk")[:limit]
    )


@dataclass(frozen=True)
class SchedulerStatus:
    last_run_at: datetime | None
    stale: bool


def scheduler_status(*, now: datetime | None = None) -> SchedulerStatus:
    """When scheduled releases were last looked for, and whether that is too long ago (1 query)."""
    now = now or timezone.now()
    last = (
        SchedulerHeartbeat.objects.filter(name=RELEASE_JOB)
        .values_list("last_run_at", flat=True)
        .first()
    )
    return SchedulerStatus(last, last is None or now - last > SCHEDULER_STALE_AFTER)


def desk_name() -> str:
    """The name the admin is branded with: the bulletin's (the first, when several) (1 query)."""
    names = list(Bulletin.objects.order_by("pk").values_list("name", flat=True)[:2])
    if not names:
        return ""
    return names[0] if len(names) == 1 else _("%(name)s and more") % {"name": names[0]}
