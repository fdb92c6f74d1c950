"""Reads: what the public may see, and the querysets pages and exports use.

Every public view goes through these functions so the "only what is published" rule
lives in one place.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from editorial.models import Article, Issue, Section
from editorial.workflow import ISSUE_PUBLIC_STATES


def public_issues() -> QuerySet[Issue]:
    return Issue.objects.filter(state__in=ISSUE_PUBLIC_STATES).select_related("bulletin")


def public_articles() -> QuerySet[Article]:
    return Article.objects.filter(issue__state__in=ISSUE_PUBLIC_STATES).select_related(
        "issue__bulletin", "section"
    )


def latest_public_issue() -> Issue | None:
    return public_issues().order_by("-published_at", "-issue_date").first()


def get_public_issue(*, bulletin_slug: str, number: int) -> Issue:
    try:
        return public_issues().get(bulletin__slug=bulletin_slug, number=number)
    except Issue.DoesNotExist as exc:
        raise Http404("No such published issue") from exc


def get_public_article(*, bulletin_slug: str, number: int, article_id: int) -> Article:
    try:
        return public_articles().get(
            pk=article_id, issue__bulletin__slug=bulletin_slug, issue__number=number
        )
    except Article.DoesNotExist as exc:
        raise Http404("No such published article") from exc


def issue_table_of_contents(issue: Issue) -> list[tuple[Section, list[Article]]]:
    """The issue's sections in order, each with its articles in order; empty ones left out.

    Two queries whatever the number of articles.
    """
    sections = (
        Section.objects.filter(bulletin_id=issue.bulletin_id)
        .order_by("position", "id")
        .prefetch_related(
            Prefetch(
                "articles",
                queryset=Article.objects.filter(issue=issue).order_by("position", "id"),
                to_attr="issue_articles",
            )
        )
    )
    return [(section, section.issue_articles) for section in sections if section.issue_articles]


def public_metrics() -> QuerySet:
    from editorial.models import Metric

    return Metric.objects.filter(
        issue__state__in=ISSUE_PUBLIC_STATES, status=Metric.Status.CONFIRMED
    ).select_related("issue__bulletin", "article", "indicator")
