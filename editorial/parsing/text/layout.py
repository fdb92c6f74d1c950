"""The printed line width, measured: "short" only means something relative to it."""

from __future__ import annotations

from dataclasses import dataclass

from .lines import Line
from .measures import (
    DEFAULT_PAGE_WIDTH,
    DOUBT_SHARE,
    INDENT_BAND,
    MAX_PAGE_WIDTH,
    MIN_MEASURED_LINES,
    SHORT_SHARE,
    TITLE_MAX_SHARE,
    TITLE_MAX_WIDTH,
)

# ============================================================================ layout


@dataclass(frozen=True)
class Layout:
    page_width: float  # width of a full printed line; very large for unwrapped text

    def is_short(self, width: float) -> bool:
        return width < SHORT_SHARE * self.page_width

    def in_doubt(self, width: float) -> bool:
        return not self.is_short(width) and width < DOUBT_SHARE * self.page_width

    def lost_indent(self, width: float) -> bool:
        """As wide as a full line less the two-character paragraph indent."""
        return self.page_width - INDENT_BAND[1] <= width <= self.page_width - INDENT_BAND[0]

    def fits_heading(self, width: float) -> bool:
        return width <= min(TITLE_MAX_WIDTH, TITLE_MAX_SHARE * self.page_width)


def measure_layout(lines: list[Line]) -> Layout:
    """Estimate the printed line width from the long lines (full lines dominate them)."""
    widths = sorted(line.width for line in lines if line.width >= 20)
    if len(widths) < MIN_MEASURED_LINES:
        return Layout(DEFAULT_PAGE_WIDTH)
    page_width = widths[(len(widths) - 1) * 3 // 4]
    near_full = sum(1 for width in widths if abs(width - page_width) <= 3)
    if near_full < 0.4 * len(widths) or page_width > MAX_PAGE_WIDTH:
        # No clustering at one printable width: one paragraph per line (pasted text).
        return Layout(float("inf"))
    return Layout(max(page_width, 20.0))


