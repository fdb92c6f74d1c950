"""From classified lines to the parser tree: paragraphs joined across columns and pages."""

from __future__ import annotations

from itertools import pairwise
from typing import Protocol

from editorial.parsing.normalise import clean_title
from editorial.parsing.patterns import (
    SENTENCE_END,
)
from editorial.parsing.tree import (
    FigureCaption,
    Paragraph,
    ParsedArticle,
    ParsedBulletin,
    ParsedSection,
    ParseWarning,
    Subheading,
    Table,
)

from .layout import Figure, Item, Line, join
from .measures import INDENT_EM, KICKER_GAP_EM, SHORT_EM, SIZE_TOLERANCE, section_key

# ============================================================================ the tree


class ClassifiedDocument(Protocol):
    """What the assembler needs of the parser: every item with its role decided."""

    items: list[Item]
    lines: list[Line]
    section_names: dict[str, str]
    section_order: dict[str, int]
    warnings: list[ParseWarning]

    def warn(self, line: Line, code: str, message: str, *, unsure: bool = True) -> None: ...


class Assembler:
    """Walks the items in reading order and builds sections ▸ articles ▸ blocks."""

    def __init__(self, parser: ClassifiedDocument):
        self.parser = parser
        self.bulletin = ParsedBulletin()
        self.section: ParsedSection | None = None
        self.article: ParsedArticle | None = None
        self.article_line: Line | None = None
        self.paragraph: Paragraph | None = None
        self.last_body: Line | None = None  # the last line of the open paragraph
        self.interrupted = False  # a figure or table came after the open paragraph's line
        self.table: Table | None = None
        self.table_key: tuple[int, int | None] | None = None
        self.heading: Line | None = None  # the section or title line just read
        self.subheading: tuple[Subheading, Line] | None = None
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
            if isinstance(item, Figure):
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

    def _section(self, line: Line) -> None:
        if self.heading is not None and self.section is not None and self._continues(line):
            self.section.title = clean_title(join(self.section.title, line.text))
            self.heading = line
            return
        self._close_article()
        parser = self.parser
        key = section_key(line.text)
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

    def _title(self, line: Line) -> None:
        if self.heading is not None and self.article is not None and self._continues(line):
            self.article.title = clean_title(join(self.article.title, line.text))
            self.heading = line
            return
        self._close_article()
        self._ensure_section(line)
        self.article = ParsedArticle(title=clean_title(line.text), line=line.number)
        self.article_line = line
        self.section.articles.append(self.article)
        self.heading = line

    def _continues(self, line: Line) -> bool:
        """The next line of a wrapped heading: same role and size, right below."""
        previous = self.heading
        return (
            previous.role == line.role
            and previous.page == line.page
            and previous.column == line.column
            and abs(previous.size - line.size) <= SIZE_TOLERANCE
            and -1 <= line.top - previous.bottom <= 0.8 * line.size
        )

    def _subheading(self, line: Line) -> None:
        """A bold line right under another: the rest of a wrapped subheading when the
        first reached the column's edge, else the heading under a kicker."""
        self._ensure_article(line)
        self._end_paragraph()
        if self.subheading is not None:
            block, previous = self.subheading
            gap = line.top - previous.bottom
            same_page = previous.page == line.page and previous.column == line.column
            wrapped = previous.x1 >= previous.col_right - SHORT_EM * previous.size
            if same_page and wrapped and -1 <= gap <= 0.8 * line.size:
                block.text = clean_title(join(block.text, line.text))
                self.subheading = (block, line)
                return
            if (
                same_page
                and not wrapped
                and block.kicker is None
                and -1 <= gap <= KICKER_GAP_EM * line.size
            ):
                block.kicker, block.text = block.text, clean_title(line.text)
                self.subheading = (block, line)
                return
        block = Subheading(text=clean_title(line.text), line=line.number)
        self.article.blocks.append(block)
        self.subheading = (block, line)

    # --- figures and tables ---

    def _figure(self, figure: Figure) -> None:
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

    def _next_line_number(self, figure: Figure) -> int:
        items = self.parser.items
        for item in items[items.index(figure) :]:
            if isinstance(item, Line):
                return item.number
        return len(self.parser.lines)

    def _caption(self, line: Line) -> None:
        self._ensure_article(line)
        block = FigureCaption(caption=line.text.strip(), source=None, line=line.number)
        self._add_floating(block)
        self.pending_caption = block

    def _source(self, line: Line) -> None:
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

    def _table_row(self, line: Line) -> None:
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

    def _body(self, line: Line) -> None:
        self._ensure_article(line)
        if self.paragraph is not None and self.last_body is not None:
            if not self._starts_paragraph(self.last_body, line):
                self.paragraph.text = join(self.paragraph.text, line.text)
                self.last_body = line
                self.interrupted = False
                return
        self.paragraph = Paragraph(text=line.text.strip(), line=line.number)
        self.article.blocks.append(self.paragraph)
        self.last_body = line
        self.interrupted = False

    def _starts_paragraph(self, previous: Line, line: Line) -> bool:
        if line.x0 - line.col_left >= INDENT_EM * line.size:
            return True
        text = previous.text.rstrip()
        stopped_short = previous.x1 < previous.col_right - SHORT_EM * previous.size
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

    def _ensure_section(self, line: Line) -> None:
        if self.section is None:
            self.parser.warn(line, "no-section", "text before the first section heading")
            self.section = ParsedSection(title="", line=line.number)
            self.bulletin.sections.append(self.section)

    def _ensure_article(self, line: Line) -> None:
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


