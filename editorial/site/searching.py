"""The public search page: a query over published articles, narrowed by bulletin,
section and dates, hits marked in titles and snippets (editorial.search)."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from editorial.links import absolute_url
from editorial.models import Bulletin, Section
from editorial.sanitising import html_to_text
from editorial.search import highlight, parse_query, snippet
from editorial.selectors import public as selectors
from editorial.selectors.access import may_read_in_full, reader_for_request
from editorial.services.caching import cached_public_page
from editorial.site.responses import paginate

SEARCH_PAGE_SIZE = 20
SEARCH_RESULT_CAP = 1000


def _parse_date(value: str | None) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _choice(options, raw: str | None):
    if not raw or not raw.isdigit():
        return None
    return next((option for option in options if option.pk == int(raw)), None)


def _group_sections(sections: list[Section]) -> list[tuple[Bulletin, list[Section]]]:
    grouped: dict[int, tuple[Bulletin, list[Section]]] = {}
    for section in sections:
        grouped.setdefault(section.bulletin_id, (section.bulletin, []))[1].append(section)
    return list(grouped.values())


def _broader_search_url(first_term: str) -> str:
    """The search for the first word only, with no filters: the hint offered when
    nothing is found."""
    url = reverse("editorial:search")
    return f"{url}?{urlencode({'q': first_term})}" if first_term else url


def _mark_hits(articles, query, reader) -> None:
    """Set ``title_marked`` and ``snippet`` on each article of a page of hits."""
    for article in articles:
        article.title_marked = highlight(article.title, query.highlight)
        # Beyond the title and summary (the contents show both), a subscriber-only
        # article's text is nobody's snippet but its readers'.
        texts = [article.summary]
        if may_read_in_full(reader, article.issue):
            texts += [html_to_text(article.body), article.source]
        article.snippet = snippet(texts, query.highlight)


@require_safe
@cached_public_page("q", "bulletin", "section", "from", "to", "page")
def search_page(request):
    text = request.GET.get("q", "").strip()
    query = parse_query(text)
    bulletins = selectors.search_bulletins()
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
        page = paginate(request, results, SEARCH_PAGE_SIZE)
        _mark_hits(page.object_list, query, reader)
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
            "canonical_url": absolute_url(reverse("editorial:search")),
        },
    )
