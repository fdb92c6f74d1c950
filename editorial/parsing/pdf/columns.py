"""Columns on a page: the gutters between two columns, and which column a box is in.

A page may have two columns over part of its height only (a full-width title above, a
full-width table below), so each gutter holds the height over which it divides the page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from .document import Char, PageData
from .measures import FRAGMENT_GAP_EM, INDENT_EM


@dataclass(frozen=True)
class Gutter:
    x0: float
    x1: float
    top: float  # the height over which the page has two columns
    bottom: float


def find_gutters(fragments: list[list[Char]], page: PageData, size: float) -> list[Gutter]:
    """The gaps between two columns, each over the height where the page has two
    columns (none for a one-column page).

    A right column shows as lines starting at one x in the middle of the page (and
    paragraph first lines a little further in), three or more in a vertical run; beside
    them lines of a left column end before that x with a gap of about an em or more,
    and few lines cross it (a full-width title may)."""
    spans = [
        (f[0].x0, max(c.x1 for c in f), min(c.top for c in f), max(c.bottom for c in f))
        for f in fragments
    ]
    if len(spans) < 6:
        return []
    low, high = page.width * 0.25, page.width * 0.75
    starts = Counter(round(x0) for x0, _x1, _t, _b in spans if low <= x0 <= high)
    found: list[tuple[int, Gutter]] = []
    for start, count in starts.items():
        if count < 2:
            continue
        right = sorted(
            (s for s in spans if start - 1 <= s[0] <= start + 3 * size), key=lambda s: s[2]
        )
        for run in _vertical_runs(right, 2.5 * size):
            gutter = _gutter_beside(spans, run, start, size)
            if gutter is not None:
                found.append(gutter)
    gutters: list[Gutter] = []
    for _score, gutter in sorted(found, key=lambda pair: -pair[0]):
        if not any(g.top < gutter.bottom and gutter.top < g.bottom for g in gutters):
            gutters.append(gutter)
    return gutters


def _vertical_runs(spans: list, gap: float) -> Iterator[list]:
    run: list = []
    for span in spans:
        if run and span[2] - run[-1][3] > gap:
            yield run
            run = []
        run.append(span)
    if run:
        yield run


def _gutter_beside(spans, run, start: int, size: float) -> tuple[int, Gutter] | None:
    # Two lines make a column only when they are prose, not a column of figures.
    if len(run) < 2 or (len(run) == 2 and all(s[1] - s[0] < 8 * size for s in run)):
        return None
    limit = start - 0.5 * size
    top, bottom = min(s[2] for s in run), max(s[3] for s in run)
    beside = [s for s in spans if s[3] > top and s[2] < bottom and s[1] <= limit]
    if not beside:
        return None
    edge = max(s[1] for s in beside)
    if start - edge < FRAGMENT_GAP_EM * size:
        return None
    top, bottom = _extend_zone(spans, top, bottom, limit, edge, size)
    zone = [s for s in spans if s[3] > top and s[2] < bottom]
    left = [s for s in zone if s[1] <= limit]
    crossing = sum(1 for s in zone if s[0] < limit < s[1])
    ends = sum(1 for s in left if s[1] >= edge - 2 * size)
    if len(left) < 3 or crossing > 0.2 * len(zone) or ends < 2:
        return None
    return len(run) + ends, Gutter(edge, float(start), top, bottom)


def _extend_zone(
    spans: list[tuple[float, float, float, float]],
    top: float,
    bottom: float,
    limit: float,
    edge: float,
    size: float,
) -> tuple[float, float]:
    """Grow the two-column height over the lines of the longer column (one column is
    often longer than the other): down while the column's paragraph goes on or a new
    one starts (indented, or filling the column's width), up over full column lines;
    never over a line that crosses the gutter or past a gap."""
    ordered = sorted(spans, key=lambda s: s[2])
    # Where justified lines end (lines with hanging punctuation end a little further):
    # the leftmost end shared by two lines near the edge.
    near = Counter(round(s[1]) for s in spans if edge - size <= s[1] <= limit)
    shared = [x1 for x1, count in near.items() if count >= 2]
    justified = min(shared or near or [round(edge)])

    left_edge = min(
        (s[0] for s in spans if s[1] <= limit and s[3] > top and s[2] < bottom), default=0.0
    )

    def full(span) -> bool:  # set justified to the column's edge
        return span[1] >= justified - 0.15 * size

    def opens_paragraph(span) -> bool:  # a first-line indent inside the column
        return left_edge + INDENT_EM * size <= span[0] <= left_edge + 3 * size

    previous_full = True
    for span in ordered:
        if span[2] < bottom:
            previous_full = full(span) if span[1] <= limit else previous_full
            continue
        if span[0] < limit < span[1] or span[2] - bottom > 2.5 * size:
            break
        if span[1] > limit or not (previous_full or full(span) or opens_paragraph(span)):
            break
        bottom = max(bottom, span[3])
        previous_full = full(span)
    for span in reversed(ordered):
        if span[3] > top:
            continue
        if span[1] > limit or top - span[3] > 2.5 * size or not full(span):
            break
        top = min(top, span[2])
    return top, bottom


def column_of(x0: float, x1: float, top: float, bottom: float, gutters: list[Gutter]) -> str:
    middle_y = (top + bottom) / 2
    for gutter in gutters:
        if gutter.top <= middle_y <= gutter.bottom:
            middle = (gutter.x0 + gutter.x1) / 2
            if x1 <= middle:
                return "left"
            if x0 >= middle:
                return "right"
            return "full"
    return "full"
