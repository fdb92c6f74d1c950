"""An issue as plain data: the one render model both renderers read.

``issue_render_data`` turns an issue into nested dicts (sections ▸ articles ▸ blocks);
the Typst template (templates/render/issue.typ, fed the data as JSON) and the HTML
templates (templates/render/issue.html, templates/editorial/_article_blocks.html) both
read it, so print, e-mail and web never disagree and no article text is ever pasted
into markup.

Blocks are plain dicts with a ``type``:

- ``paragraph``  ``{"runs": [{"text", "bold", "italic", "link", "script"}]}``
- ``subheading`` ``{"text", "kicker", "level"}``
- ``figure``     ``{"caption", "source", "image_data_uri", "chart", "number", "label"}``:
  ``number``/``label`` ("图3") are set per issue by ``issue_render_data`` (None and ""
  elsewhere), and a figure row's caption loses the number it may carry ("图3 收入" →
  "收入") so that an issue's numbering is the only one printed.
- ``table``      ``{"rows": [[str]], "header": bool}``
- ``list``       ``{"ordered": bool, "items": [[run, …], …]}``

``html_to_blocks`` is pure (stdlib html.parser over the sanitised vocabulary of
editorial.sanitising); the rest reads the database, one query per level.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import mimetypes
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any

logger = logging.getLogger(__name__)

RENDER_DATA_VERSION = 1

_FIGURE_CLASS = re.compile(r"(?:^|\s)figure-(\d+)(?:\s|$)")
_SPACES = re.compile(r"[ \t\r\n\f]+")
_SAFE_LINK = re.compile(r"^(https?:|mailto:)", re.I)
_BLOCK_TAGS = {"p", "h3", "h4", "ul", "ol", "table", "figure", "blockquote"}

# Labels printed in the renditions, in the bulletin's language (Bulletin.language): a
# rendition reads in one language whatever language the worker process runs in.
LABELS: dict[str, dict[str, str]] = {
    "zh-hans": {
        "contents": "目录",
        "contents_title": "目　录",
        "highlights": "本期要目",
        "page": "第 {n} 页",
        "page_of": "第 {n} 页 / 共 {m} 页",
        "erratum": "更正说明",
        "source": "来源",
        "author": "作者",
        "chart_caption": "{name}走势",
        "chart_source": "资料来源：{source}",
        "chart_source_default": "资料来源：本刊整理",
        "published_by": "{publisher} 编印",
        "issue_number": "第{number}期",
        "volume_year": "{volume}年",
        "volume": "第{volume}卷",
        "end_mark": "（本期完）",
        "figure_number": "图{n}",
    },
    "en": {
        "contents": "Contents",
        "contents_title": "Contents",
        "highlights": "In this issue",
        "page": "Page {n}",
        "page_of": "Page {n} of {m}",
        "erratum": "Correction",
        "source": "Source",
        "author": "Author",
        "chart_caption": "{name}",
        "chart_source": "Source: {source}",
        "chart_source_default": "Source: compiled by the editors",
        "published_by": "Published by {publisher}",
        "issue_number": "No. {number}",
        "volume_year": "{volume}",
        "volume": "Vol. {volume}",
        "end_mark": "— End of issue —",
        "figure_number": "Figure {n}",
    },
}


def labels_for(language: str) -> dict[str, str]:
    code = (language or "zh-hans").lower()
    if code.startswith("zh"):
        return LABELS["zh-hans"]
    return LABELS.get(code.split("-")[0], LABELS["zh-hans"])


# --- HTML → blocks (pure) ---------------------------------------------------------------


def _run(text: str, *, bold=False, italic=False, link=None, script=None) -> dict:
    return {"text": text, "bold": bold, "italic": italic, "link": link, "script": script}


class _BlockBuilder(HTMLParser):
    """Walks sanitised body HTML and collects blocks.

    The vocabulary is small and known (editorial.sanitising), so a flat state machine
    is enough: one open block at a time, inline styles on a stack.
    """

    def __init__(self, figures: Mapping[int, Mapping[str, Any]]):
        super().__init__(convert_charrefs=True)
        self.figures = figures
        self.used_figures: set[int] = set()
        self.blocks: list[dict] = []
        self.bold = 0
        self.italic = 0
        self.script: list[str] = []
        self.links: list[str | None] = []
        self.runs: list[dict] | None = None  # the inline runs being collected
        self.kind: str | None = None  # "p", "kicker", "h", "li", "cell", "figcaption"
        self.heading_level = 3
        self.pending_kicker: str | None = None
        self.lists: list[dict] = []
        self.table: dict | None = None
        self.row: list[str] | None = None
        self.row_is_header = True
        self.in_thead = False
        self.figure: dict | None = None
        self.figcaption: list[dict] | None = None

    # Inline runs -------------------------------------------------------------------------

    def _ensure_runs(self):
        if self.runs is None:
            # Text outside any block (a bare body "正文") becomes a paragraph of its own.
            self._open("p")

    def _open(self, kind: str):
        self._close_inline()
        self.kind = kind
        self.runs = []

    def handle_data(self, data: str):
        if self.figure is not None and self.figcaption is None:
            return  # whitespace inside a figure placeholder
        if self.runs is None and self.figcaption is None:
            if not data.strip() or self.table is not None or self.lists:
                return
            self._ensure_runs()
        self._append(_SPACES.sub(" ", data))

    def _append(self, text: str):
        if not text:
            return
        run = _run(
            text,
            bold=self.bold > 0,
            italic=self.italic > 0,
            link=next((href for href in reversed(self.links) if href), None),
            script=self.script[-1] if self.script else None,
        )
        target = self.figcaption if self.figcaption is not None else self.runs
        if target is None:
            return
        if target and target[-1]["text"].endswith("\n"):
            run["text"] = text = text.lstrip(" ")
            if not text:
                return
        if target and all(target[-1][k] == run[k] for k in ("bold", "italic", "link", "script")):
            target[-1]["text"] += text
        else:
            target.append(run)

    def _close_inline(self):
        """Finish the open inline container and turn it into a block (or part of one)."""
        runs, kind = self.runs, self.kind
        self.runs, self.kind = None, None
        if runs is None:
            return
        runs = _trim_runs(runs)
        if kind == "kicker":
            text = _runs_text(runs)
            if text:
                self.pending_kicker = text
            return
        if kind == "h":
            text = _runs_text(runs)
            if text:
                self.blocks.append(
                    {"type": "subheading", "text": text, "kicker": self.pending_kicker,
                     "level": self.heading_level}
                )
            self.pending_kicker = None
            return
        if kind == "li":
            if runs and self.lists:
                self.lists[0]["items"].append(runs)
            return
        if kind == "cell":
            if self.row is not None:
                self.row.append(_runs_text(runs))
            return
        self._flush_kicker()
        if runs:
            self.blocks.append({"type": "paragraph", "runs": runs})

    def _flush_kicker(self):
        # A kicker line not followed by a heading is kept as an ordinary paragraph.
        if self.pending_kicker:
            kicker, self.pending_kicker = self.pending_kicker, None
            self.blocks.append({"type": "paragraph", "runs": [_run(kicker)]})

    # Tags --------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs):
        attributes = dict(attrs)
        if tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag in ("sup", "sub"):
            self.script.append(tag)
        elif tag == "a":
            href = (attributes.get("href") or "").strip()
            self.links.append(href if _SAFE_LINK.match(href) else None)
        elif tag == "br":
            target = self.figcaption if self.figcaption is not None else self.runs
            if target:
                target[-1]["text"] = target[-1]["text"].rstrip(" ")
                self._append("\n")
        elif tag == "p":
            if self.table is not None or self.lists or self.figcaption is not None:
                return  # a paragraph inside a cell, item or caption is part of it
            classes = (attributes.get("class") or "").split()
            self._open("kicker" if "kicker" in classes else "p")
        elif tag in ("h3", "h4"):
            if self.kind == "kicker":
                self._close_inline()
            self.heading_level = int(tag[1])
            self._open("h")
        elif tag in ("ul", "ol"):
            if not self.lists:
                self._close_inline()
                self._flush_kicker()
                self.lists.append({"type": "list", "ordered": tag == "ol", "items": []})
            else:
                self._close_inline()  # nested lists are flattened into the outer one
                self.lists.append(self.lists[0])
        elif tag == "li":
            if self.lists:
                self._open("li")
        elif tag == "table":
            self._close_inline()
            self._flush_kicker()
            if self.table is None:
                self.table = {"type": "table", "rows": [], "header": False}
        elif tag == "thead":
            self.in_thead = True
        elif tag == "tr":
            if self.table is not None:
                self.row, self.row_is_header = [], True
        elif tag in ("td", "th"):
            if self.row is not None:
                self.row_is_header = self.row_is_header and (tag == "th" or self.in_thead)
                self._open("cell")
        elif tag == "figure":
            self._close_inline()
            self._flush_kicker()
            match = _FIGURE_CLASS.search(attributes.get("class") or "")
            self.figure = {"position": int(match.group(1)) if match else None}
        elif tag == "figcaption":
            if self.figure is not None:
                self.figcaption = []

    def handle_endtag(self, tag: str):
        if tag in ("strong", "b"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)
        elif tag in ("sup", "sub"):
            if self.script:
                self.script.pop()
        elif tag == "a":
            if self.links:
                self.links.pop()
        elif tag in ("p", "h3", "h4"):
            if self.kind in ("p", "kicker", "h"):
                self._close_inline()
        elif tag == "li":
            if self.kind == "li":
                self._close_inline()
        elif tag in ("ul", "ol"):
            if self.lists:
                self._close_inline()
                block = self.lists.pop()
                if not self.lists and block["items"]:
                    self.blocks.append(block)
        elif tag in ("td", "th"):
            if self.kind == "cell":
                self._close_inline()
        elif tag == "tr":
            if self.table is not None and self.row is not None:
                self._close_inline()
                if any(cell for cell in self.row):
                    if not self.table["rows"] and self.row_is_header:
                        self.table["header"] = True
                    self.table["rows"].append(self.row)
                self.row = None
        elif tag == "thead":
            self.in_thead = False
        elif tag == "table":
            if self.table is not None:
                self._close_inline()
                table, self.table = self.table, None
                if table["rows"]:
                    width = max(len(row) for row in table["rows"])
                    table["rows"] = [row + [""] * (width - len(row)) for row in table["rows"]]
                    self.blocks.append(table)
        elif tag == "figcaption":
            pass  # kept until </figure>
        elif tag == "figure":
            self._end_figure()

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("br",):
            self.handle_endtag(tag)

    def _end_figure(self):
        figure, caption_runs = self.figure, self.figcaption
        self.figure, self.figcaption = None, None
        if figure is None:
            return
        position = figure["position"]
        stored = self.figures.get(position) if position is not None else None
        if stored is not None:
            self.used_figures.add(position)
            self.blocks.append(figure_block(**stored))
        elif caption_runs:
            self.blocks.append(figure_block(caption=_runs_text(_trim_runs(caption_runs))))

    def close(self):
        super().close()
        self._close_inline()
        self._flush_kicker()
        if self.lists:
            block = self.lists[0]
            self.lists = []
            if block["items"]:
                self.blocks.append(block)


def _trim_runs(runs: list[dict]) -> list[dict]:
    """Strip the whitespace HTML layout leaves at both ends; drop empty runs."""
    runs = [dict(run) for run in runs if run["text"]]
    if runs:
        runs[0]["text"] = runs[0]["text"].lstrip()
        runs[-1]["text"] = runs[-1]["text"].rstrip()
    return [run for run in runs if run["text"]]


def _runs_text(runs: Iterable[dict]) -> str:
    return "".join(run["text"] for run in runs).strip()


# A number the caption carries itself ("图3 ", "图 2-1：", "Figure 4. "): the renditions
# number figures per issue, so an imported number would print twice or disagree.
_CAPTION_NUMBER = re.compile(
    r"^\s*(?:图|圖|Figure|Fig\.)\s*[0-9０-９]+(?:\s*[-－.．]\s*[0-9０-９]+)?\s*[：:、.．]?\s*",
    re.I,
)


def caption_text(caption: str) -> str:
    """The caption without the figure number it may start with."""
    text = (caption or "").strip()
    stripped = _CAPTION_NUMBER.sub("", text, count=1)
    return stripped if stripped else text


def figure_block(
    *, caption: str = "", source: str = "", image_data_uri: str | None = None,
    chart: bool = False, **_ignored,
) -> dict:
    return {
        "type": "figure",
        "caption": caption or "",
        "source": source or "",
        "image_data_uri": image_data_uri or None,
        "chart": chart,
        "number": None,
        "label": "",
    }


def number_figures(sections: Iterable[dict], labels: Mapping[str, str]) -> int:
    """Number the figures of an issue in reading order (图1, 图2 …); returns how many.

    Only figures that show something are numbered: a caption the body carries without
    a figure row (``<figure><figcaption>``) is text, not a figure.
    """
    count = 0
    for section in sections:
        for article in section["articles"]:
            for block in article["blocks"]:
                if block["type"] == "figure" and block["image_data_uri"]:
                    count += 1
                    block["number"] = count
                    block["label"] = labels["figure_number"].format(n=count)
    return count


def html_to_blocks(html: str, figures: Mapping[int, Mapping[str, Any]] | None = None) -> list[dict]:
    """The blocks of a sanitised article body, in reading order.

    ``figures`` maps Figure.position to ``{"caption", "source", "image_data_uri"}``;
    each ``<figure class="figure-N">`` placeholder becomes that figure, and figures the
    body never mentions follow at the end, in position order, so none is lost.
    """
    figures = figures or {}
    builder = _BlockBuilder(figures)
    builder.feed(html or "")
    builder.close()
    blocks = builder.blocks
    for position in sorted(set(figures) - builder.used_figures):
        blocks.append(figure_block(**figures[position]))
    return blocks


def blocks_text(blocks: Iterable[dict]) -> str:
    """The plain text of blocks, a line each (tests and search snippets)."""
    lines = []
    for block in blocks:
        kind = block["type"]
        if kind == "paragraph":
            lines.append(_runs_text(block["runs"]))
        elif kind == "subheading":
            lines.append(" ".join(filter(None, [block.get("kicker"), block["text"]])))
        elif kind == "figure":
            lines.append(" ".join(filter(None, [block["caption"], block["source"]])))
        elif kind == "table":
            lines.extend(" ".join(row) for row in block["rows"])
        elif kind == "list":
            lines.extend(_runs_text(item) for item in block["items"])
    return "\n".join(lines)


# --- From the database ------------------------------------------------------------------


def data_uri(content: bytes, *, name: str = "", mime: str | None = None) -> str:
    mime = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def data_uri_bytes(uri: str) -> tuple[str, bytes]:
    """The MIME type and bytes of a ``data:…;base64,`` URI."""
    head, _, payload = uri.partition(",")
    mime = head[5:].split(";")[0] if head.startswith("data:") else ""
    if head.endswith(";base64"):
        return mime, base64.b64decode(payload)
    from urllib.parse import unquote_to_bytes

    return mime, unquote_to_bytes(payload)


def figure_image_data_uri(figure) -> str | None:
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


def indicator_series(indicator_ids: Iterable[int], *, issue) -> dict[int, list]:
    """indicator id → its confirmed metrics up to ``issue`` (published issues, and this
    one), oldest first: the series a chart of this issue draws. One query.

    Only values every reader of this issue may read: from issues open to the public, and,
    when this issue is for subscribers only, from its own bulletin's issues too (its
    readers subscribe to the bulletin). A public issue's chart never shows a value from a
    subscriber-only one.
    """
    from django.db.models import Q

    from editorial.models import Metric
    from editorial.services.access import ANONYMOUS, full_text_issue_q, is_subscriber_only
    from editorial.workflow import ISSUE_PUBLIC_STATES

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


def chart_figure_data(
    indicator, metrics: Iterable, *, labels: Mapping[str, str], unit: str = "",
    caption: str = "", source: str = "",
) -> dict | None:
    """An indicator's chart as figure data, or None when the series has fewer than two
    values (one value is a sentence, not a chart)."""
    from editorial.typesetting.charts import indicator_chart_svg

    points = chart_points(metrics)
    if len(points) < 2:
        return None
    svg = stable_chart_ids(
        indicator_chart_svg(points, title=indicator.name, unit=indicator.unit or unit)
    )
    if not source:
        source = (
            labels["chart_source"].format(source=indicator.source)
            if indicator.source
            else labels["chart_source_default"]
        )
    return {
        "caption": caption or labels["chart_caption"].format(name=indicator.name),
        "source": source,
        "image_data_uri": data_uri(svg.encode("utf-8"), mime="image/svg+xml"),
        "chart": True,
    }


def figure_data(figure, *, series: Mapping[int, list], labels: Mapping[str, str]) -> dict | None:
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


def article_figures(article, *, series: Mapping[int, list] | None = None,
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


def article_blocks(article) -> list[dict]:
    """The article body as blocks, its figures put back where they stood."""
    return html_to_blocks(article.body, article_figures(article))


def _display_date(value, language: str) -> str:
    if value is None:
        return ""
    if language.startswith("zh"):
        return f"{value.year}年{value.month}月{value.day}日"
    return value.strftime("%d %B %Y").lstrip("0")


def issue_number_label(*, number: int, volume: int | None, labels: Mapping[str, str]) -> str:
    """“2020年第47期”: volumes that look like a year read as one, others as a volume."""
    number_part = labels["issue_number"].format(number=number)
    if not volume:
        return number_part
    key = "volume_year" if volume >= 1900 else "volume"
    separator = "" if labels is LABELS["zh-hans"] else " "
    return labels[key].format(volume=volume) + separator + number_part


def chart_points(metrics: Iterable) -> list:
    """An indicator's series from its metrics, oldest first, one point per period.

    The same series the public indicator page charts: a period reported again in a
    later issue takes the later value.
    """
    from editorial.typesetting.charts import ChartPoint

    by_period: dict[str, Any] = {}
    order: dict[str, tuple] = {}
    for metric in metrics:
        label = metric.period_label or str(metric.period_end or "")
        by_period[label] = metric.value
        order.setdefault(label, (metric.period_end is None, metric.period_end, metric.pk))
    return [ChartPoint(label, by_period[label]) for label in sorted(by_period, key=order.get)]


_CHART_ID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def stable_chart_ids(svg: str) -> str:
    """Replace pygal's random chart id with one derived from the chart itself, so the
    same series gives the same SVG (and the issue the same content hash)."""
    digest = hashlib.sha256(_CHART_ID.sub("chart", svg).encode("utf-8")).hexdigest()[:16]
    return _CHART_ID.sub(f"chart-{digest}", svg)


def _quoted_metrics(issue) -> list:
    """The issue's confirmed key figures quoted by an article (one query)."""
    from editorial.models import Metric

    return list(
        Metric.objects.filter(issue=issue, status=Metric.Status.CONFIRMED, article__isnull=False)
        .select_related("indicator")
        .order_by("article_id", "indicator__name", "id")
    )


def _key_figure_charts(
    quoted: list, series: Mapping[int, list], labels, *, shown_by_figures: set[int]
) -> dict[int, list[dict]]:
    """article id → chart figure blocks for the indicators its confirmed metrics quote:
    each indicator once, with the first article that quotes it, unless a figure of the
    issue already shows its chart."""
    charts: dict[int, list[dict]] = defaultdict(list)
    charted: set[int] = set(shown_by_figures)
    for metric in quoted:
        indicator = metric.indicator
        if indicator.pk in charted:
            continue
        data = chart_figure_data(indicator, series.get(indicator.pk, ()), labels=labels,
                                 unit=metric.unit)
        if data is None:
            continue
        charted.add(indicator.pk)
        charts[metric.article_id].append(figure_block(**data))
    return charts


def issue_render_data(issue) -> dict:
    """The whole issue as plain data for the renderers.

    A handful of queries whatever the size of the issue: sections, their articles,
    the articles' figures, the quoted metrics and their series.
    """
    from django.db.models import Prefetch

    from editorial.models import Article, Figure, Section

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
    charts = _key_figure_charts(quoted, series, labels, shown_by_figures=figure_indicators)
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
                    if _SAFE_LINK.match(article.source_url or "")
                    else "",
                    "author": article.author,
                    "original_date": _display_date(article.original_date, language),
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
            "date_display": _display_date(issue.issue_date, language),
            "erratum": issue.erratum,
        },
        "sections": section_data,
    }


def content_hash(data: Any, *, salt: str = "") -> str:
    """sha256 of the data in a canonical JSON form (and of ``salt``, e.g. a template's)."""
    canonical = json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    digest = hashlib.sha256(salt.encode("utf-8"))
    digest.update(canonical.encode("utf-8"))
    return digest.hexdigest()
