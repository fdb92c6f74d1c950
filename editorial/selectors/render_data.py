"""An issue read from the database into the render model (editorial.typesetting.render_data).

``issue_render_data`` is the one reader: sections ▸ articles ▸ blocks, with each
article's figures put back where they stood (an image inlined as a data URI, an
indicator figure as its chart), the charts of the key figures the articles quote, and
the figures numbered per issue. A handful of queries whatever the size of the issue.
The shaping itself (labels, charts, numbering, the blocks) is typesetting's, and pure.

A chart shows only values every reader of the issue may read; which issues those are
is the access rule of editorial.selectors.access, asked here for its filter.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Prefetch, Q

from editorial.models import Article, Figure, Issue, Metric, Section
from editorial.selectors.access import ANONYMOUS, full_text_issue_q, is_subscriber_only
from editorial.typesetting.blocks import Block, caption_text, html_to_blocks, is_safe_link
from editorial.typesetting.render_data import (
    LABELS,
    RENDER_DATA_VERSION,
    chart_figure_data,
    data_uri,
    display_date,
    issue_number_label,
    key_figure_charts,
    labels_for,
    number_figures,
)
from editorial.workflow import ISSUE_PUBLIC_STATES

logger = logging.getLogger(__name__)


def indicator_series(indicator_ids: Iterable[int], *, issue: Issue) -> dict[int, list]:
    """indicator id → its confirmed metrics up to ``issue`` (published issues, and this
    one), oldest first: the series a chart of this issue draws. One query.

    Only values every reader of this issue may read: from issues open to the public, and,
    when this issue is for subscribers only, from its own bulletin's issues too (its
    readers subscribe to the bulletin). A public issue's chart never shows a value from a
    subscriber-only one.
    """
    wanted = set(indicator_ids)
    series: dict[int, list] = defaultdict(list)
    if not wanted:
        return series
    readable = full_text_issue_q(ANONYMOUS, prefix="issue__")
    if is_subscriber_only(issue):
        readable |= Q(issue__bulletin_id=issue.bulletin_id)
    for metric in (
        Metric.objects.filter(
            indicator_id__in=wanted,
            status=Metric.Status.CONFIRMED,
            issue__issue_date__lte=issue.issue_date,
        )
        .filter(Q(issue=issue) | (Q(issue__state__in=ISSUE_PUBLIC_STATES) & readable))
        .order_by("period_end", "issue__issue_date", "id")
    ):
        series[metric.indicator_id].append(metric)
    return series


def figure_image_data_uri(figure: Figure) -> str | None:
    """The figure's image inlined, or None when it has none or it cannot be read."""
    if not figure.image:
        return None
    try:
        with figure.image.open("rb") as handle:
            content = handle.read()
    except OSError:
        logger.warning("Figure %s: image %s cannot be read", figure.pk, figure.image.name)
        return None
    return data_uri(content, name=figure.image.name)


def figure_data(figure: Figure, *, series: Mapping[int, list], labels: Mapping[str, str]) -> dict | None:
    """What a Figure row shows: its indicator's chart, or its image. None when it has
    neither (the readiness gates keep such an issue from being published) or its
    indicator has too few values for a chart: a caption alone is not printed."""
    if figure.indicator_id:
        data = chart_figure_data(
            figure.indicator, series.get(figure.indicator_id, ()), labels=labels,
            caption=caption_text(figure.caption), source=figure.source_line,
        )
        if data is None:
            logger.warning("Figure %s: indicator %s has too few values for a chart",
                           figure.pk, figure.indicator_id)
        return data
    if figure.image:
        return {
            "caption": caption_text(figure.caption),
            "source": figure.source_line,
            "image_data_uri": figure_image_data_uri(figure),
        }
    return None


def article_figures(article: Article, *, series: Mapping[int, list] | None = None,
                    labels: Mapping[str, str] | None = None) -> dict[int, dict]:
    """Figure.position → the figure as data, for the figures that show something (uses a
    prefetched ``figures`` if present; ``series`` from ``indicator_series``)."""
    figures = list(article.figures.all())
    if series is None:
        wanted = {figure.indicator_id for figure in figures if figure.indicator_id}
        series = indicator_series(wanted, issue=article.issue) if wanted else {}
    if labels is None:
        labels = labels_for(article.issue.bulletin.language) if series else LABELS["zh-hans"]
    shown = {}
    for figure in figures:
        data = figure_data(figure, series=series, labels=labels)
        if data is not None:
            shown[figure.position] = data
    return shown


def article_blocks(article: Article) -> list[Block]:
    """The article body as blocks, its figures put back where they stood."""
    return html_to_blocks(article.body, article_figures(article))


def _quoted_metrics(issue: Issue) -> list[Metric]:
    """The issue's confirmed key figures quoted by an article (one query)."""
    return list(
        Metric.objects.filter(issue=issue, status=Metric.Status.CONFIRMED, article__isnull=False)
        .select_related("indicator")
        .order_by("article_id", "indicator__name", "id")
    )


def issue_render_data(issue: Issue) -> dict:
    """The whole issue as plain data for the renderers.

    A handful of queries whatever the size of the issue: sections, their articles,
    the articles' figures, the quoted metrics and their series.
    """
    bulletin = issue.bulletin
    language = bulletin.language or "zh-hans"
    labels = labels_for(language)
    sections = (
        Section.objects.filter(bulletin_id=issue.bulletin_id)
        .order_by("position", "id")
        .prefetch_related(
            Prefetch(
                "articles",
                queryset=Article.objects.filter(issue=issue)
                .order_by("position", "id")
                .prefetch_related(
                    Prefetch(
                        "figures",
                        queryset=Figure.objects.select_related("indicator").order_by(
                            "position", "id"
                        ),
                    )
                ),
                to_attr="issue_articles",
            )
        )
    )
    sections = [section for section in sections if section.issue_articles]
    # One series query for the charts figures show and the key figures articles quote.
    figure_indicators = {
        figure.indicator_id
        for section in sections
        for article in section.issue_articles
        for figure in article.figures.all()
        if figure.indicator_id
    }
    quoted = _quoted_metrics(issue)
    series = indicator_series(
        figure_indicators | {metric.indicator_id for metric in quoted}, issue=issue
    )
    charts = key_figure_charts(quoted, series, labels, shown_by_figures=figure_indicators)
    section_data = []
    for section in sections:
        articles = []
        for article in section.issue_articles:
            figures = article_figures(article, series=series, labels=labels)
            blocks = html_to_blocks(article.body, figures) + charts.get(article.pk, [])
            articles.append(
                {
                    "id": article.pk,
                    "anchor": f"article-{article.pk}",
                    "title": article.title,
                    "subtitle": article.subtitle,
                    "source": article.source,
                    "source_url": article.source_url
                    if is_safe_link(article.source_url)
                    else "",
                    "author": article.author,
                    "original_date": display_date(article.original_date, language),
                    "summary": article.summary,
                    "blocks": blocks,
                }
            )
        section_data.append(
            {
                "id": section.pk,
                "anchor": f"section-{section.pk}",
                "name": section.name,
                "articles": articles,
            }
        )

    number_figures(section_data, labels)
    number_label = issue_number_label(number=issue.number, volume=issue.volume, labels=labels)
    return {
        "version": RENDER_DATA_VERSION,
        "language": "zh-CN" if language.lower().startswith("zh") else language,
        "labels": labels,
        "bulletin": {
            "name": bulletin.name,
            "publisher": bulletin.publisher_name,
            "publisher_line": labels["published_by"].format(publisher=bulletin.publisher_name)
            if bulletin.publisher_name
            else "",
            "copyright": bulletin.copyright_line,
            "sections_start_new_page": bulletin.sections_start_new_page,
        },
        "issue": {
            "id": issue.pk,
            "number": issue.number,
            "volume": issue.volume,
            "number_label": number_label,
            "title": issue.display_title,
            "date": issue.issue_date.isoformat(),
            "year": issue.issue_date.year,
            "month": issue.issue_date.month,
            "day": issue.issue_date.day,
            "date_display": display_date(issue.issue_date, language),
            "erratum": issue.erratum,
        },
        "sections": section_data,
    }
