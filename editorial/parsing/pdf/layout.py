"""One page's layout: tables, figures, lines grouped on baselines, columns and reading order.

The gutters between columns are found by columns.py; here each line, table row and figure
is put in its column and the columns' edges are measured.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from editorial.parsing.normalise import fullwidth_to_ascii, is_cjk

from .columns import column_of, find_gutters
from .document import Box, Char, PageData
from .measures import (
    BAND_SHARE,
    BOLD_SHARE,
    CJK_SPACE_EM,
    FRAGMENT_GAP_EM,
    LATIN_SPACE_EM,
    MAX_FIGURE_TEXT_DENSITY,
    MIN_FIGURE_SIDE,
    MIN_VECTOR_FIGURE,
    SEGMENT_GAP_EM,
)

# ============================================================================ page layout


@dataclass(eq=False)
class Line:
    """One printed line (or one table row, when ``cells`` is set), in reading order."""

    page: int
    chars: list[Char]
    text: str
    segments: list[str]
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    artifact: bool
    column: str = "full"  # "full", "left" or "right"
    col_left: float = 0.0
    col_right: float = 0.0
    in_figure: bool = False  # drawn inside an image or chart: a label of it
    cells: list[str] | None = None  # a table row
    table: int | None = None  # which table on the page (rows of one table share it)
    number: int = 0
    role: str = "body"
    evidence: tuple[str, ...] = ()
    sure: bool = True
    overridden: bool = False
    figure: Figure | None = None  # set on a caption or source line that belongs to one

    @property
    def key(self) -> str:
        return "".join(fullwidth_to_ascii(self.text).split())

    @property
    def width(self) -> float:
        """Printed width in full-width characters (Latin letters and digits count half)."""
        return sum(1.0 if is_cjk(c) or ord(c) > 0x2E7F else 0.5 for c in self.text if c != " ")

    @property
    def visible_count(self) -> int:
        return sum(1 for c in self.text if not c.isspace())


@dataclass(eq=False)
class Figure:
    page: int
    box: Box
    column: str = "full"
    caption: Line | None = None
    source: Line | None = None


Item = Line | Figure


def _item_top(item: Item) -> float:
    return item.box.top if isinstance(item, Figure) else item.top


def layout_page(page: PageData) -> list[Item]:
    """The page's lines, table rows and figures in reading order."""
    chars = page.chars
    size = _modal_size(c for c in chars if c.visible) or 10.0
    table_rows, chars = _table_lines(page, chars)
    figures = _figures(page, chars, size)
    figure_chars: list[Char] = []
    if figures:
        kept = []
        for char in chars:
            cx, cy = (char.x0 + char.x1) / 2, (char.top + char.bottom) / 2
            if any(f.box.contains_point(cx, cy, -1.0) for f in figures):
                figure_chars.append(char)
            else:
                kept.append(char)
        chars = kept
    fragments = _fragments(chars)
    gutters = find_gutters(fragments, page, size)
    groups: dict[str, list[list[Char]]] = {"full": [], "left": [], "right": []}
    for fragment in fragments:
        column = column_of(
            fragment[0].x0,
            max(c.x1 for c in fragment),
            min(c.top for c in fragment),
            max(c.bottom for c in fragment),
            gutters,
        )
        groups[column].append(fragment)
    lines: list[Line] = []
    for column, members in groups.items():
        for line in _merge_fragments(members, page.index):
            line.column = column
            lines.append(line)
    for line in _merge_fragments(_fragments(figure_chars), page.index):
        line.in_figure = True
        line.column = column_of(line.x0, line.x1, line.top, line.bottom, gutters)
        lines.append(line)
    for row in table_rows:
        row.column = column_of(row.x0, row.x1, row.top, row.bottom, gutters)
    for figure in figures:
        b = figure.box
        figure.column = column_of(b.x0, b.x1, b.top, b.bottom, gutters)
    _set_column_edges(lines, page)
    items: list[Item] = [*lines, *table_rows, *figures]
    return _reading_order(items)


def _modal_size(chars: Iterable[Char]) -> float | None:
    counts = Counter(char.size for char in chars)
    return counts.most_common(1)[0][0] if counts else None


def _reading_order(items: list[Item]) -> list[Item]:
    """Top to bottom; where columns run side by side, the left column first."""
    ordered: list[Item] = []
    left: list[Item] = []
    right: list[Item] = []

    def flush() -> None:
        ordered.extend(left)
        ordered.extend(right)
        left.clear()
        right.clear()

    for item in sorted(items, key=lambda item: (_item_top(item), _item_x0(item))):
        if item.column == "full":
            flush()
            ordered.append(item)
        else:
            (left if item.column == "left" else right).append(item)
    flush()
    return ordered


def _item_x0(item: Item) -> float:
    return item.box.x0 if isinstance(item, Figure) else item.x0


# --- tables ---


def _table_lines(page: PageData, chars: list[Char]) -> tuple[list[Line], list[Char]]:
    """Rows of the page's ruled tables (as lines with cells), and the chars left over."""
    if not page.tables:
        return [], chars
    rows_out: list[Line] = []
    remaining = []
    in_table: list[list[Char]] = [[] for _ in page.tables]
    for char in chars:
        cx, cy = (char.x0 + char.x1) / 2, (char.top + char.bottom) / 2
        for index, (bbox, _rows) in enumerate(page.tables):
            if bbox.contains_point(cx, cy, 0.5):
                in_table[index].append(char)
                break
        else:
            remaining.append(char)
    for index, ((_bbox, rows), table_chars) in enumerate(zip(page.tables, in_table, strict=True)):
        cells = [(r, c, cell) for r, row in enumerate(rows) for c, cell in enumerate(row) if cell]
        if not cells:
            remaining.extend(table_chars)
            continue
        contents: dict[tuple[int, int], list[Char]] = {}
        for char in table_chars:
            cx, cy = (char.x0 + char.x1) / 2, (char.top + char.bottom) / 2
            r, c, _cell = min(cells, key=lambda rc: _distance(rc[2], cx, cy))
            contents.setdefault((r, c), []).append(char)
        for r, row in enumerate(rows):
            texts = [_cell_text(contents.get((r, c), [])) for c in range(len(row))]
            boxes = [cell for cell in row if cell is not None]
            row_chars = [char for c in range(len(row)) for char in contents.get((r, c), [])]
            visible = [char for char in row_chars if char.visible]
            rows_out.append(
                Line(
                    page=page.index,
                    chars=row_chars,
                    text="\t".join(texts),
                    segments=texts,
                    x0=min(b.x0 for b in boxes),
                    x1=max(b.x1 for b in boxes),
                    top=min(b.top for b in boxes),
                    bottom=max(b.bottom for b in boxes),
                    size=_modal_size(visible) or 0.0,
                    bold=False,
                    artifact=False,
                    cells=texts,
                    table=index,
                    role="table",
                    evidence=("ruled-table",),
                )
            )
    return rows_out, remaining


def _distance(cell: Box, x: float, y: float) -> float:
    dx = max(cell.x0 - x, 0.0, x - cell.x1)
    dy = max(cell.top - y, 0.0, y - cell.bottom)
    return dx * dx + dy * dy


def _cell_text(chars: list[Char]) -> str:
    lines = _merge_fragments(_fragments(chars), 0)
    text = ""
    for line in lines:
        text = join(text, line.text)
    return text


# --- figures ---


def _figures(page: PageData, chars: list[Char], size: float) -> list[Figure]:
    """Images, and clusters of vector graphics large enough and empty enough of text to
    be a chart; nothing in the header/footer bands (logos, rules)."""
    top_band, bottom_band = page.height * BAND_SHARE, page.height * (1 - BAND_SHARE)
    tables = [bbox for bbox, _rows in page.tables]

    def usable(b: Box) -> bool:
        return (
            b.bottom > top_band
            and b.top < bottom_band
            and not any(t.contains(b, 2.0) for t in tables)
            and not (b.width > 0.8 * page.width and b.height > 0.8 * page.height)
        )

    boxes = [b for b in page.images if b.width >= MIN_FIGURE_SIDE and b.height >= MIN_FIGURE_SIDE]
    found = [Figure(page.index, b) for b in boxes if usable(b)]
    for cluster in _clusters([g for g in page.graphics if usable(g)], gap=4.0):
        if cluster.width < MIN_VECTOR_FIGURE[0] or cluster.height < MIN_VECTOR_FIGURE[1]:
            continue
        if _text_density(cluster, chars) > MAX_FIGURE_TEXT_DENSITY:
            continue  # a shaded or framed text box
        if any(f.box.near(cluster, 2.0) for f in found):
            for f in found:
                if f.box.near(cluster, 2.0):
                    f.box = f.box.union(cluster)
            continue
        found.append(Figure(page.index, cluster))
    return found


def _clusters(boxes: list[Box], gap: float) -> list[Box]:
    clusters: list[Box] = []
    for b in sorted(boxes, key=lambda b: b.top):
        for index, cluster in enumerate(clusters):
            if cluster.near(b, gap):
                clusters[index] = cluster.union(b)
                break
        else:
            clusters.append(b)
    # A union can reach a cluster it did not touch before: merge until stable.
    merged = True
    while merged and len(clusters) > 1:
        merged = False
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                if clusters[i].near(clusters[j], gap):
                    clusters[i] = clusters[i].union(clusters.pop(j))
                    merged = True
                    break
            if merged:
                break
    return clusters


def _text_density(box: Box, chars: list[Char]) -> float:
    area = max(box.width * box.height, 1.0)
    inside = sum(
        (c.x1 - c.x0) * (c.bottom - c.top)
        for c in chars
        if c.visible and box.contains_point((c.x0 + c.x1) / 2, (c.top + c.bottom) / 2)
    )
    return inside / area


# --- lines ---


def _fragments(chars: list[Char]) -> list[list[Char]]:
    """Runs of glyphs on one baseline with no wide gap between them."""
    fragments: list[list[Char]] = []
    if not chars:
        return fragments
    ordered = sorted(chars, key=lambda c: (c.baseline, c.x0))
    bands: list[list[Char]] = []
    for char in ordered:
        if bands and abs(char.baseline - bands[-1][0].baseline) <= 0.25 * max(char.size, 1.0):
            bands[-1].append(char)
        else:
            bands.append([char])
    for band in bands:
        band.sort(key=lambda c: c.x0)
        current: list[Char] = []
        for char in band:
            if current:
                previous = current[-1]
                gap = char.x0 - previous.x1
                if gap > FRAGMENT_GAP_EM * max(char.size, previous.size, 1.0):
                    fragments.append(current)
                    current = []
            current.append(char)
        if current:
            fragments.append(current)
    # Fragments of spaces alone carry nothing.
    return [f for f in fragments if any(c.visible for c in f)]


def _merge_fragments(fragments: list[list[Char]], page: int) -> list[Line]:
    """Fragments sharing a baseline make one line; a smaller-font run on a raised or
    lowered baseline (a superscript) joins the line it sits in."""
    if not fragments:
        return []
    fragments = sorted(fragments, key=lambda f: (f[0].baseline, f[0].x0))
    rows: list[list[Char]] = []
    for fragment in fragments:
        if rows and abs(fragment[0].baseline - rows[-1][0].baseline) <= 0.3 * max(
            fragment[0].size, rows[-1][0].size, 1.0
        ):
            rows[-1].extend(fragment)
        else:
            rows.append(list(fragment))
    rows = _attach_small_rows(rows)
    return [_make_line(sorted(row, key=lambda c: c.x0), page) for row in rows]


def _attach_small_rows(rows: list[list[Char]]) -> list[list[Char]]:
    """Merge a row into the one before it when the two overlap in height and one is set
    much smaller (a superscript, a footnote mark)."""
    out: list[list[Char]] = []
    for row in rows:
        if out and _is_inline_pair(out[-1], row):
            out[-1] = out[-1] + row
        else:
            out.append(row)
    return out


def _is_inline_pair(a: list[Char], b: list[Char]) -> bool:
    a_top, a_bottom = min(c.top for c in a), max(c.bottom for c in a)
    b_top, b_bottom = min(c.top for c in b), max(c.bottom for c in b)
    overlap = min(a_bottom, b_bottom) - max(a_top, b_top)
    if overlap <= 0.3 * min(a_bottom - a_top, b_bottom - b_top):
        return False
    a_size, b_size = max(c.size for c in a), max(c.size for c in b)
    return min(a_size, b_size) < 0.85 * max(a_size, b_size)


def _make_line(chars: list[Char], page: int) -> Line:
    visible = [c for c in chars if c.visible]
    segments: list[str] = []
    current = ""
    previous: Char | None = None
    spaced = False
    for char in chars:
        if not char.visible:
            spaced = previous is not None
            continue
        if previous is not None:
            gap = char.x0 - previous.x1
            em = max(char.size, previous.size, 1.0)
            if gap > SEGMENT_GAP_EM * em:
                segments.append(current)
                current = ""
            elif _needs_space(previous.text[-1], char.text[0], gap / em, spaced):
                current += " "
        current += char.text
        previous = char
        spaced = False
    segments.append(current)
    bold = sum(1 for c in visible if c.bold) >= BOLD_SHARE * len(visible)
    return Line(
        page=page,
        chars=chars,
        text=_join_segments(segments),
        segments=segments,
        x0=visible[0].x0,
        x1=max(c.x1 for c in visible),
        top=min(c.top for c in visible),
        bottom=max(c.bottom for c in visible),
        size=_modal_size(visible) or 0.0,
        bold=bold,
        artifact=all(c.artifact for c in visible),
    )


def _join_segments(segments: list[str]) -> str:
    text = segments[0]
    for segment in segments[1:]:
        text = join(text, segment)
    return text


def _needs_space(before: str, after: str, gap_em: float, spaced: bool) -> bool:
    """A space inside a line: where the PDF draws one, else between Latin words or at a
    wide gap between two Chinese phrases. A CJK/Latin boundary gets none from a gap
    alone: layout programs space those by themselves."""
    if spaced:
        return True  # the PDF draws a space glyph there
    cjk_before, cjk_after = is_cjk(before), is_cjk(after)
    if cjk_before != cjk_after:
        return False
    return gap_em > (CJK_SPACE_EM if cjk_before else LATIN_SPACE_EM)


# --- column edges ---


def _set_column_edges(lines: list[Line], page: PageData) -> None:
    """Left and right edge of each column: where most of its lines start and end (a
    justified line ends at the edge; hanging punctuation and indents do not move it)."""
    by_column: dict[str, list[Line]] = {}
    for line in lines:
        if line.in_figure:
            line.col_left, line.col_right = line.x0, line.x1
        else:
            by_column.setdefault(line.column, []).append(line)
    for members in by_column.values():
        measured = [line for line in members if line.visible_count >= 5] or members
        left = _common_edge([line.x0 for line in measured], low=True)
        right = _common_edge([line.x1 for line in measured], low=False)
        for line in members:
            line.col_left, line.col_right = left, right


def _common_edge(values: list[float], *, low: bool) -> float:
    """Left: the leftmost x two lines share (paragraph first lines are indented, so
    most lines of a page of short paragraphs may start further in). Right: where most
    lines end, justified (hanging punctuation ends beyond it, short lines before)."""
    if low:
        ordered = sorted(values)
        for first, second in pairwise(ordered):
            if second - first <= 1.5:
                return first
        return ordered[0]
    counts = Counter(round(value) for value in values)
    best = max(counts.values())
    mode = max(value for value, count in counts.items() if count == best)
    return min(value for value in values if round(value) == mode)


def join(text: str, more: str) -> str:
    """Join two printed lines: CJK with nothing, Latin words with one space."""
    more = more.strip()
    text = text.rstrip()
    if not text:
        return more
    if not more:
        return text
    last, first = text[-1], more[0]
    if is_cjk(last) or is_cjk(first) or last == "-" or ord(last) > 0x2E7F or ord(first) > 0x2E7F:
        return text + more
    return f"{text} {more}"
