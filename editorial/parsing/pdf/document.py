"""Reading the PDF: every glyph with position, size and font; images, graphics and ruled
tables; cost guards against hostile files."""

from __future__ import annotations

import io
import logging
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import pdfplumber
from pdfminer.layout import LTChar, LTContainer, LTCurve, LTImage
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import LIT

from editorial.parsing.glyphs import unify_radicals
from editorial.parsing.tree import (
    BulletinParseError,
)

from .measures import (
    BOLD_NAME,
    HEI_NAME,
    MAX_FILE_BYTES,
    MAX_PAGE_CONTENT_BYTES,
    MAX_PAGES,
    SCANNED_CHARS_PER_PAGE,
    TIME_BUDGET_SECONDS,
    WHITESPACE,
)

# ============================================================================ reading the PDF


@dataclass(slots=True)
class Char:
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
        return self.text not in WHITESPACE and not self.text.isspace()


@dataclass(slots=True)
class Box:
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

    def contains(self, other: Box, margin: float = 0.0) -> bool:
        return (
            self.x0 - margin <= other.x0
            and other.x1 <= self.x1 + margin
            and self.top - margin <= other.top
            and other.bottom <= self.bottom + margin
        )

    def near(self, other: Box, gap: float) -> bool:
        return not (
            other.x0 > self.x1 + gap
            or other.x1 < self.x0 - gap
            or other.top > self.bottom + gap
            or other.bottom < self.top - gap
        )

    def union(self, other: Box) -> Box:
        return Box(
            min(self.x0, other.x0),
            min(self.top, other.top),
            max(self.x1, other.x1),
            max(self.bottom, other.bottom),
        )


@dataclass
class PageData:
    index: int  # 0-based
    width: float
    height: float
    chars: list[Char]
    images: list[Box]
    graphics: list[Box]  # rectangles, lines and curves
    tables: list[tuple[Box, list[list[Box | None]]]]  # bbox, rows of cell boxes
    unmapped: int = 0


@contextmanager
def quiet_pdfminer() -> Iterator[None]:
    """pdfminer logs a warning per glyph for some fonts (a missing FontBBox); that is
    slow and says nothing an editor can act on."""
    logger = logging.getLogger("pdfminer")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_document(data: bytes) -> list[PageData]:
    if len(data) > MAX_FILE_BYTES:
        raise BulletinParseError(
            f"The PDF is {len(data) // (1024 * 1024)} MB; the limit is "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB.",
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
        deadline = time.monotonic() + TIME_BUDGET_SECONDS
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
            total += _decoded_size(stream, MAX_PAGE_CONTENT_BYTES - total)
        if total > MAX_PAGE_CONTENT_BYTES:
            raise BulletinParseError(
                f"Page {index + 1} of the PDF has more than "
                f"{MAX_PAGE_CONTENT_BYTES // (1024 * 1024)} MB of drawing instructions.",
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


def _read_page(page, index: int) -> PageData:
    layout = page.layout
    height = float(page.height)
    mb_x0, mb_top = (float(value) for value in page.mediabox[:2])
    data = PageData(index, float(page.width), height, [], [], [], [])

    def box(obj) -> Box:
        return Box(
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
                    Char(
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
                [Box(*cell) if cell is not None else None for cell in row.cells]
                for row in table.rows
            ]
            if max(len(row) for row in rows) >= 2:
                data.tables.append((Box(*table.bbox), rows))
    return data


def _may_hold_table(graphics: list[Box]) -> bool:
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
    return bool(BOLD_NAME.search(name) or HEI_NAME.search(name))


def _check_text_layer(pages: list[PageData], data: bytes) -> None:
    visible = sum(1 for page in pages for char in page.chars if char.visible)
    if visible >= SCANNED_CHARS_PER_PAGE * len(pages):
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


