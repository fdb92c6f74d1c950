"""Articles as the public reads them: the article page (body as render blocks, the
summary when it says more than the first paragraph, the way through the issue) and an
article's figure images."""

from __future__ import annotations

import posixpath
import re

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from editorial.links import absolute_url
from editorial.models import AccessLogEntry, Article
from editorial.selectors import public as selectors
from editorial.selectors.access import (
    ANONYMOUS,
    Reader,
    is_subscriber_only,
    may_read_in_full,
    open_blocks,
    reader_for_request,
)
from editorial.selectors.render_data import figure_data, indicator_series
from editorial.services.access_log import record_access
from editorial.services.caching import cached_public_page
from editorial.site.gating import refuse_unless_full, subscribe_gate
from editorial.site.responses import sandboxed_file_response
from editorial.typesetting.blocks import html_to_blocks
from editorial.typesetting.render_data import labels_for


def _article_body_blocks(article: Article, figures, figure_url) -> list[dict]:
    """The article body as render blocks (editorial.typesetting.blocks), as the renditions set
    it: an indicator figure is its chart, an image figure points at its public (or
    preview) URL rather than being inlined, and a figure with neither is not shown."""
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


def _link_makers(article: Article, preview_token: str | None):
    """(figure_url, article_url): the public URLs, or the signed preview's."""
    if preview_token:

        def figure_url(figure):
            return reverse("editorial:preview_figure", args=[preview_token, article.pk, figure.pk])

        def article_url(pk):
            return reverse("editorial:preview_article", args=[preview_token, pk])
    else:
        issue = article.issue

        def figure_url(figure):
            return reverse(
                "editorial:figure",
                args=[issue.bulletin.slug, issue.number, article.pk, figure.pk],
            )

        def article_url(pk):
            return reverse("editorial:article", args=[issue.bulletin.slug, issue.number, pk])

    return figure_url, article_url


def article_context(
    article: Article, *, preview_token: str | None = None, reader: Reader = ANONYMOUS
) -> dict:
    """The article page's context, for the public page and for a signed preview."""
    issue = article.issue
    gate = None if preview_token else subscribe_gate(reader, issue)
    # Beyond the first paragraph nothing of a gated article is read, figures included.
    figures = [] if gate else selectors.article_figures(article)
    figure_url, article_url = _link_makers(article, preview_token)
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
        "tags": selectors.article_tags(article),
        "previous": previous and {"url": article_url(previous[0]), "title": previous[1]},
        "next": following and {"url": article_url(following[0]), "title": following[1]},
        "position_in_issue": index + 1,
        "articles_in_issue": len(order),
        "more_from_section": [] if preview_token else selectors.more_from_section(article),
        "preview_token": preview_token,
        "canonical_url": absolute_url(article.get_absolute_url()),
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
    context = article_context(article, reader=reader)
    if context["gate"] is None and is_subscriber_only(article.issue):
        record_access(
            reader, channel=AccessLogEntry.Channel.PAGE, resource=f"article:{article.pk}",
            issue=article.issue,
        )
    return render(request, "editorial/article_detail.html", context)


@require_safe
def figure_image(request, bulletin_slug: str, number: int, article_id: int, figure_id: int):
    figure = selectors.get_public_figure(
        bulletin_slug=bulletin_slug, number=number, article_id=article_id, figure_id=figure_id
    )
    if not may_read_in_full(reader_for_request(request), figure.article.issue):
        return refuse_unless_full(request, figure.article.issue, resource=f"figure:{figure.pk}")
    return sandboxed_file_response(
        request, figure.image, filename=posixpath.basename(figure.image.name), attachment=False
    )
