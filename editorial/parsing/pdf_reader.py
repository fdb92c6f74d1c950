"""Read a bulletin from the PDF itself into the parser tree.

Plain text extracted from a PDF has lost what the PDF knows: font sizes, bold faces,
positions, images and ruled tables. This reader works from the PDF's characters
(pdfplumber / pdfminer.six) and uses them directly:

1. characters: every glyph with its position, baseline, size and font; radical code
   points that stand for ordinary ideographs are unified (``glyphs.unify_radicals``);
2. page objects: ruled tables (pdfplumber ``find_tables``, lines strategy) take their
   characters out of the running text; images and clusters of vector graphics become
   figures, and text drawn inside a figure (chart labels) is set aside with it;
3. lines: characters are grouped on their baselines, per column where the page has a
   gutter, and put in reading order (above a full-width item, the left column then the
   right one);
4. furniture: running headers and footers (top/bottom of the page and repeated, or
   shaped like a page number or a copyright notice), a cover and a contents page;
5. roles, from the body font size (the size most characters are set in): configured
   section names, titles (clearly larger), subheadings (bold at the body size, or
   between body and title size), figure captions and source lines, body;
6. tree: body lines become paragraphs (a new one at a first-line indent, after a line
   that stops short in sentence punctuation, or after extra vertical space), joined
   across columns, pages and the furniture between them.

Every line (table rows and furniture included) gets a ``LineDecision`` numbered in
reading order over the whole document; ``overrides`` use those numbers. Nothing is
dropped: apart from furniture and whitespace every character of the text layer is in
the tree exactly once.
"""

from __future__ import annotations

import io
import logging
import re
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import pairwise

import pdfplumber
from pdfminer.layout import LTChar, LTContainer, LTCurve, LTImage
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import LIT

from editorial.parsing.glyphs import unify_radicals
from editorial.parsing.issue_number import find_issue_numbers
from editorial.parsing.normalise import clean_title, fullwidth_to_ascii, is_cjk
from editorial.parsing.patterns import (
    BARE_NUMBER,
    CAPTION_PREFIX,
    CONTENTS,
    DATE,
    ISSUE_SUFFIX,
    LEADER,
    NAME_SHAPE,
    PAGE_NUMBER,
    SECTION_SUFFIX,
    SENTENCE_END,
    SOURCE_LINE,
    STRONG_NOTICE,
    WEAK_NOTICE,
)
from editorial.parsing.text import KNOWN_SECTION_NAMES, OVERRIDE_ROLES, WARNING_CODES
from editorial.parsing.tree import (
    BulletinParseError,
    FigureCaption,
    LineDecision,
    Paragraph,
    ParsedArticle,
    ParsedBulletin,
    ParsedSection,
    ParseWarning,
    Subheading,
    Table,
)

__all__ = ["MAX_PAGES", "PDF_WARNING_CODES", "parse_pdf"]

# Every ``ParseWarning.code`` this reader emits: the plain-text parser's codes it shares,
# and the few only a PDF gives rise to.
PDF_WARNING_CODES = {
    **{
        code: WARNING_CODES[code]
        for code in (
            "unsure-title",
            "unsure-subheading",
            "unknown-heading",
            "guessed-section",
            "section-order",
            "no-section",
            "untitled-article",
            "empty-article",
            "orphan-source",
            "front-matter",
            "bad-override",
        )
    },
    "uncaptioned-figure": "an image or chart with no caption line next to it",
    "unmapped-glyphs": "characters the PDF draws without saying which they are (shown as �)",
}

# --- cost guards ---
MAX_PAGES = 300
_MAX_FILE_BYTES = 200 * 1024 * 1024
_MAX_PAGE_CONTENT_BYTES = 16 * 1024 * 1024  # decoded content streams of one page
_TIME_BUDGET_SECONDS = 120.0  # checked between pages
_SCANNED_CHARS_PER_PAGE = 10  # fewer text characters than this per page: a scan

# --- geometry (points, or ems of the line's own font size) ---
_BAND_SHARE = 0.12  # running headers/footers sit in the top or bottom 12% of the page
_BAND_LINES = 3  # ... among the first or last three lines of the page
_FRAGMENT_GAP_EM = 0.8  # a wider gap between two glyphs splits a line (a gutter, a tab)
_SEGMENT_GAP_EM = 1.5  # a gap this wide separates the parts of a header line
_LATIN_SPACE_EM = 0.15  # a gap this wide between two Latin glyphs is a word space
_CJK_SPACE_EM = 0.5  # ... between CJK glyphs: a space between two phrases
_INDENT_EM = 1.2  # a first line starts at least this far in: a paragraph indent
_SHORT_EM = 1.5  # a line ending this far before the column's edge stopped short
_KICKER_GAP_EM = 2.5  # a kicker sits at most this far above its subheading
_SIZE_TOLERANCE = 0.5  # points: sizes this close are the same size
_TITLE_MIN_STEP = 1.0  # a title is set at least this much larger than the body
_MAX_HEADING_CHARS = 60
_MAX_SUBHEADING_CHARS = 40
_MAX_SECTION_CHARS = 8
_MAX_CAPTION_WIDTH = 40.0  # full-width characters
_CAPTION_DISTANCE_EM = 2.5  # a caption or source line this close to its figure
_MIN_FIGURE_SIDE = 12.0
_MIN_VECTOR_FIGURE = (40.0, 30.0)  # width, height of a chart drawn with vector graphics
_MAX_FIGURE_TEXT_DENSITY = 0.2  # a box this full of text is a text box, not a chart
_BOLD_SHARE = 0.9

_BOLD_NAME = re.compile(r"(?i)bold|heavy|black|semibold|demibold|medium|[-,]B$|\bW[6-9]\b")
_HEI_NAME = re.compile(r"(?i)simhei|heiti|^hei$|黑体")
_WHITESPACE = frozenset(" \t\n\r\u00a0\u2002\u2003\u2009\u3000")
_NOT_HEADING_END = frozenset("。，、；：,;:")
_HEADING_END_DOUBT = frozenset("？！?!")
_KNOWN_SECTION_KEYS = frozenset("".join(name.split()).casefold() for name in KNOWN_SECTION_NAMES)
_PAGE_NUMBER_SHAPE = (PAGE_NUMBER, BARE_NUMBER)
_DIGITS = re.compile(r"\d+")
# A cover's digest of the issue, besides 目录: it lists sections and titles again.
_DIGEST = re.compile(r"^(?:本期)?(?:要目|导读|看点|提要)$")


# ============================================================================ public API


def parse_pdf(
    data: bytes,
    *,
    sections: Sequence[str] | None = None,
    overrides: Mapping[int, str] | None = None,
) -> ParsedBulletin:
    """Parse a bulletin PDF.

    ``sections``: the bulletin's configured section names, in order (``None``: guess
    them from known names and font size, and warn). ``overrides``: PDF line number (as
    in ``ParsedBulletin.decisions``) -> one of section, title, subheading, body, caption,
    furniture; an editor's correction, always honoured.

    Raises ``BulletinParseError`` with code ``empty``, ``pdf-broken`` (not a PDF,
    damaged, encrypted), ``too-large``, ``scanned-pdf`` (no text layer) or
    ``no-structure``.
    """
    if not data:
        raise BulletinParseError("The file is empty.", code="empty")
    checked = _checked_overrides(overrides)
    with _quiet_pdfminer():
        pages = _read_document(data)
    return _Parser(pages, sections, checked).parse()


# ============================================================================ reading the PDF


@dataclass(slots=True)
class _Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float
    size: float
    bold: bool
    artifact: bool  # marked as a pagination artifact (tagged PDFs)

    @property
    def visible(self) -> bool:
        return self.text not in _WHITESPACE and not self.text.isspace()


@dataclass(slots=True)
class _Box:
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def contains_point(self, x: float, y: float, margin: float = 0.0) -> bool:
        return (
            self.x0 - margin <= x <= self.x1 + margin
            and self.top - margin <= y <= self.bottom + margin
        )

    def contains(self, other: _Box, margin: float = 0.0) -> bool:
        return (
            self.x0 - margin <= other.x0
            and other.x1 <= self.x1 + margin
            and self.top - margin <= other.top
            and other.bottom <= self.bottom + margin
        )

    def near(self, other: _Box, gap: float) -> bool:
        return not (
            other.x0 > self.x1 + gap
            or other.x1 < self.x0 - gap
            or other.top > self.bottom + gap
            or other.bottom < self.top - gap
        )

    def union(self, other: _Box) -> _Box:
        return _Box(
            min(self.x0, other.x0),
            min(self.top, other.top),
            max(self.x1, other.x1),
            max(self.bottom, other.bottom),
        )


@dataclass
class _PageData:
    index: int  # 0-based
    width: float
    height: float
    chars: list[_Char]
    images: list[_Box]
    graphics: list[_Box]  # rectangles, lines and curves
    tables: list[tuple[_Box, list[list[_Box | None]]]]  # bbox, rows of cell boxes
    unmapped: int = 0


@contextmanager
def _quiet_pdfminer() -> Iterator[None]:
    """pdfminer logs a warning per glyph for some fonts (a missing FontBBox); that is
    slow and says nothing an editor can act on."""
    logger = logging.getLogger("pdfminer")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _read_document(data: bytes) -> list[_PageData]:
    if len(data) > _MAX_FILE_BYTES:
        raise BulletinParseError(
            f"The PDF is {len(data) // (1024 * 1024)} MB; the limit is "
            f"{_MAX_FILE_BYTES // (1024 * 1024)} MB.",
            code="too-large",
        )
    if b"%PDF-" not in data[:1024]:
        raise BulletinParseError("The file is not a PDF.", code="pdf-broken")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise BulletinParseError(
            "The PDF is encrypted and cannot be read without its password.", code="pdf-broken"
        ) from exc
    # pdfminer raises many types for damaged files (PSSyntaxError, PDFSyntaxError,
    # KeyError, TypeError, struct.error ...): bad bytes must only give BulletinParseError.
    except Exception as exc:
        raise BulletinParseError(f"The PDF cannot be read: {exc}", code="pdf-broken") from exc
    with pdf:
        try:
            page_list = pdf.pages
        except Exception as exc:
            raise BulletinParseError(
                f"The PDF's page list cannot be read: {exc}", code="pdf-broken"
            ) from exc
        if len(page_list) > MAX_PAGES:
            raise BulletinParseError(
                f"The PDF has {len(page_list)} pages; the limit is {MAX_PAGES}.",
                code="too-large",
            )
        if not page_list:
            raise BulletinParseError("The PDF has no pages.", code="pdf-broken")
        deadline = time.monotonic() + _TIME_BUDGET_SECONDS
        pages = []
        for index, page in enumerate(page_list):
            if time.monotonic() > deadline:
                raise BulletinParseError(
                    f"Reading the PDF took too long (stopped at page {index + 1}).",
                    code="too-large",
                )
            try:
                _check_page_cost(page, index)
                pages.append(_read_page(page, index))
            except BulletinParseError:
                raise
            except Exception as exc:
                raise BulletinParseError(
                    f"Page {index + 1} of the PDF cannot be read: {exc}", code="pdf-broken"
                ) from exc
            finally:
                page.close()
    _check_text_layer(pages, data)
    return pages


def _check_page_cost(page, index: int) -> None:
    """Refuse a page whose content streams decode to more than the limit, before
    pdfminer interprets them (it would take minutes and gigabytes)."""
    total = 0
    for stream in page.page_obj.contents or ():
        stream = resolve1(stream)
        if isinstance(stream, PDFStream):
            total += _decoded_size(stream, _MAX_PAGE_CONTENT_BYTES - total)
        if total > _MAX_PAGE_CONTENT_BYTES:
            raise BulletinParseError(
                f"Page {index + 1} of the PDF has more than "
                f"{_MAX_PAGE_CONTENT_BYTES // (1024 * 1024)} MB of drawing instructions.",
                code="too-large",
            )


def _decoded_size(stream: PDFStream, budget: int) -> int:
    if stream.data is not None:
        return len(stream.data)
    raw = stream.rawdata or b""
    filters = stream.get_filters()
    if len(filters) == 1 and filters[0][0] in (LIT("FlateDecode"), LIT("Fl")):
        decoder = zlib.decompressobj()
        try:
            return len(decoder.decompress(raw, max(budget, 0) + 1))
        except zlib.error:
            return len(raw)  # pdfminer reports (or tolerates) the damage itself
    return len(raw)


def _read_page(page, index: int) -> _PageData:
    layout = page.layout
    height = float(page.height)
    mb_x0, mb_top = (float(value) for value in page.mediabox[:2])
    data = _PageData(index, float(page.width), height, [], [], [], [])

    def box(obj) -> _Box:
        return _Box(
            obj.x0 + mb_x0, height - obj.y1 + mb_top, obj.x1 + mb_x0, height - obj.y0 + mb_top
        )

    def walk(objects) -> None:
        for obj in objects:
            if isinstance(obj, LTChar):
                text = obj.get_text()
                if text.startswith("(cid:"):
                    text = "\ufffd"
                    data.unmapped += 1
                else:
                    text = unify_radicals(text)
                matrix = obj.matrix
                upright = obj.upright and matrix[1] == 0 and matrix[2] == 0
                baseline = height - matrix[5] + mb_top if upright else height - obj.y0 + mb_top
                b = box(obj)
                data.chars.append(
                    _Char(
                        text,
                        b.x0,
                        b.x1,
                        b.top,
                        b.bottom,
                        baseline,
                        round(float(obj.size), 1),
                        _is_bold(obj.fontname),
                        getattr(obj, "tag", None) == "Artifact",
                    )
                )
            elif isinstance(obj, LTImage):
                data.images.append(box(obj))
            elif isinstance(obj, LTCurve):  # rectangles and lines too
                data.graphics.append(box(obj))
            elif isinstance(obj, LTContainer):
                walk(obj)

    walk(layout)
    if _may_hold_table(data.graphics):
        for table in page.find_tables(
            {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
        ):
            rows = [
                [_Box(*cell) if cell is not None else None for cell in row.cells]
                for row in table.rows
            ]
            if max(len(row) for row in rows) >= 2:
                data.tables.append((_Box(*table.bbox), rows))
    return data


def _may_hold_table(graphics: list[_Box]) -> bool:
    """Two horizontal and two vertical rules at least (a cheap test before
    find_tables); a rectangle has two of each."""
    horizontal = vertical = 0
    for g in graphics:
        if g.width >= 10 and g.height >= 10:
            horizontal += 2
            vertical += 2
        elif g.width >= 10:
            horizontal += 1
        elif g.height >= 10:
            vertical += 1
    return horizontal >= 2 and vertical >= 2


@lru_cache(maxsize=256)
def _is_bold(fontname) -> bool:
    if isinstance(fontname, bytes):
        fontname = fontname.decode("latin-1")
    name = str(fontname).split("+", 1)[-1]
    return bool(_BOLD_NAME.search(name) or _HEI_NAME.search(name))


def _check_text_layer(pages: list[_PageData], data: bytes) -> None:
    visible = sum(1 for page in pages for char in page.chars if char.visible)
    if visible >= _SCANNED_CHARS_PER_PAGE * len(pages):
        return
    if visible == 0 and not any(page.images for page in pages) and b"%%EOF" not in data[-2048:]:
        raise BulletinParseError(
            "The PDF is damaged or cut short: no page content could be read.", code="pdf-broken"
        )
    raise BulletinParseError(
        "The PDF has no text layer (it looks like a scan): run it through OCR first, or "
        "paste the text.",
        code="scanned-pdf",
    )


# ============================================================================ page layout


@dataclass(eq=False)
class _Line:
    """One printed line (or one table row, when ``cells`` is set), in reading order."""

    page: int
    chars: list[_Char]
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
    figure: _Figure | None = None  # set on a caption or source line that belongs to one

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
class _Figure:
    page: int
    box: _Box
    column: str = "full"
    caption: _Line | None = None
    source: _Line | None = None


_Item = _Line | _Figure


def _item_top(item: _Item) -> float:
    return item.box.top if isinstance(item, _Figure) else item.top


def _layout_page(page: _PageData) -> list[_Item]:
    """The page's lines, table rows and figures in reading order."""
    chars = page.chars
    size = _modal_size(c for c in chars if c.visible) or 10.0
    table_rows, chars = _table_lines(page, chars)
    figures = _figures(page, chars, size)
    figure_chars: list[_Char] = []
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
    gutters = _find_gutters(fragments, page, size)
    groups: dict[str, list[list[_Char]]] = {"full": [], "left": [], "right": []}
    for fragment in fragments:
        column = _column_of(
            fragment[0].x0,
            max(c.x1 for c in fragment),
            min(c.top for c in fragment),
            max(c.bottom for c in fragment),
            gutters,
        )
        groups[column].append(fragment)
    lines: list[_Line] = []
    for column, members in groups.items():
        for line in _merge_fragments(members, page.index):
            line.column = column
            lines.append(line)
    for line in _merge_fragments(_fragments(figure_chars), page.index):
        line.in_figure = True
        line.column = _column_of(line.x0, line.x1, line.top, line.bottom, gutters)
        lines.append(line)
    for row in table_rows:
        row.column = _column_of(row.x0, row.x1, row.top, row.bottom, gutters)
    for figure in figures:
        b = figure.box
        figure.column = _column_of(b.x0, b.x1, b.top, b.bottom, gutters)
    _set_column_edges(lines, page)
    items: list[_Item] = [*lines, *table_rows, *figures]
    return _reading_order(items)


def _modal_size(chars: Iterable[_Char]) -> float | None:
    counts = Counter(char.size for char in chars)
    return counts.most_common(1)[0][0] if counts else None


def _column_of(x0: float, x1: float, top: float, bottom: float, gutters: list[_Gutter]) -> str:
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


def _reading_order(items: list[_Item]) -> list[_Item]:
    """Top to bottom; where columns run side by side, the left column first."""
    ordered: list[_Item] = []
    left: list[_Item] = []
    right: list[_Item] = []

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


def _item_x0(item: _Item) -> float:
    return item.box.x0 if isinstance(item, _Figure) else item.x0


# --- tables ---


def _table_lines(page: _PageData, chars: list[_Char]) -> tuple[list[_Line], list[_Char]]:
    """Rows of the page's ruled tables (as lines with cells), and the chars left over."""
    if not page.tables:
        return [], chars
    rows_out: list[_Line] = []
    remaining = []
    in_table: list[list[_Char]] = [[] for _ in page.tables]
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
        contents: dict[tuple[int, int], list[_Char]] = {}
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
                _Line(
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


def _distance(cell: _Box, x: float, y: float) -> float:
    dx = max(cell.x0 - x, 0.0, x - cell.x1)
    dy = max(cell.top - y, 0.0, y - cell.bottom)
    return dx * dx + dy * dy


def _cell_text(chars: list[_Char]) -> str:
    lines = _merge_fragments(_fragments(chars), 0)
    text = ""
    for line in lines:
        text = _join(text, line.text)
    return text


# --- figures ---


def _figures(page: _PageData, chars: list[_Char], size: float) -> list[_Figure]:
    """Images, and clusters of vector graphics large enough and empty enough of text to
    be a chart; nothing in the header/footer bands (logos, rules)."""
    top_band, bottom_band = page.height * _BAND_SHARE, page.height * (1 - _BAND_SHARE)
    tables = [bbox for bbox, _rows in page.tables]

    def usable(b: _Box) -> bool:
        return (
            b.bottom > top_band
            and b.top < bottom_band
            and not any(t.contains(b, 2.0) for t in tables)
            and not (b.width > 0.8 * page.width and b.height > 0.8 * page.height)
        )

    boxes = [b for b in page.images if b.width >= _MIN_FIGURE_SIDE and b.height >= _MIN_FIGURE_SIDE]
    found = [_Figure(page.index, b) for b in boxes if usable(b)]
    for cluster in _clusters([g for g in page.graphics if usable(g)], gap=4.0):
        if cluster.width < _MIN_VECTOR_FIGURE[0] or cluster.height < _MIN_VECTOR_FIGURE[1]:
            continue
        if _text_density(cluster, chars) > _MAX_FIGURE_TEXT_DENSITY:
            continue  # a shaded or framed text box
        if any(f.box.near(cluster, 2.0) for f in found):
            for f in found:
                if f.box.near(cluster, 2.0):
                    f.box = f.box.union(cluster)
            continue
        found.append(_Figure(page.index, cluster))
    return found


def _clusters(boxes: list[_Box], gap: float) -> list[_Box]:
    clusters: list[_Box] = []
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


def _text_density(box: _Box, chars: list[_Char]) -> float:
    area = max(box.width * box.height, 1.0)
    inside = sum(
        (c.x1 - c.x0) * (c.bottom - c.top)
        for c in chars
        if c.visible and box.contains_point((c.x0 + c.x1) / 2, (c.top + c.bottom) / 2)
    )
    return inside / area


# --- lines ---


def _fragments(chars: list[_Char]) -> list[list[_Char]]:
    """Runs of glyphs on one baseline with no wide gap between them."""
    fragments: list[list[_Char]] = []
    if not chars:
        return fragments
    ordered = sorted(chars, key=lambda c: (c.baseline, c.x0))
    bands: list[list[_Char]] = []
    for char in ordered:
        if bands and abs(char.baseline - bands[-1][0].baseline) <= 0.25 * max(char.size, 1.0):
            bands[-1].append(char)
        else:
            bands.append([char])
    for band in bands:
        band.sort(key=lambda c: c.x0)
        current: list[_Char] = []
        for char in band:
            if current:
                previous = current[-1]
                gap = char.x0 - previous.x1
                if gap > _FRAGMENT_GAP_EM * max(char.size, previous.size, 1.0):
                    fragments.append(current)
                    current = []
            current.append(char)
        if current:
            fragments.append(current)
    # Fragments of spaces alone carry nothing.
    return [f for f in fragments if any(c.visible for c in f)]


def _merge_fragments(fragments: list[list[_Char]], page: int) -> list[_Line]:
    """Fragments sharing a baseline make one line; a smaller-font run on a raised or
    lowered baseline (a superscript) joins the line it sits in."""
    if not fragments:
        return []
    fragments = sorted(fragments, key=lambda f: (f[0].baseline, f[0].x0))
    rows: list[list[_Char]] = []
    for fragment in fragments:
        if rows and abs(fragment[0].baseline - rows[-1][0].baseline) <= 0.3 * max(
            fragment[0].size, rows[-1][0].size, 1.0
        ):
            rows[-1].extend(fragment)
        else:
            rows.append(list(fragment))
    rows = _attach_small_rows(rows)
    return [_make_line(sorted(row, key=lambda c: c.x0), page) for row in rows]


def _attach_small_rows(rows: list[list[_Char]]) -> list[list[_Char]]:
    """Merge a row into the one before it when the two overlap in height and one is set
    much smaller (a superscript, a footnote mark)."""
    out: list[list[_Char]] = []
    for row in rows:
        if out and _is_inline_pair(out[-1], row):
            out[-1] = out[-1] + row
        else:
            out.append(row)
    return out


def _is_inline_pair(a: list[_Char], b: list[_Char]) -> bool:
    a_top, a_bottom = min(c.top for c in a), max(c.bottom for c in a)
    b_top, b_bottom = min(c.top for c in b), max(c.bottom for c in b)
    overlap = min(a_bottom, b_bottom) - max(a_top, b_top)
    if overlap <= 0.3 * min(a_bottom - a_top, b_bottom - b_top):
        return False
    a_size, b_size = max(c.size for c in a), max(c.size for c in b)
    return min(a_size, b_size) < 0.85 * max(a_size, b_size)


def _make_line(chars: list[_Char], page: int) -> _Line:
    visible = [c for c in chars if c.visible]
    segments: list[str] = []
    current = ""
    previous: _Char | None = None
    spaced = False
    for char in chars:
        if not char.visible:
            spaced = previous is not None
            continue
        if previous is not None:
            gap = char.x0 - previous.x1
            em = max(char.size, previous.size, 1.0)
            if gap > _SEGMENT_GAP_EM * em:
                segments.append(current)
                current = ""
            elif _needs_space(previous.text[-1], char.text[0], gap / em, spaced):
                current += " "
        current += char.text
        previous = char
        spaced = False
    segments.append(current)
    bold = sum(1 for c in visible if c.bold) >= _BOLD_SHARE * len(visible)
    return _Line(
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
        text = _join(text, segment)
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
    return gap_em > (_CJK_SPACE_EM if cjk_before else _LATIN_SPACE_EM)


@dataclass(frozen=True)
class _Gutter:
    x0: float
    x1: float
    top: float  # the height over which the page has two columns
    bottom: float


def _find_gutters(fragments: list[list[_Char]], page: _PageData, size: float) -> list[_Gutter]:
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
    found: list[tuple[int, _Gutter]] = []
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
    gutters: list[_Gutter] = []
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


def _gutter_beside(spans, run, start: int, size: float) -> tuple[int, _Gutter] | None:
    # Two lines make a column only when they are prose, not a column of figures.
    if len(run) < 2 or (len(run) == 2 and all(s[1] - s[0] < 8 * size for s in run)):
        return None
    limit = start - 0.5 * size
    top, bottom = min(s[2] for s in run), max(s[3] for s in run)
    beside = [s for s in spans if s[3] > top and s[2] < bottom and s[1] <= limit]
    if not beside:
        return None
    edge = max(s[1] for s in beside)
    if start - edge < _FRAGMENT_GAP_EM * size:
        return None
    top, bottom = _extend_zone(spans, top, bottom, limit, edge, size)
    zone = [s for s in spans if s[3] > top and s[2] < bottom]
    left = [s for s in zone if s[1] <= limit]
    crossing = sum(1 for s in zone if s[0] < limit < s[1])
    ends = sum(1 for s in left if s[1] >= edge - 2 * size)
    if len(left) < 3 or crossing > 0.2 * len(zone) or ends < 2:
        return None
    return len(run) + ends, _Gutter(edge, float(start), top, bottom)


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
        return left_edge + _INDENT_EM * size <= span[0] <= left_edge + 3 * size

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


def _set_column_edges(lines: list[_Line], page: _PageData) -> None:
    """Left and right edge of each column: where most of its lines start and end (a
    justified line ends at the edge; hanging punctuation and indents do not move it)."""
    by_column: dict[str, list[_Line]] = {}
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


# ============================================================================ the parser


@dataclass
class _Levels:
    body: float
    section: float | None  # the size section headings are set in, when it tells
    title: float | None  # the size article titles are set in
    bold_tells: bool = True  # False when the body font itself reads as bold


class _Parser:
    def __init__(
        self,
        pages: list[_PageData],
        sections: Sequence[str] | None,
        overrides: dict[int, str],
    ):
        self.pages = pages
        self.configured = sections is not None
        self.section_names = {_section_key(name): name for name in sections or ()}
        self.section_order = {key: i for i, key in enumerate(self.section_names)}
        self.overrides = overrides
        self.warnings: list[ParseWarning] = []
        self.items: list[_Item] = []
        self.lines: list[_Line] = []
        self.front_matter: list[_Line] = []
        self.contents_pages: set[int] = set()
        self.levels = _Levels(10.0, None, None)

    # ------------------------------------------------------------------ driver

    def parse(self) -> ParsedBulletin:
        for page in self.pages:
            self.items.extend(_layout_page(page))
        self.lines = [item for item in self.items if isinstance(item, _Line)]
        for number, line in enumerate(self.lines, start=1):
            line.number = number
        self._report_unmapped()
        self._mark_running_furniture()
        self.contents_pages = self._find_contents_pages()
        self.levels = self._measure_levels()
        self._assign_roles()
        self._attach_figures()
        self._apply_overrides()
        self._mark_front_matter()
        bulletin = _Assembler(self).build()
        if not any(
            section.title or any(a.title for a in section.articles) for section in bulletin.sections
        ):
            raise BulletinParseError(
                "No section headings or article titles were found: the text is set in one "
                "font size and weight throughout.",
                code="no-structure",
            )
        self._metadata(bulletin)
        bulletin.decisions = [
            LineDecision(line.number, line.text, line.role, line.evidence, line.sure)
            for line in self.lines
        ]
        bulletin.warnings = sorted(self.warnings, key=lambda warning: warning.line)
        return bulletin

    def warn(self, line: _Line, code: str, message: str, *, unsure: bool = True) -> None:
        if unsure:
            line.sure = False
        self.warnings.append(ParseWarning(line.number, message, code=code, text=line.text))

    def _report_unmapped(self) -> None:
        unmapped = sum(page.unmapped for page in self.pages)
        first = next((line for line in self.lines if "\ufffd" in line.text), None)
        if unmapped and first is not None:
            self.warn(
                first,
                "unmapped-glyphs",
                f"{unmapped} characters have no Unicode mapping in the PDF and are shown as "
                "\ufffd.",
                unsure=False,
            )

    # ------------------------------------------------------------------ furniture

    def _mark_running_furniture(self) -> None:
        """Lines among the first or last few of a page, inside its top or bottom band,
        that repeat on other pages at the same height, or are shaped like a page number
        or a copyright notice, or are tagged as pagination artifacts."""
        by_page: dict[int, list[_Line]] = {}
        for line in self.lines:
            if line.cells is None:
                by_page.setdefault(line.page, []).append(line)
        candidates: list[_Line] = []
        for page_index, page_lines in by_page.items():
            height = self.pages[page_index].height
            ordered = sorted(page_lines, key=lambda ln: ln.top)
            head = [ln for ln in ordered[:_BAND_LINES] if ln.bottom <= height * _BAND_SHARE]
            tail = [
                ln
                for ln in ordered[-_BAND_LINES:]
                if ln.top >= height * (1 - _BAND_SHARE) and ln not in head
            ]
            candidates += head + tail
        repeats = Counter(self._repeat_key(line) for line in candidates)
        needed = 2 if len(self.pages) <= 4 else 3
        for line in candidates:
            key = line.key
            shaped = (
                any(pattern.match(key) for pattern in _PAGE_NUMBER_SHAPE)
                or bool(STRONG_NOTICE.search(key) or WEAK_NOTICE.search(key))
                or line.artifact
            )
            if shaped or repeats[self._repeat_key(line)] >= needed:
                _set_furniture(line)

    @staticmethod
    def _repeat_key(line: _Line) -> tuple:
        return (_DIGITS.sub("#", line.key), round(line.top), round(line.size))

    # ------------------------------------------------------------------ sizes

    def _find_contents_pages(self) -> set[int]:
        """Pages near the start holding a table of contents (目录, or a cover digest
        such as 本期要目), or three or more lines with dot leaders and page numbers: they
        repeat the section names and titles, so they are front matter, not the issue."""
        leaders: Counter[int] = Counter()
        pages: set[int] = set()
        for line in self.lines:
            if line.page < 3 and line.role != "furniture":
                if CONTENTS.match(line.key) or _DIGEST.match(line.key):
                    pages.add(line.page)
                if LEADER.search(line.key):
                    leaders[line.page] += 1
        return pages | {page for page, count in leaders.items() if count >= 3}

    def _measure_levels(self) -> _Levels:
        content = [
            ln
            for ln in self.lines
            if ln.role != "furniture"
            and not ln.in_figure
            and ln.cells is None
            and ln.page not in self.contents_pages
        ]
        weights: Counter[float] = Counter()
        bold_chars = 0
        for line in content:
            for char in line.chars:
                if char.visible:
                    weights[char.size] += 1
        body = weights.most_common(1)[0][0] if weights else 10.0
        body_chars = 0
        for line in content:
            for char in line.chars:
                if char.visible and abs(char.size - body) <= _SIZE_TOLERANCE:
                    body_chars += 1
                    bold_chars += char.bold
        short = [ln for ln in content if ln.visible_count <= _MAX_HEADING_CHARS]
        larger = [ln for ln in short if ln.size > body + _SIZE_TOLERANCE]
        larger = _without_masthead(larger)
        section = None
        named = Counter(_half(ln.size) for ln in short if self._section_name(ln) is not None)
        if named:
            section = named.most_common(1)[0][0]
            if section <= body + _SIZE_TOLERANCE:
                section = None  # section names in the body font: matched by name only
        elif not self.configured:
            distinct = sorted({_half(ln.size) for ln in larger}, reverse=True)
            if len(distinct) >= 2 and distinct[0] - distinct[1] >= _TITLE_MIN_STEP:
                top_lines = [ln for ln in larger if _half(ln.size) == distinct[0]]
                if all(ln.visible_count <= _MAX_SECTION_CHARS for ln in top_lines):
                    section = distinct[0]
        titles = Counter(
            _half(ln.size)
            for ln in larger
            if ln.size >= body + _TITLE_MIN_STEP
            and (section is None or ln.size < section - _SIZE_TOLERANCE)
        )
        title = None
        if titles:
            title = titles.most_common(1)[0][0]
            # Subheadings set a little larger than the body can outnumber the titles: a
            # larger size used about as often is the title size.
            for size, count in sorted(titles.items(), reverse=True):
                if size > title and count >= 0.5 * titles[title]:
                    title = size
                    break
        bold_tells = body_chars == 0 or bold_chars < 0.5 * body_chars
        return _Levels(body=body, section=section, title=title, bold_tells=bold_tells)

    def _section_name(self, line: _Line) -> str | None:
        key = _section_key(line.text)
        if self.configured:
            return self.section_names.get(key)
        return line.text.strip() if key in _KNOWN_SECTION_KEYS else None

    # ------------------------------------------------------------------ roles

    def _assign_roles(self) -> None:
        for line in self.lines:
            if line.role == "furniture" or line.cells is not None:
                continue
            if line.in_figure:
                # Chart labels belong to the figure; its source line may be drawn inside.
                if _is_figure_source(line.key):
                    line.role, line.evidence = "source", ("source-line", "image")
                else:
                    _set_furniture(line, ("image",))
                continue
            line.role, line.evidence = self._role_of(line)

    def _role_of(self, line: _Line) -> tuple[str, tuple[str, ...]]:
        levels = self.levels
        size, body = line.size, levels.body
        larger = size > body + _SIZE_TOLERANCE
        font = ("font-size",) if larger else ()
        is_bold = line.bold and levels.bold_tells
        bold = ("bold",) if is_bold else ()
        text = line.text.strip()
        if self._section_name(line) is not None:
            if self.configured:
                return "section", ("configured-section", *font)
            self.warn(line, "guessed-section", "no sections configured: a known section name")
            return "section", ("guessed-section", *font)
        if _is_figure_source(line.key):
            return "source", ("source-line",)
        heading_shaped = (
            line.visible_count <= _MAX_HEADING_CHARS and text[-1] not in _NOT_HEADING_END
        )
        at_section_size = (
            levels.section is not None
            and larger
            and abs(size - levels.section) <= _SIZE_TOLERANCE
            and line.visible_count <= _MAX_SECTION_CHARS
        )
        if at_section_size and not self.configured:
            self.warn(
                line,
                "guessed-section",
                "no sections configured: a short line in the "
                "section font taken as a section heading",
            )
            return "section", ("guessed-section", *font)
        if at_section_size and (
            _section_key(text) in _KNOWN_SECTION_KEYS or SECTION_SUFFIX.search(line.key)
        ):
            self.warn(line, "unknown-heading", "a section heading not among configured sections")
            return "section", font
        if (
            levels.title is not None
            and size >= levels.title - _SIZE_TOLERANCE
            and size >= body + _TITLE_MIN_STEP
        ):
            if not heading_shaped:
                return "body", font
            if line.visible_count > _MAX_SUBHEADING_CHARS or text[-1] in _HEADING_END_DOUBT:
                self.warn(line, "unsure-title", "a long or questioning line in the title font")
            return "title", font + bold
        if larger and heading_shaped:
            return "subheading", font + bold
        if is_bold and abs(size - body) <= _SIZE_TOLERANCE and heading_shaped:
            if line.visible_count > _MAX_SUBHEADING_CHARS or text[-1] in _HEADING_END_DOUBT:
                self.warn(line, "unsure-subheading", "a long bold line taken as a subheading")
            return "subheading", bold
        return "body", ()

    # ------------------------------------------------------------------ figures

    def _attach_figures(self) -> None:
        """A figure takes the short line right below it (or right above, when that one is
        numbered like 图1 or nothing fits below) as its caption, and a source line under
        it or under the caption. With no figure, a short line right above a source line
        is a caption too (a chart the PDF draws in a way not recognised as a figure)."""
        reach = _CAPTION_DISTANCE_EM * self.levels.body
        for index, item in enumerate(self.items):
            if not isinstance(item, _Figure):
                continue
            near = [
                ln
                for ln in self._neighbours(index)
                if ln.page == item.page
                and ln.figure is None
                and ln.role in ("body", "subheading", "source")
                and (ln.column == item.column or "full" in (ln.column, item.column))
            ]
            below = sorted(
                (ln for ln in near if -1 <= ln.top - item.box.bottom <= reach),
                key=lambda ln: ln.top,
            )
            above = sorted(
                (ln for ln in near if -1 <= item.box.top - ln.bottom <= reach),
                key=lambda ln: -ln.bottom,
            )
            shaped = [ln for ln in below[:1] + above[:1] if self._caption_shaped(ln)]
            numbered = [ln for ln in shaped if CAPTION_PREFIX.match(ln.key)]
            caption = (numbered or shaped or [None])[0]
            source = next(
                (
                    ln
                    for ln in near
                    if ln.role == "source"
                    and (
                        -1 <= ln.top - item.box.bottom <= reach
                        or (caption is not None and -1 <= ln.top - caption.bottom <= reach)
                    )
                ),
                None,
            )
            if caption is not None:
                caption.role, caption.evidence = "caption", ("image",)
                caption.figure = item
                item.caption = caption
            if source is not None:
                source.figure = item
                item.source = source
        for line in self.lines:
            if line.in_figure and line.role == "source" and line.figure is None:
                figure = next(
                    (
                        f
                        for f in self.items
                        if isinstance(f, _Figure)
                        and f.page == line.page
                        and f.box.contains_point(line.x0, line.top, 1.0)
                    ),
                    None,
                )
                if figure is not None and figure.source is None:
                    figure.source, line.figure = line, figure
        for previous, line in zip(self.lines, self.lines[1:], strict=False):
            if (
                line.role == "source"
                and line.figure is None
                and previous.figure is None
                and previous.role in ("body", "subheading")
                and previous.page == line.page
                and 0 <= line.top - previous.bottom <= reach
                and self._caption_shaped(previous)
            ):
                previous.role, previous.evidence = "caption", ("caption-before-source",)

    def _neighbours(self, index: int) -> Iterator[_Line]:
        """Lines within a few items of the figure in reading order."""
        for item in self.items[max(index - 8, 0) : index + 9]:
            if isinstance(item, _Line):
                yield item

    @staticmethod
    def _caption_shaped(line: _Line) -> bool:
        """Short, not a sentence, and not a full line of a paragraph."""
        text = line.text.strip()
        if line.cells is not None or not text or text[-1] in _NOT_HEADING_END:
            return False
        if line.width > _MAX_CAPTION_WIDTH:
            return False
        full = line.x1 >= line.col_right - _SHORT_EM * line.size
        starts_at_edge = line.x0 <= line.col_left + 0.5 * line.size
        return not (full and starts_at_edge)

    # ------------------------------------------------------------------ overrides

    def _apply_overrides(self) -> None:
        by_number = {line.number: line for line in self.lines}
        for number, role in sorted(self.overrides.items()):
            line = by_number.get(number)
            if line is None:
                self.warnings.append(
                    ParseWarning(
                        number,
                        "Override on a line the PDF does not have, ignored.",
                        code="bad-override",
                    )
                )
                continue
            line.overridden = True
            line.evidence = ("editor",)
            line.sure = True
            figure = line.figure
            if figure is not None and not (role == "caption" and figure.caption is line):
                if figure.caption is line:
                    figure.caption = None
                if figure.source is line:
                    figure.source = None
                line.figure = None
            if line.cells is not None:
                # A row taken out of its table becomes an ordinary line.
                line.text = " ".join(cell for cell in line.cells if cell)
                line.cells = None
            line.role = role

    # ------------------------------------------------------------------ cover, contents

    def _mark_front_matter(self) -> None:
        """Lines before the first section heading (or, with none, the first title) are a
        cover or masthead, and a contents page near the start is one too: furniture.
        A line an editor placed keeps its role."""
        contents_pages = self.contents_pages
        display = (self.levels.title or 0) + 2 * _TITLE_MIN_STEP
        has_section = any(ln.role == "section" for ln in self.lines)

        def starts_content(line: _Line) -> bool:
            if line.page in contents_pages:
                return False
            if has_section:
                return line.role == "section"
            return line.role == "title" and (line.overridden or line.size <= display)

        marked: list[_Line] = []
        for line in self.lines:
            if starts_content(line):
                break
            if line.overridden or line.role == "furniture":
                continue
            _set_furniture(line)
            marked.append(line)
        self.front_matter = marked
        if marked:
            self.warn(
                marked[0],
                "front-matter",
                f"{len(marked)} cover and contents lines before the first heading were set "
                "aside as furniture.",
                unsure=False,
            )

    # ------------------------------------------------------------------ metadata

    def _metadata(self, bulletin: ParsedBulletin) -> None:
        furniture = [ln for ln in self.lines if ln.role == "furniture" and not ln.in_figure]
        bulletin.issue_number, bulletin.total_number = find_issue_numbers(
            [segment for line in furniture for segment in line.segments]
        )
        bulletin.issue_date = _most_common_date(line.key for line in furniture)
        bulletin.bulletin_name = self._bulletin_name(furniture)

    def _bulletin_name(self, furniture: list[_Line]) -> str | None:
        """The running header's first part that is not a date, number or notice; a name
        shaped like one (……周刊, ……监测) wins. Else the cover's largest name-shaped line."""
        front = {id(line) for line in self.front_matter}
        names: Counter[str] = Counter()
        for line in furniture:
            if id(line) in front:
                continue
            for segment in line.segments:
                key = "".join(fullwidth_to_ascii(segment).split())
                if not key or DATE.search(key) or STRONG_NOTICE.search(key):
                    continue
                if WEAK_NOTICE.search(key) or any(p.match(key) for p in _PAGE_NUMBER_SHAPE):
                    continue
                name = clean_title(ISSUE_SUFFIX.sub("", segment))
                if name and not re.fullmatch(r"[\d\W]+", name) and not name.startswith("第"):
                    names[name] += 1
                break
        shaped = Counter({n: c for n, c in names.items() if NAME_SHAPE.search(_key(n))})
        if shaped or names:
            return (shaped or names).most_common(1)[0][0]
        cover = [line for line in self.front_matter if NAME_SHAPE.search(line.key)]
        if cover:
            best = max(cover, key=lambda line: line.size)
            return clean_title(ISSUE_SUFFIX.sub("", best.text)) or clean_title(best.text)
        return None


def _without_masthead(larger: list[_Line]) -> list[_Line]:
    """Leave out the bulletin's name on the cover: the largest size, set once or twice
    and only on the first page. It must not decide the section or title size."""
    if not larger:
        return larger
    top = max(_half(line.size) for line in larger)
    at_top = [line for line in larger if _half(line.size) == top]
    rest = [line for line in larger if _half(line.size) != top]
    if rest and len(at_top) <= 2 and all(line.page == 0 for line in at_top):
        return rest
    return larger


def _set_furniture(line: _Line, evidence: tuple[str, ...] = ("furniture",)) -> None:
    line.role = "furniture"
    line.evidence = evidence


def _is_figure_source(key: str) -> bool:
    """``资料来源：`` / ``数据来源：`` / ``Source:``; a bare ``来源：`` credits an article."""
    match = SOURCE_LINE.match(key)
    return bool(match) and (match.group("figure") is not None or "来源" not in match.group(0))


def _half(size: float) -> float:
    return round(size * 2) / 2


def _key(text: str) -> str:
    return "".join(fullwidth_to_ascii(text).split())


def _section_key(text: str) -> str:
    return _key(text).casefold()


def _most_common_date(keys: Iterable[str]) -> date | None:
    found: Counter[date] = Counter()
    for key in keys:
        for year, month, day in DATE.findall(key):
            try:
                found[date(int(year), int(month), int(day))] += 1
            except ValueError:
                continue
    return found.most_common(1)[0][0] if found else None


# ============================================================================ the tree


class _Assembler:
    """Walks the items in reading order and builds sections ▸ articles ▸ blocks."""

    def __init__(self, parser: _Parser):
        self.parser = parser
        self.bulletin = ParsedBulletin()
        self.section: ParsedSection | None = None
        self.article: ParsedArticle | None = None
        self.article_line: _Line | None = None
        self.paragraph: Paragraph | None = None
        self.last_body: _Line | None = None  # the last line of the open paragraph
        self.interrupted = False  # a figure or table came after the open paragraph's line
        self.table: Table | None = None
        self.table_key: tuple[int, int | None] | None = None
        self.heading: _Line | None = None  # the section or title line just read
        self.subheading: tuple[Subheading, _Line] | None = None
        self.pending_caption: FigureCaption | None = None
        self.last_section_position = -1
        self.emitted: set[int] = set()
        self.typical_gap = self._typical_gap()

    def _typical_gap(self) -> float | None:
        """The usual space between two body lines of a paragraph, in ems."""
        gaps = []
        body = [ln for ln in self.parser.lines if ln.role == "body"]
        for a, b in pairwise(body):
            if a.page == b.page and a.column == b.column and b.top > a.bottom:
                gaps.append((b.top - a.bottom) / max(a.size, 1.0))
        return sorted(gaps)[len(gaps) // 2] if len(gaps) >= 3 else None

    def build(self) -> ParsedBulletin:
        for item in self.parser.items:
            if isinstance(item, _Figure):
                self._figure(item)
                continue
            line = item
            role = line.role
            if role == "furniture":
                self.bulletin.furniture.append(line.text)
                continue
            if line.figure is not None and role in ("caption", "source"):
                self._figure(line.figure)
                continue
            if role != "table":
                self.table = None
            if role not in ("title", "section"):
                self.heading = None
            if role != "subheading":
                self.subheading = None
            if role != "source":
                self.pending_caption = None
            handler = {
                "section": self._section,
                "title": self._title,
                "subheading": self._subheading,
                "caption": self._caption,
                "source": self._source,
                "table": self._table_row,
            }.get(role, self._body)
            handler(line)
        self._close_article()
        return self.bulletin

    # --- headings ---

    def _section(self, line: _Line) -> None:
        if self.heading is not None and self.section is not None and self._continues(line):
            self.section.title = clean_title(_join(self.section.title, line.text))
            self.heading = line
            return
        self._close_article()
        parser = self.parser
        key = _section_key(line.text)
        position = parser.section_order.get(key)
        if position is not None:
            if position <= self.last_section_position:
                parser.warn(line, "section-order", "a section heading out of the configured order")
            self.last_section_position = position
        title = parser.section_names.get(key) or clean_title(line.text)
        self.section = ParsedSection(title=title, line=line.number)
        self.bulletin.sections.append(self.section)
        self.article = None
        self.heading = line

    def _title(self, line: _Line) -> None:
        if self.heading is not None and self.article is not None and self._continues(line):
            self.article.title = clean_title(_join(self.article.title, line.text))
            self.heading = line
            return
        self._close_article()
        self._ensure_section(line)
        self.article = ParsedArticle(title=clean_title(line.text), line=line.number)
        self.article_line = line
        self.section.articles.append(self.article)
        self.heading = line

    def _continues(self, line: _Line) -> bool:
        """The next line of a wrapped heading: same role and size, right below."""
        previous = self.heading
        return (
            previous.role == line.role
            and previous.page == line.page
            and previous.column == line.column
            and abs(previous.size - line.size) <= _SIZE_TOLERANCE
            and -1 <= line.top - previous.bottom <= 0.8 * line.size
        )

    def _subheading(self, line: _Line) -> None:
        """A bold line right under another: the rest of a wrapped subheading when the
        first reached the column's edge, else the heading under a kicker."""
        self._ensure_article(line)
        self._end_paragraph()
        if self.subheading is not None:
            block, previous = self.subheading
            gap = line.top - previous.bottom
            same_page = previous.page == line.page and previous.column == line.column
            wrapped = previous.x1 >= previous.col_right - _SHORT_EM * previous.size
            if same_page and wrapped and -1 <= gap <= 0.8 * line.size:
                block.text = clean_title(_join(block.text, line.text))
                self.subheading = (block, line)
                return
            if (
                same_page
                and not wrapped
                and block.kicker is None
                and -1 <= gap <= _KICKER_GAP_EM * line.size
            ):
                block.kicker, block.text = block.text, clean_title(line.text)
                self.subheading = (block, line)
                return
        block = Subheading(text=clean_title(line.text), line=line.number)
        self.article.blocks.append(block)
        self.subheading = (block, line)

    # --- figures and tables ---

    def _figure(self, figure: _Figure) -> None:
        if id(figure) in self.emitted:
            return
        self.emitted.add(id(figure))
        caption = figure.caption if figure.caption and figure.caption.role == "caption" else None
        source = figure.source if figure.source and figure.source.role == "source" else None
        anchor = caption or source
        if anchor is None:
            if self.article is None:
                return  # a picture on the cover
            number = self._next_line_number(figure)
            self.parser.warnings.append(
                ParseWarning(
                    number, "an image or chart without a caption", code="uncaptioned-figure"
                )
            )
            self._add_floating(FigureCaption(caption="", source=None, line=number))
            return
        self._ensure_article(anchor)
        block = FigureCaption(
            caption=caption.text.strip() if caption else "",
            source=source.text.strip() if source else None,
            line=anchor.number,
        )
        self._add_floating(block)
        # A source line can be pushed onto the next page, past the footer and header.
        self.pending_caption = block if source is None else None

    def _next_line_number(self, figure: _Figure) -> int:
        items = self.parser.items
        for item in items[items.index(figure) :]:
            if isinstance(item, _Line):
                return item.number
        return len(self.parser.lines)

    def _caption(self, line: _Line) -> None:
        self._ensure_article(line)
        block = FigureCaption(caption=line.text.strip(), source=None, line=line.number)
        self._add_floating(block)
        self.pending_caption = block

    def _source(self, line: _Line) -> None:
        self._ensure_article(line)
        if self.pending_caption is not None:
            self.pending_caption.source = line.text.strip()
            self.pending_caption = None
            return
        self.parser.warn(line, "orphan-source", "a source line without a caption")
        self._add_floating(FigureCaption(caption="", source=line.text.strip(), line=line.number))

    def _add_floating(self, block) -> None:
        """Figures and tables can interrupt a paragraph that goes on after them: the
        paragraph stays open (and so comes first), the block follows it."""
        self.article.blocks.append(block)
        if self.paragraph is not None:
            self.interrupted = True

    def _table_row(self, line: _Line) -> None:
        self._ensure_article(line)
        key = (line.page, line.table)
        table = self.table
        continued = (
            table is not None
            and self.table_key is not None
            and key[0] == self.table_key[0] + 1
            and len(line.cells or ()) == len(table.rows[-1])
        )  # the rest of the table on the next page
        if continued:
            self.table_key = key
        elif table is None or self.table_key != key:
            self.table = Table(rows=[], line=line.number)
            self.table_key = key
            self._add_floating(self.table)
        self.table.rows.append(list(line.cells or []))

    # --- body ---

    def _body(self, line: _Line) -> None:
        self._ensure_article(line)
        if self.paragraph is not None and self.last_body is not None:
            if not self._starts_paragraph(self.last_body, line):
                self.paragraph.text = _join(self.paragraph.text, line.text)
                self.last_body = line
                self.interrupted = False
                return
        self.paragraph = Paragraph(text=line.text.strip(), line=line.number)
        self.article.blocks.append(self.paragraph)
        self.last_body = line
        self.interrupted = False

    def _starts_paragraph(self, previous: _Line, line: _Line) -> bool:
        if line.x0 - line.col_left >= _INDENT_EM * line.size:
            return True
        text = previous.text.rstrip()
        stopped_short = previous.x1 < previous.col_right - _SHORT_EM * previous.size
        if stopped_short and text and text[-1] in SENTENCE_END:
            return True
        same_column = previous.page == line.page and previous.column == line.column
        if same_column and not self.interrupted and self.typical_gap is not None:
            gap = (line.top - previous.bottom) / max(previous.size, 1.0)
            if gap > self.typical_gap + 0.5:
                return True
        return False

    def _end_paragraph(self) -> None:
        self.paragraph = None
        self.last_body = None

    # --- containers ---

    def _ensure_section(self, line: _Line) -> None:
        if self.section is None:
            self.parser.warn(line, "no-section", "text before the first section heading")
            self.section = ParsedSection(title="", line=line.number)
            self.bulletin.sections.append(self.section)

    def _ensure_article(self, line: _Line) -> None:
        self._ensure_section(line)
        if self.article is None:
            self.parser.warn(line, "untitled-article", "text with no title before it")
            self.article = ParsedArticle(title="", line=line.number)
            self.article_line = line
            self.section.articles.append(self.article)
            self._end_paragraph()

    def _close_article(self) -> None:
        article, line = self.article, self.article_line
        if article is not None and line is not None and article.title and not article.blocks:
            self.parser.warn(line, "empty-article", "a title with no text after it")
        self._end_paragraph()
        self.table = None


# ============================================================================ helpers


def _join(text: str, more: str) -> str:
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


def _checked_overrides(overrides: Mapping[int, str] | None) -> dict[int, str]:
    checked = dict(overrides or {})
    unknown = {role for role in checked.values() if role not in OVERRIDE_ROLES}
    if unknown:
        raise ValueError(
            f"Unknown override role(s) {sorted(unknown)}; use {sorted(OVERRIDE_ROLES)}"
        )
    return checked
