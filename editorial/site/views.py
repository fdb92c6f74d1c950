"""The public site. Views are thin: selectors decide what may be seen.

Every page answers the same to every anonymous reader (no CSRF token, no user name on
it), so pages are cached whole (editorial.services.caching; signed-in readers' pages are
not) and their query count does not grow with the number of articles. Unpublished
things answer 404, never 403.

A subscriber-only issue shows everyone its cover, contents, titles and first paragraphs;
its full text, files and data go to readers ``may_read_in_full`` admits
(editorial.services.access). A refused download answers 403 with the subscribe panel.
"""

from __future__ import annotations

import datetime
import io
import posixpath
import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import (
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from editorial import search
from editorial.links import issue_from_preview_token, preview_max_age, preview_token_for
from editorial.models import AccessLogEntry, Article, Bulletin, Issue, Rendition, Section
from editorial.selectors import public as selectors
from editorial.selectors.renditions import current_renditions
from editorial.services.access import (
    ANONYMOUS,
    Reader,
    gate_refusal,
    is_subscriber_only,
    may_read_in_full,
    open_blocks,
    reader_for_request,
    record_access,
)
from editorial.services.caching import cached_public_page
from editorial.site.file_serving import stored_file_response
from editorial.tables import writing
from editorial.typesetting.charts import ChartPoint, indicator_chart_svg

ARCHIVE_PAGE_SIZE = 52  # a year of a weekly bulletin
SECTION_PAGE_SIZE = 30
SEARCH_PAGE_SIZE = 20


# --- Helpers -------------------------------------------------------------------------------


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _paginate(request, items, per_page: int):
    paginator = Paginator(items, per_page)
    number = _page_number(request)
    if number > paginator.num_pages:
        raise Http404("No such page")
    return paginator.page(number)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _article_body_blocks(article: Article, figures, figure_url) -> list[dict]:
    """The article body as render blocks (editorial.typesetting.render_data), as the renditions set
    it: an indicator figure is its chart, an image figure points at its public (or
    preview) URL rather than being inlined, and a figure with neither is not shown."""
    from editorial.typesetting.render_data import (
        figure_data,
        html_to_blocks,
        indicator_series,
        labels_for,
    )

    figures = list(figures)
    wanted = {figure.indicator_id for figure in figures if figure.indicator_id}
    series = indicator_series(wanted, issue=article.issue) if wanted else {}
    labels = labels_for(article.issue.bulletin.language)
    by_position = {}
    for figure in figures:
        if figure.indicator_id:
            shown = figure_data(figure, series=series, labels=labels)
        elif figure.image:
            # The block template puts this in <img src>; a URL keeps the page light. The
            # page numbers no figures, so the caption keeps the number it was imported with.
            shown = {"caption": figure.caption, "source": figure.source_line,
                     "image_data_uri": figure_url(figure)}
        else:
            shown = None
        if shown is not None:
            by_position[figure.position] = shown
    return html_to_blocks(article.body, by_position)


_SUMMARY_NOISE = re.compile(r"[\s\u3000]+|(?:…+|\.{3,})$")
_CLOSING_STOPS = "。.！!？?；;"


def _comparable(text: str) -> str:
    return _SUMMARY_NOISE.sub("", text).rstrip(_CLOSING_STOPS)


def summary_repeats_text(summary: str, blocks: list[dict]) -> bool:
    """Whether the summary only repeats the start of the body (an import that took the
    first paragraph as the summary): then the summary box would be the text twice."""
    first = next((block for block in blocks if block.get("type") == "paragraph"), None)
    if first is None:
        return False
    wanted = _comparable(summary)
    paragraph = _comparable("".join(run.get("text", "") for run in first.get("runs", [])))
    return bool(wanted) and paragraph.startswith(wanted)


# --- Subscriber-only issues ----------------------------------------------------------------


def _gate(reader: Reader, issue: Issue) -> dict | None:
    """What the subscribe panel needs, or None when the reader may read the issue in full."""
    if may_read_in_full(reader, issue):
        return None
    sign_in = reverse("subscriber:sign_in")
    next_url = issue.get_absolute_url()
    return {
        "reason": gate_refusal(reader),
        "organisation": reader.organisation.name if reader.organisation else "",
        "sign_in_url": f"{sign_in}?{urlencode({'next': next_url})}",
    }


def refuse_unless_full(request, issue: Issue, *, resource: str):
    """None when the reader may have the issue's files and data (the read is logged for
    a subscriber of a subscriber-only issue); else the 403 answer with the panel."""
    reader = reader_for_request(request)
    gate = _gate(reader, issue)
    if is_subscriber_only(issue):
        record_access(
            reader, channel=AccessLogEntry.Channel.DOWNLOAD, resource=resource, issue=issue,
            status_code=403 if gate else 200,
        )
    if gate is None:
        return None
    response = render(
        request,
        "editorial/subscribers_only.html",
        {"issue": issue, "bulletin": issue.bulletin, "gate": gate, "robots": "noindex, nofollow"},
        status=403,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Pages ---------------------------------------------------------------------------------


@require_safe
@cached_public_page()
def home(request):
    return render(
        request,
        "editorial/home.html",
        {
            "latest": selectors.latest_issue_per_bulletin(),
            "recent_articles": selectors.recent_public_articles(12),
            "canonical_url": _absolute(reverse("editorial:home")),
        },
    )


@require_safe
@cached_public_page("page", "year")
def bulletin_archive(request, bulletin_slug: str):
    bulletin = selectors.public_bulletin(bulletin_slug)
    issues = selectors.public_issues().filter(bulletin=bulletin).order_by("-issue_date", "-number")
    years = [d.year for d in issues.dates("issue_date", "year", order="DESC")]
    year = request.GET.get("year")
    if year:
        if not year.isdigit() or int(year) not in years:
            raise Http404("No issues that year")
        year = int(year)
        issues = issues.filter(issue_date__year=year)
    page = _paginate(request, issues, ARCHIVE_PAGE_SIZE)
    return render(
        request,
        "editorial/bulletin_archive.html",
        {
            "bulletin": bulletin,
            "page": page,
            "years": years,
            "year": year,
            "sections": bulletin.sections.order_by("position"),
            "page_query": f"year={year}" if year else "",
            "canonical_url": _absolute(bulletin.get_absolute_url()),
        },
    )


def _key_figure_groups(toc, metrics) -> list[dict]:
    """The key figures grouped by the article quoting them, in reading order; figures
    quoted by no article come last. Each group: {"article", "metrics"}."""
    by_article: dict[int | None, list] = {}
    for metric in metrics:
        by_article.setdefault(metric.article_id, []).append(metric)
    groups = [
        {"article": article, "metrics": by_article.pop(article.pk)}
        for _section, articles in toc
        for article in articles
        if article.pk in by_article
    ]
    # An article outside the contents (another section's leftovers) keeps its figures.
    leftovers = [metric for group in by_article.values() for metric in group]
    if leftovers:
        groups.append({"article": None, "metrics": leftovers})
    return groups


def _issue_exports(issue: Issue, *, has_figures: bool) -> list[dict]:
    """The issue's public data downloads (editorial.site.export_urls): anyone may have them
    once the issue is published; a preview links none."""
    args = [issue.bulletin.slug, issue.number]
    exports = []
    if has_figures:
        exports += [
            {"url": reverse("exports:issue_metrics_csv", args=args), "label": _("Key figures (CSV)"), "format": "CSV"},
            {"url": reverse("exports:issue_metrics_xlsx", args=args), "label": _("Key figures (Excel)"), "format": "XLSX"},
        ]
    exports += [
        {"url": reverse("exports:issue_articles_json", args=args), "label": _("Articles (JSON)"), "format": "JSON"},
        {"url": reverse("exports:issue_bundle", args=args), "label": _("Everything in one file (ZIP)"), "format": "ZIP"},
    ]
    return exports


def _issue_context(
    issue: Issue, *, preview_token: str | None = None, reader: Reader = ANONYMOUS
) -> dict:
    toc = selectors.issue_table_of_contents(issue)
    # A preview is the editorial team's: it shows everything.
    gate = None if preview_token else _gate(reader, issue)
    renditions = [] if preview_token or gate else list(current_renditions(issue).values())
    key_figures = [] if gate else selectors.issue_key_figures(issue)
    return {
        "gate": gate,
        "issue": issue,
        "bulletin": issue.bulletin,
        "toc": toc,
        "article_count": sum(len(articles) for _section, articles in toc),
        "key_figures": key_figures,
        "key_figure_groups": _key_figure_groups(toc, key_figures),
        "renditions": renditions,
        "exports": (
            [] if preview_token or gate else _issue_exports(issue, has_figures=bool(key_figures))
        ),
        "preview_token": preview_token,
        "canonical_url": _absolute(issue.get_absolute_url()),
    }


@require_safe
@cached_public_page()
def issue_detail(request, bulletin_slug: str, number: int):
    issue = selectors.get_public_issue(bulletin_slug=bulletin_slug, number=number)
    context = _issue_context(issue, reader=reader_for_request(request))
    return render(request, "editorial/issue_detail.html", context)


def _article_context(
    article: Article, *, preview_token: str | None = None, reader: Reader = ANONYMOUS
) -> dict:
    issue = article.issue
    gate = None if preview_token else _gate(reader, issue)
    # Beyond the first paragraph nothing of a gated article is read, figures included.
    figures = [] if gate else selectors.article_figures(article)
    if preview_token:

        def figure_url(figure):
            return reverse("editorial:preview_figure", args=[preview_token, article.pk, figure.pk])

        def article_url(pk):
            return reverse("editorial:preview_article", args=[preview_token, pk])
    else:

        def figure_url(figure):
            return reverse(
                "editorial:figure",
                args=[issue.bulletin.slug, issue.number, article.pk, figure.pk],
            )

        def article_url(pk):
            return reverse("editorial:article", args=[issue.bulletin.slug, issue.number, pk])

    blocks = _article_body_blocks(article, figures, figure_url)
    if gate:
        blocks = open_blocks(blocks)
    order = selectors.issue_reading_order(issue)
    ids = [pk for pk, _title in order]
    index = ids.index(article.pk)
    previous = order[index - 1] if index > 0 else None
    following = order[index + 1] if index + 1 < len(order) else None
    return {
        "gate": gate,
        "article": article,
        "issue": issue,
        "bulletin": issue.bulletin,
        "blocks": blocks,
        "show_summary": bool(article.summary) and not summary_repeats_text(article.summary, blocks),
        "tags": list(article.tags.all()),
        "previous": previous and {"url": article_url(previous[0]), "title": previous[1]},
        "next": following and {"url": article_url(following[0]), "title": following[1]},
        "position_in_issue": index + 1,
        "articles_in_issue": len(order),
        "more_from_section": [] if preview_token else selectors.more_from_section(article),
        "preview_token": preview_token,
        "canonical_url": _absolute(article.get_absolute_url()),
        "og_type": "article",
        "description": article.summary,
    }


@require_safe
@cached_public_page()
def article_detail(request, bulletin_slug: str, number: int, article_id: int):
    article = selectors.get_public_article(
        bulletin_slug=bulletin_slug, number=number, article_id=article_id
    )
    reader = reader_for_request(request)
    context = _article_context(article, reader=reader)
    if context["gate"] is None and is_subscriber_only(article.issue):
        record_access(
            reader, channel=AccessLogEntry.Channel.PAGE, resource=f"article:{article.pk}",
            issue=article.issue,
        )
    return render(request, "editorial/article_detail.html", context)


@require_safe
@cached_public_page("page")
def section_detail(request, bulletin_slug: str, section_slug: str):
    section = selectors.public_section(bulletin_slug=bulletin_slug, section_slug=section_slug)
    page = _paginate(request, selectors.section_articles(section), SECTION_PAGE_SIZE)
    return render(
        request,
        "editorial/section_detail.html",
        {
            "section": section,
            "bulletin": section.bulletin,
            "page": page,
            "canonical_url": _absolute(
                reverse("editorial:section", args=[section.bulletin.slug, section.slug])
            ),
        },
    )


# --- Indicators ------------------------------------------------------------------------------


@require_safe
@cached_public_page()
def indicator_index(request):
    return render(
        request,
        "editorial/indicator_index.html",
        {
            "indicators": selectors.public_indicators(
                reader=reader_for_request(request)
            ).order_by("name"),
            "canonical_url": _absolute(reverse("editorial:indicators")),
        },
    )


@require_safe
@cached_public_page()
def indicator_detail(request, indicator_slug: str):
    reader = reader_for_request(request)
    indicator = selectors.get_public_indicator(indicator_slug, reader=reader)
    metrics = selectors.indicator_series(indicator, reader=reader)
    return render(
        request,
        "editorial/indicator_detail.html",
        {
            "indicator": indicator,
            "metrics": metrics,
            "canonical_url": _absolute(indicator.get_absolute_url()),
            "description": indicator.description,
        },
    )


def _chart_points(metrics) -> list[ChartPoint]:
    return [
        ChartPoint(label=metric.period_label or f"{metric.issue.issue_date:%Y-%m-%d}", value=metric.value)
        for metric in metrics
    ]


@require_safe
@cached_public_page()
def indicator_chart(request, indicator_slug: str):
    reader = reader_for_request(request)
    indicator = selectors.get_public_indicator(indicator_slug, reader=reader)
    svg = indicator_chart_svg(
        _chart_points(selectors.indicator_series(indicator, reader=reader)),
        title=indicator.name,
        unit=indicator.unit,
        width=720,
        height=360,
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


INDICATOR_COLUMNS = ("period", "value", "unit", "yoy_percent", "issue", "issue_date", "article", "url")


def _indicator_rows(metrics):
    for metric in metrics:
        issue = metric.issue
        yield [
            metric.period_label,
            metric.value,
            metric.unit,
            metric.yoy_percent,
            issue.display_title,
            issue.issue_date,
            metric.article.title if metric.article else "",
            _absolute(metric.article.get_absolute_url()) if metric.article else _absolute(issue.get_absolute_url()),
        ]


@require_safe
@cached_public_page()
def indicator_data(request, indicator_slug: str, fmt: str):
    """An indicator's published values as CSV or XLSX (small: built whole, so cached)."""
    reader = reader_for_request(request)
    indicator = selectors.get_public_indicator(indicator_slug, reader=reader)
    metrics = selectors.indicator_series(indicator, reader=reader)
    header = [
        _("Period"), _("Value"), _("Unit"), _("Change year on year (%)"), _("Issue"),
        _("Issue date"), _("Article"), _("Link"),
    ]
    filename = f"{indicator.slug}.{fmt}"
    if fmt == "csv":
        # utf-8-sig and formula escaping, as every CSV the product writes
        content = b"".join(writing.stream_csv(headers=header, rows=_indicator_rows(metrics)))
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        out = io.BytesIO()
        writing.write_xlsx(
            out, headers=header, rows=_indicator_rows(metrics), sheet_title=indicator.name[:31]
        )
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404("Unknown format")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Downloads and figures ---------------------------------------------------------------------


def _file_response(
    request, field_file, *, filename: str, attachment: bool, content_type: str | None = None
):
    response = stored_file_response(
        request, field_file, filename=filename, attachment=attachment, content_type=content_type
    )
    content_type = response.get("Content-Type", "")
    if content_type.startswith("image/svg") or content_type.startswith("text/html"):
        # Our own files, but never let one run a script on this origin.
        response["Content-Security-Policy"] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
    return response


@require_safe
def rendition_download(request, bulletin_slug: str, number: int, kind: str):
    if kind not in Rendition.Kind.values:
        raise Http404("Unknown rendition")
    rendition = selectors.get_public_rendition(bulletin_slug=bulletin_slug, number=number, kind=kind)
    refused = refuse_unless_full(request, rendition.issue, resource=kind)
    if refused is not None:
        return refused
    extension = "pdf" if kind == Rendition.Kind.PDF else "html"
    filename = f"{bulletin_slug}-{rendition.issue.volume or ''}-{number}.{extension}".replace("--", "-")
    # The HTML edition opens in the browser (still sandboxed by _file_response's CSP);
    # the PDF is a file to keep.
    return _file_response(
        request, rendition.file, filename=filename, attachment=kind != Rendition.Kind.HTML
    )


@require_safe
def figure_image(request, bulletin_slug: str, number: int, article_id: int, figure_id: int):
    figure = selectors.get_public_figure(
        bulletin_slug=bulletin_slug, number=number, article_id=article_id, figure_id=figure_id
    )
    if not may_read_in_full(reader_for_request(request), figure.article.issue):
        return refuse_unless_full(request, figure.article.issue, resource=f"figure:{figure.pk}")
    return _file_response(
        request, figure.image, filename=posixpath.basename(figure.image.name), attachment=False
    )


# --- Search ------------------------------------------------------------------------------------


def _parse_date(value: str | None) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


SEARCH_RESULT_CAP = 1000


@require_safe
@cached_public_page("q", "bulletin", "section", "from", "to", "page")
def search_page(request):
    text = request.GET.get("q", "").strip()
    query = search.parse_query(text)
    bulletins = list(Bulletin.objects.order_by("name"))
    sections = selectors.search_sections()
    bulletin = _choice(bulletins, request.GET.get("bulletin"))
    section = _choice(sections, request.GET.get("section"))
    date_from = _parse_date(request.GET.get("from"))
    date_to = _parse_date(request.GET.get("to"))
    reader = reader_for_request(request)
    page = results = None
    if query:
        filters = selectors.SearchFilters(
            bulletin=bulletin, section=section, date_from=date_from, date_to=date_to
        )
        results = selectors.search_public_articles(
            query, filters, cap=SEARCH_RESULT_CAP, reader=reader
        )
        page = _paginate(request, results, SEARCH_PAGE_SIZE)
        for article in page.object_list:
            article.title_marked = search.highlight(article.title, query.highlight)
            # Beyond the title and summary (the contents show both), a subscriber-only
            # article's text is nobody's snippet but its readers'.
            texts = [article.summary]
            if may_read_in_full(reader, article.issue):
                texts += [search.html_text(article.body), article.source]
            article.snippet = search.snippet(texts, query.highlight)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "editorial/search.html",
        {
            "q": text,
            "query": query,
            "page": page,
            "results": results,
            "bulletins": bulletins,
            "sections_by_bulletin": _group_sections(sections),
            "bulletin": bulletin,
            "section": section,
            "date_from": date_from,
            "date_to": date_to,
            "page_query": params.urlencode(),
            "empty_query": bool(text) and not query,
            "searched": page is not None,
            "filtered": bool(bulletin or section or date_from or date_to),
            "broader_url": _broader_search_url(query.terms[0] if query.terms else ""),
            "robots": "noindex, follow",
            "canonical_url": _absolute(reverse("editorial:search")),
        },
    )


def _broader_search_url(first_term: str) -> str:
    """The search for the first word only, with no filters: the hint offered when
    nothing is found."""
    from urllib.parse import urlencode

    url = reverse("editorial:search")
    return f"{url}?{urlencode({'q': first_term})}" if first_term else url


def _choice(options, raw: str | None):
    if not raw or not raw.isdigit():
        return None
    return next((option for option in options if option.pk == int(raw)), None)


def _group_sections(sections: list[Section]) -> list[tuple[Bulletin, list[Section]]]:
    grouped: dict[int, tuple[Bulletin, list[Section]]] = {}
    for section in sections:
        grouped.setdefault(section.bulletin_id, (section.bulletin, []))[1].append(section)
    return list(grouped.values())


# --- Preview (staff, signed and expiring) -------------------------------------------------------


def _private(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@staff_member_required
@never_cache
def preview_link(request, issue_id: int):
    """A signed link to an issue as the public will see it, for staff to share."""
    issue = get_object_or_404(Issue.objects.select_related("bulletin"), pk=issue_id)
    if not request.user.has_perm("editorial.view_issue"):
        raise Http404("No such issue")
    token = preview_token_for(issue)
    url = request.build_absolute_uri(reverse("editorial:preview_issue", args=[token]))
    expires = timezone.now() + datetime.timedelta(seconds=preview_max_age())
    return _private(
        render(
            request,
            "editorial/preview_link.html",
            {"issue": issue, "url": url, "expires": expires, "robots": "noindex, nofollow"},
        )
    )


@require_safe
def preview_issue(request, token: str):
    issue = issue_from_preview_token(token)
    context = _issue_context(issue, preview_token=token)
    context["robots"] = "noindex, nofollow"
    return _private(render(request, "editorial/issue_detail.html", context))


@require_safe
def preview_article(request, token: str, article_id: int):
    issue = issue_from_preview_token(token)
    article = selectors.get_issue_article(issue=issue, article_id=article_id)
    context = _article_context(article, preview_token=token)
    context["robots"] = "noindex, nofollow"
    return _private(render(request, "editorial/article_detail.html", context))


@require_safe
def preview_figure(request, token: str, article_id: int, figure_id: int):
    issue = issue_from_preview_token(token)
    article = selectors.get_issue_article(issue=issue, article_id=article_id)
    figure = get_object_or_404(article.figures.all(), pk=figure_id)
    if not figure.image:
        raise Http404("This figure has no image")
    response = _file_response(
        request, figure.image, filename=posixpath.basename(figure.image.name), attachment=False
    )
    return _private(response)


# --- Site plumbing -------------------------------------------------------------------------------


@require_safe
def switch_language(request, language: str):
    """Switch language with a plain link (no form, no CSRF token: pages stay cacheable)."""
    codes = {code for code, _name in settings.LANGUAGES}
    if language not in codes:
        raise Http404("Unknown language")
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        path=settings.LANGUAGE_COOKIE_PATH,
        samesite="Lax",
        secure=request.is_secure(),
    )
    translation.activate(language)
    return response


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the static one."""
    from django.templatetags.static import static

    return HttpResponsePermanentRedirect(static("favicon.ico"))


@require_safe
@cached_public_page()
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /search/",
        "Disallow: /lang/",
        "Disallow: /subscriber/",
        "Disallow: /exports/",
        f"Sitemap: {_absolute(reverse('sitemap-index'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@never_cache
def healthz(request):
    """For load balancers: 200 when the database and Redis answer, 503 otherwise."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not healthy", with the reason
        checks["database"] = f"error: {exc.__class__.__name__}"
    redis_url = getattr(settings, "REDIS_URL", "")
    if redis_url:
        try:
            import redis

            client = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
            try:
                client.ping()
            finally:
                client.close()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    else:
        checks["redis"] = "not configured"
    healthy = all(value in ("ok", "not configured") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
