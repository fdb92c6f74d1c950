"""An issue as plain data: the one render model both renderers read, and its parts.

selectors.render_data.issue_render_data reads an issue from the database into nested
dicts (sections ▸ articles ▸ blocks, the blocks of editorial.typesetting.blocks); the
Typst template (templates/render/issue.typ, fed the data as JSON) and the HTML
templates (templates/render/issue.html, templates/editorial/_article_blocks.html) both
read it, so print, e-mail and web never disagree and no article text is ever pasted
into markup. This module holds the pure parts of that model: the printed labels in the
bulletin's language, the issue's figure numbering, indicator charts as figure data,
data URIs and the content hash. No database, no storage.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from editorial.typesetting.blocks import FigureBlock, figure_block
from editorial.typesetting.charts import ChartPoint, indicator_chart_svg

RENDER_DATA_VERSION = 1

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


def data_uri(content: bytes, *, name: str = "", mime: str | None = None) -> str:
    mime = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def data_uri_bytes(uri: str) -> tuple[str, bytes]:
    """The MIME type and bytes of a ``data:…;base64,`` URI."""
    head, _, payload = uri.partition(",")
    mime = head[5:].split(";")[0] if head.startswith("data:") else ""
    if head.endswith(";base64"):
        return mime, base64.b64decode(payload)
    return mime, unquote_to_bytes(payload)


def chart_points(metrics: Iterable) -> list:
    """An indicator's series from its metrics, oldest first, one point per period.

    The same series the public indicator page charts: a period reported again in a
    later issue takes the later value.
    """
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


def chart_figure_data(
    indicator, metrics: Iterable, *, labels: Mapping[str, str], unit: str = "",
    caption: str = "", source: str = "",
) -> dict | None:
    """An indicator's chart as figure data, or None when the series has fewer than two
    values (one value is a sentence, not a chart)."""
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


def key_figure_charts(
    quoted: list, series: Mapping[int, list], labels, *, shown_by_figures: set[int]
) -> dict[int, list[FigureBlock]]:
    """article id → chart figure blocks for the indicators its confirmed metrics quote:
    each indicator once, with the first article that quotes it, unless a figure of the
    issue already shows its chart."""
    charts: dict[int, list[FigureBlock]] = defaultdict(list)
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


def display_date(value, language: str) -> str:
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


def content_hash(data: Any, *, salt: str = "") -> str:
    """sha256 of the data in a canonical JSON form (and of ``salt``, e.g. a template's)."""
    canonical = json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    digest = hashlib.sha256(salt.encode("utf-8"))
    digest.update(canonical.encode("utf-8"))
    return digest.hexdigest()
