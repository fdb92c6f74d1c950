"""Write a bulletin tree out as a Word .docx, for testing the .docx reader.

``build_docx(tree)`` lays a ``ParsedBulletin`` out the way an author would in Word, so
``parse_docx(build_docx(tree))`` can be compared with ``tree`` (use ``tree_outline`` to
compare everything except line numbers, warnings and furniture).

Layout with ``use_styles=True``:

- bulletin name: "Title" paragraph;
- section: "Heading 1"; article title: "Heading 2";
- subheading: "Heading 3"; a kicker is its own "Heading 4" right before its Heading 3;
- figure caption: "Caption" paragraph, then the source line as a Normal paragraph;
- table: a Word table; paragraph: Normal.

With ``use_styles=False`` every paragraph is Normal and headings differ only by direct
formatting, as in a hand-formatted document: name 22pt bold, section 16pt bold, title
14pt bold, subheading and kicker bold at the body size (10.5pt). That layout cannot say
everything a styled one can, so round-trips are exact only for trees where no subheading
directly follows another and every figure caption has a source line.

``issue_date`` goes into the footer as ``YYYY.MM.DD``; ``header_text`` (lines separated
by ``\\n``) goes into the page header.
"""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Pt

from editorial.parsing.tree import (
    FigureCaption,
    Paragraph,
    ParsedArticle,
    ParsedBulletin,
    Subheading,
    Table,
)

BODY_SIZE = Pt(10.5)  # 五号, the usual body size in Chinese documents
NAME_SIZE = Pt(22)
SECTION_SIZE = Pt(16)
TITLE_SIZE = Pt(14)


def build_docx(
    parsed: ParsedBulletin, *, use_styles: bool = True, header_text: str | None = None
) -> bytes:
    document = Document()
    document.styles["Normal"].font.size = BODY_SIZE
    writer = _StyledWriter(document) if use_styles else _PlainWriter(document)
    if parsed.bulletin_name:
        writer.heading(parsed.bulletin_name, "name")
    for section in parsed.sections:
        writer.heading(section.title, "section")
        for article in section.articles:
            _write_article(writer, article)
    _write_header_footer(document, parsed, header_text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _write_article(writer: _StyledWriter, article: ParsedArticle) -> None:
    writer.heading(article.title, "title")
    for block in article.blocks:
        if isinstance(block, Paragraph):
            writer.document.add_paragraph(block.text)
        elif isinstance(block, Subheading):
            if block.kicker:
                writer.heading(block.kicker, "kicker")
            writer.heading(block.text, "subheading")
        elif isinstance(block, FigureCaption):
            writer.caption(block.caption)
            if block.source:
                writer.document.add_paragraph(block.source)
        elif isinstance(block, Table):
            _write_table(writer.document, block)


def _write_table(document: DocxDocument, table: Table) -> None:
    columns = max((len(row) for row in table.rows), default=0)
    if not columns:
        return
    word_table = document.add_table(rows=len(table.rows), cols=columns)
    word_table.style = "Table Grid"
    for row, values in zip(word_table.rows, table.rows, strict=True):
        for cell, value in zip(row.cells, values, strict=False):
            cell.text = value


def _write_header_footer(
    document: DocxDocument, parsed: ParsedBulletin, header_text: str | None
) -> None:
    section = document.sections[0]
    if header_text is not None:
        _replace_lines(section.header, header_text.split("\n"))
    if parsed.issue_date is not None:
        _replace_lines(section.footer, [parsed.issue_date.strftime("%Y.%m.%d")])


def _replace_lines(header_or_footer, lines: list[str]) -> None:
    # A new header/footer starts with one empty paragraph; reuse it for the first line.
    first, *rest = lines
    header_or_footer.paragraphs[0].text = first
    for line in rest:
        header_or_footer.add_paragraph(line)


class _StyledWriter:
    """Headings as Word heading styles, the way a careful author works."""

    STYLES = {
        "name": "Title",
        "section": "Heading 1",
        "title": "Heading 2",
        "subheading": "Heading 3",
        "kicker": "Heading 4",
    }

    def __init__(self, document: DocxDocument):
        self.document = document

    def heading(self, text: str, level: str) -> None:
        self.document.add_paragraph(text, style=self.STYLES[level])

    def caption(self, text: str) -> None:
        self.document.add_paragraph(text, style="Caption")


class _PlainWriter(_StyledWriter):
    """Headings as bold Normal paragraphs in larger sizes: no styles at all."""

    SIZES = {
        "name": NAME_SIZE,
        "section": SECTION_SIZE,
        "title": TITLE_SIZE,
        "subheading": None,  # body size: bold is the only signal
        "kicker": None,
    }

    def heading(self, text: str, level: str) -> None:
        run = self.document.add_paragraph().add_run(text)
        run.bold = True
        run.font.size = self.SIZES[level]

    def caption(self, text: str) -> None:
        self.document.add_paragraph(text)


def tree_outline(parsed: ParsedBulletin) -> dict:
    """Everything a round-trip must keep: the tree without line numbers, warnings,
    furniture and encoding (which describe the input, not the bulletin)."""
    return {
        "bulletin": parsed.bulletin_name,
        "date": parsed.issue_date,
        "sections": [
            {
                "title": section.title,
                "articles": [
                    {"title": article.title, "blocks": [_block_outline(b) for b in article.blocks]}
                    for article in section.articles
                ],
            }
            for section in parsed.sections
        ],
    }


def _block_outline(block: Paragraph | Subheading | FigureCaption | Table) -> tuple:
    if isinstance(block, Paragraph):
        return ("paragraph", block.text)
    if isinstance(block, Subheading):
        return ("subheading", block.kicker, block.text)
    if isinstance(block, FigureCaption):
        return ("figure", block.caption, block.source)
    return ("table", [list(row) for row in block.rows])
