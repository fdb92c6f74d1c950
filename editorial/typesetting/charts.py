"""Indicator charts as SVG, drawn server-side with pygal.

The public indicator page, the issue HTML and the PDF all embed the same SVG, so a
chart reads the same on screen, in print and without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pygal
from pygal.style import Style

FONT_STACK = "'Noto Sans CJK SC', 'Source Han Sans SC', sans-serif"

CHART_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1d1d1f",
    foreground_strong="#1d1d1f",
    foreground_subtle="#666666",
    colors=("#8a1c1c", "#1a5fb4", "#26a269"),
    font_family=FONT_STACK,
    label_font_size=11,
    major_label_font_size=11,
    value_font_size=10,
    title_font_size=14,
    # Light grid lines: pygal's default guides print as heavy black dots.
    guide_stroke_color="#d0d0d0",
    major_guide_stroke_color="#b0b0b0",
    guide_stroke_dasharray="2,2",
)


@dataclass(frozen=True)
class ChartPoint:
    label: str  # the period as readers know it, e.g. "2020年1—11月"
    value: Decimal | float | None


def indicator_chart_svg(
    points: Sequence[ChartPoint], *, title: str, unit: str = "", width: int = 640, height: int = 320
) -> str:
    """A line chart of one indicator's values as a standalone SVG document (text).

    No scripts and no external references (pygal's tooltips JS is turned off), so it
    can be inlined in e-mail, embedded in the PDF and printed.
    """
    chart = pygal.Line(
        width=width,
        height=height,
        style=CHART_STYLE,
        title=f"{title}（{unit}）" if unit else title,
        show_legend=False,
        x_label_rotation=30 if len(points) > 6 else 0,
        show_minor_x_labels=len(points) <= 12,
        x_labels_major_every=max(1, len(points) // 12) if len(points) > 12 else None,
        js=[],  # no external script: pygal would otherwise reference a CDN
        disable_xml_declaration=True,
        print_values=len(points) <= 8,
        dots_size=3,
        truncate_label=-1,
        explicit_size=True,
    )
    chart.x_labels = [p.label for p in points]
    chart.add(title, [float(p.value) if p.value is not None else None for p in points])
    return strip_scripts(chart.render(is_unicode=True))


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def strip_scripts(svg: str) -> str:
    """Drop pygal's inline config script: the chart is static and must stay script-free."""
    return _SCRIPT.sub("", svg)


def chart_png(svg: str, *, scale: float = 2) -> bytes:
    """The same chart as a PNG, for readers that show no SVG (Gmail, Outlook).

    Drawn by cairosvg from the SVG itself, so the PNG cannot drift from the chart the
    pages and the PDF show; twice the size by default, sharp on high-density screens.
    """
    import cairosvg  # loads the native Cairo library: only e-mails need PNG charts

    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)
