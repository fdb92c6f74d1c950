"""Reads: what the public may see, and the querysets pages and exports use.

Every public view, feed, sitemap and download goes through these functions so the
"only what is published" rule lives in one place: an issue is public when its state is
in ``ISSUE_PUBLIC_STATES`` (published, with ``published_at`` set); its articles, figures,
metrics and renditions are public with it and never otherwise.

How much of a published issue a reader gets (subscriber-only issues) is decided by
editorial.selectors.access; the selectors that list full text or data take the ``reader``
and ask it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from editorial.models import (
    Article,
    Bulletin,
    BulletinSlugRedirect,
    ExportJob,
    Figure,
    ImportJob,
    Indicator,
    Issue,
    Metric,
    Rendition,
    Section,
    SectionSlugRedirect,
)
from editorial.search import ParsedQuery, filter_articles, uses_index
from editorial.selectors.access import (
    ANONYMOUS,
    Reader,
    full_text_bulletin_ids,
    full_text_issue_q,
)
from editorial.selectors.public_search import pg_count, pg_page_ids
from editorial.selectors.renditions import current_rendition_files
from editorial.workflow import ISSUE_PUBLIC_STATES

# Columns a listing never needs: the search vectors are large, the body is read only on
# the article page.
HEAVY_ARTICLE_FIELDS = ("search_document", "search_title")


def public_issues() -> QuerySet[Issue]:
    return Issue.objects.filter(
        state__in=ISSUE_PUBLIC_STATES, published_at__isnull=False
    ).select_related("bulletin")


def public_articles() -> QuerySet[Article]:
    return (
        Article.objects.filter(
            issue__state__in=ISSUE_PUBLIC_STATES, issue__published_at__isnull=False
        )
        .select_related("issue__bulletin", "section")
        .defer(*HEAVY_ARTICLE_FIELDS)
    )


def article_listing(queryset: QuerySet[Article]) -> QuerySet[Article]:
    """Articles for a list: no body, no search vectors."""
    return queryset.defer("body", *HEAVY_ARTICLE_FIELDS)


def latest_public_issue() -> Issue | None:
    return public_issues().order_by("-published_at", "-issue_date").first()


def latest_issue_per_bulletin() -> list[tuple[Bulletin, Issue | None]]:
    """Every bulletin with its latest public issue (None if it has none). One query."""
    latest = (
        public_issues()
        .filter(bulletin=OuterRef("pk"))
        .order_by("-issue_date", "-number")
        .values("pk")[:1]
    )
    bulletins = list(Bulletin.objects.annotate(latest_issue_id=Subquery(latest)).order_by("name"))
    issues = public_issues().in_bulk([b.latest_issue_id for b in bulletins if b.latest_issue_id])
    return [(b, issues.get(b.latest_issue_id)) for b in bulletins]


def recent_public_articles(limit: int = 10) -> list[Article]:
    return list(
        article_listing(public_articles()).order_by(
            "-issue__issue_date", "-issue__number", "section__position", "position"
        )[:limit]
    )


def bulletin_issues(bulletin: Bulletin, *, year: int | None = None) -> QuerySet[Issue]:
    """A bulletin's public issues, newest first; only those of ``year`` when given."""
    issues = public_issues().filter(bulletin=bulletin).order_by("-issue_date", "-number")
    return issues if year is None else issues.filter(issue_date__year=year)


def bulletin_issue_years(bulletin: Bulletin) -> list[int]:
    """The years in which the bulletin has a public issue, newest first. One query."""
    issues = public_issues().filter(bulletin=bulletin)
    return [day.year for day in issues.dates("issue_date", "year", order="DESC")]


def bulletin_sections(bulletin: Bulletin) -> QuerySet[Section]:
    return bulletin.sections.order_by("position")


def feed_issues(*, bulletin: Bulletin | None = None, limit: int) -> list[Issue]:
    """The latest public issues, each with ``feed_articles`` (its articles' titles in
    reading order): of one bulletin newest issue first, or of every bulletin latest
    published first. Two queries."""
    articles = Article.objects.order_by("section__position", "position").only(
        "id", "issue_id", "title", "section_id", "position"
    )
    if bulletin is None:
        issues = public_issues().order_by("-published_at", "-issue_date", "-number")
    else:
        issues = public_issues().filter(bulletin=bulletin).order_by("-issue_date", "-number")
    return list(
        issues.prefetch_related(Prefetch("articles", queryset=articles, to_attr="feed_articles"))[
            :limit
        ]
    )


def public_bulletin(slug: str) -> Bulletin:
    try:
        return Bulletin.objects.get(slug=slug)
    except Bulletin.DoesNotExist as exc:
        raise Http404("No such bulletin") from exc


def bulletin_for_slug(slug: str) -> Bulletin | None:
    """The bulletin whose slug this is, or the one whose slug it used to be; None if
    neither (editorial.site.slug_redirects)."""
    bulletin = Bulletin.objects.filter(slug=slug).first()
    if bulletin is not None:
        return bulletin
    moved = BulletinSlugRedirect.objects.select_related("bulletin").filter(old_slug=slug).first()
    return moved.bulletin if moved is not None else None


def renamed_section_slug(bulletin: Bulletin, slug: str) -> str | None:
    """The current slug of the bulletin's section that used to be ``slug``; None when
    ``slug`` is current or was never a section's."""
    if bulletin.sections.filter(slug=slug).exists():
        return None
    moved = SectionSlugRedirect.objects.select_related("section").filter(
        bulletin=bulletin, old_slug=slug
    ).first()
    return moved.section.slug if moved is not None else None


def public_section(*, bulletin_slug: str, section_slug: str) -> Section:
    try:
        return Section.objects.select_related("bulletin").get(
            bulletin__slug=bulletin_slug, slug=section_slug
        )
    except Section.DoesNotExist as exc:
        raise Http404("No such section") from exc


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


def get_issue_article(*, issue: Issue, article_id: int) -> Article:
    """An article of a given issue whatever its state (for signed previews)."""
    try:
        return (
            Article.objects.select_related("issue__bulletin", "section")
            .defer(*HEAVY_ARTICLE_FIELDS)
            .get(pk=article_id, issue=issue)
        )
    except Article.DoesNotExist as exc:
        raise Http404("No such article in this issue") from exc


def get_issue_to_preview(issue_id: int) -> Issue:
    """An issue whatever its state, for staff to make a signed preview link of."""
    try:
        return Issue.objects.select_related("bulletin").get(pk=issue_id)
    except Issue.DoesNotExist as exc:
        raise Http404("No such issue") from exc


def get_article_figure(*, article: Article, figure_id: int) -> Figure:
    """A figure of a given article whatever its issue's state (for signed previews)."""
    try:
        return article.figures.get(pk=figure_id)
    except Figure.DoesNotExist as exc:
        raise Http404("No such figure in this article") from exc


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
                queryset=Article.objects.filter(issue=issue)
                .defer("body", *HEAVY_ARTICLE_FIELDS)
                .order_by("position", "id"),
                to_attr="issue_articles",
            )
        )
    )
    toc = [(section, section.issue_articles) for section in sections if section.issue_articles]
    for section, articles in toc:
        for article in articles:
            # Set the relations the templates and URLs read, so no article costs a query.
            article.issue = issue
            article.section = section
    return toc


def issue_reading_order(issue: Issue) -> list[tuple[int, str]]:
    """(id, title) of the issue's articles in reading order. One query."""
    return list(
        Article.objects.filter(issue=issue)
        .order_by("section__position", "section_id", "position", "id")
        .values_list("pk", "title")
    )


def more_from_section(article: Article, limit: int = 5) -> list[Article]:
    """The latest other public articles of the article's section."""
    return list(
        article_listing(public_articles())
        .filter(section_id=article.section_id)
        .exclude(pk=article.pk)
        .order_by("-issue__issue_date", "-issue__number", "position")[:limit]
    )


def section_articles(section: Section) -> QuerySet[Article]:
    """A section's public articles across issues, newest issue first."""
    return article_listing(public_articles()).filter(section=section).order_by(
        "-issue__issue_date", "-issue__number", "position", "id"
    )


def article_figures(article: Article) -> list[Figure]:
    return list(article.figures.order_by("position", "id"))


def article_tags(article: Article) -> list:
    return list(article.tags.all())


def get_public_figure(*, bulletin_slug: str, number: int, article_id: int, figure_id: int) -> Figure:
    try:
        figure = Figure.objects.select_related("article__issue").get(
            pk=figure_id,
            article_id=article_id,
            article__issue__bulletin__slug=bulletin_slug,
            article__issue__number=number,
            article__issue__state__in=ISSUE_PUBLIC_STATES,
            article__issue__published_at__isnull=False,
        )
    except Figure.DoesNotExist as exc:
        raise Http404("No such published figure") from exc
    if not figure.image:
        raise Http404("This figure has no image")
    return figure


def stored_file_owner(name: str) -> tuple[type | None, object | None]:
    """The model and row a stored file (a name in the default storage) belongs to, or
    (None, None): the row decides who may read the file (editorial.site.media)."""
    for model in (Rendition, ImportJob, ExportJob):
        row = model.objects.filter(file=name).first()
        if row is not None:
            return model, row
    row = Figure.objects.filter(image=name).select_related("article__issue__bulletin").first()
    if row is not None:
        return Figure, row
    return None, None


# --- Renditions ------------------------------------------------------------------------------


def get_public_rendition(*, bulletin_slug: str, number: int, kind: str) -> Rendition:
    issue = get_public_issue(bulletin_slug=bulletin_slug, number=number)
    rendition = current_rendition_files(issue).filter(kind=kind).first()
    if rendition is None:
        raise Http404("No such rendition")
    rendition.issue = issue
    return rendition


# --- Metrics and indicators ------------------------------------------------------------------


def public_metrics(*, reader: Reader | None = None) -> QuerySet[Metric]:
    """Confirmed metrics of published issues; with a ``reader``, only of the issues that
    reader may read in full. Without one, the caller has checked the issue itself."""
    metrics = Metric.objects.filter(
        issue__state__in=ISSUE_PUBLIC_STATES,
        issue__published_at__isnull=False,
        status=Metric.Status.CONFIRMED,
    ).select_related("issue__bulletin", "article", "indicator")
    if reader is not None:
        metrics = metrics.filter(full_text_issue_q(reader, prefix="issue__"))
    return metrics


def issue_key_figures(issue: Issue) -> list[Metric]:
    """The confirmed figures quoted in an issue, by indicator. One query."""
    return list(
        Metric.objects.filter(issue=issue, status=Metric.Status.CONFIRMED)
        .select_related("indicator", "article")
        .defer(*(f"article__{name}" for name in ("body", *HEAVY_ARTICLE_FIELDS)))
        .order_by("indicator__name", "period_end", "id")
    )


def public_indicators(*, reader: Reader = ANONYMOUS) -> QuerySet[Indicator]:
    """Confirmed indicators with at least one value the reader may see."""
    return Indicator.objects.filter(confirmed=True).filter(
        Exists(public_metrics(reader=reader).filter(indicator=OuterRef("pk")))
    )


def get_public_indicator(slug: str, *, reader: Reader = ANONYMOUS) -> Indicator:
    try:
        return public_indicators(reader=reader).get(slug=slug)
    except Indicator.DoesNotExist as exc:
        raise Http404("No such indicator") from exc


def indicator_series(indicator: Indicator, *, reader: Reader = ANONYMOUS) -> list[Metric]:
    """An indicator's values the reader may see, in period order, each with its article.
    One query."""
    return list(
        public_metrics(reader=reader)
        .filter(indicator=indicator)
        .defer(*(f"article__{name}" for name in ("body", *HEAVY_ARTICLE_FIELDS)))
        .order_by("period_end", "issue__issue_date", "id")
    )


# --- Search ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    bulletin: Bulletin | None = None
    section: Section | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


class PublicArticleSearch:
    """The published articles matching a query: title hits first, then newest issue
    first. Countable and sliceable, for Paginator.

    Titles are open to everyone; a match in the rest of an article counts only where the
    ``reader`` may read its issue in full, so a search tells nobody what a
    subscriber-only text says.

    Counting every hit of a very common word would read every matching article, so the
    count stops at ``cap``: beyond it the page says "more than N" and offers no pages
    past the cap. On PostgreSQL both the count and a page are bounded queries (see
    editorial.selectors.public_search); elsewhere a plain substring filter stands in.
    """

    def __init__(
        self,
        query: ParsedQuery,
        filters: SearchFilters | None = None,
        *,
        cap: int = 1000,
        reader: Reader = ANONYMOUS,
    ):
        self.query = query
        self.filters = filters or SearchFilters()
        self.cap = cap
        self.reader = reader
        self._count: int | None = None
        self._full_text: tuple | bool | None = False  # False: not worked out yet

    def _full_text_ids(self):
        if self._full_text is False:
            self._full_text = full_text_bulletin_ids(self.reader)
        return self._full_text

    def _filter_values(self) -> dict:
        f = self.filters
        return {
            "bulletin_id": f.bulletin.pk if f.bulletin else None,
            "section_id": f.section.pk if f.section else None,
            "date_from": f.date_from,
            "date_to": f.date_to,
            "full_text": self._full_text_ids(),
        }

    def _fallback_queryset(self) -> QuerySet[Article]:
        f = self.filters
        articles = public_articles()
        if f.bulletin is not None:
            articles = articles.filter(issue__bulletin=f.bulletin)
        if f.section is not None:
            articles = articles.filter(section=f.section)
        if f.date_from is not None:
            articles = articles.filter(issue__issue_date__gte=f.date_from)
        if f.date_to is not None:
            articles = articles.filter(issue__issue_date__lte=f.date_to)
        matching = filter_articles(articles, self.query)
        if not self.reader.is_staff:
            matching = matching.filter(
                Q(title_hit=True) | full_text_issue_q(self.reader, prefix="issue__")
            )
        return matching.order_by(
            "-title_hit", "-issue__issue_date", "-issue__number", "section__position", "position", "pk"
        )

    def _raw_count(self) -> int:
        if self._count is None:
            if not self.query:
                self._count = 0
            elif uses_index(connection):
                self._count = pg_count(
                    connection, self.query, states=ISSUE_PUBLIC_STATES,
                    filters=self._filter_values(), cap=self.cap,
                )
            else:
                self._count = self._fallback_queryset()[: self.cap + 1].count()
        return self._count

    def count(self) -> int:
        return min(self._raw_count(), self.cap)

    @property
    def capped(self) -> bool:
        return self._raw_count() > self.cap

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if not isinstance(item, slice):
            raise TypeError("PublicArticleSearch supports slices only")
        start = item.start or 0
        stop = self.count() if item.stop is None else min(item.stop, self.count())
        if stop <= start or not self.query:
            return []
        if not uses_index(connection):
            return list(self._fallback_queryset()[start:stop])
        ids = pg_page_ids(
            connection, self.query, states=ISSUE_PUBLIC_STATES,
            filters=self._filter_values(), offset=start, limit=stop - start,
        )
        found = public_articles().in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]


def search_public_articles(
    query: ParsedQuery,
    filters: SearchFilters | None = None,
    *,
    cap: int = 1000,
    reader: Reader = ANONYMOUS,
) -> PublicArticleSearch:
    """Published articles matching the query, as the reader may find them (see
    PublicArticleSearch)."""
    return PublicArticleSearch(query, filters, cap=cap, reader=reader)


def search_bulletins() -> list[Bulletin]:
    return list(Bulletin.objects.order_by("name"))


def search_sections() -> list[Section]:
    return list(Section.objects.select_related("bulletin").order_by("bulletin__name", "position"))


# --- Sitemaps ----------------------------------------------------------------------------------


def sitemap_bulletins() -> QuerySet[Bulletin]:
    return Bulletin.objects.order_by("pk")


def sitemap_sections() -> QuerySet[Section]:
    return Section.objects.select_related("bulletin").order_by("pk")


def sitemap_issues() -> QuerySet[Issue]:
    """Public issues, with only what their URL and date need."""
    return public_issues().order_by("pk").only("pk", "number", "updated_at", "bulletin__slug")


def sitemap_articles() -> QuerySet[Article]:
    """Public articles anyone may read in full: a subscriber-only issue's articles are
    open only in their first paragraph, so they are not listed."""
    return (
        public_articles()
        .filter(full_text_issue_q(ANONYMOUS, prefix="issue__"))
        .select_related(None)
        .select_related("issue__bulletin")
        .order_by("pk")
        .only("pk", "updated_at", "issue__number", "issue__updated_at", "issue__bulletin__slug")
    )
