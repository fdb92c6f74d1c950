"""The document body in order: each paragraph or table as an item to classify."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from docx.document import Document as DocxDocument
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

from .styles import default_font_size, paragraph_font, paragraph_style_role
from .tables import table_rows
from .vocabulary import Role
from .wordml import W, element_text


@dataclass
class Item:
    """One body paragraph or table, with what the reader needs to classify it."""

    line: int
    text: str = ""
    rows: list[list[str]] | None = None  # set for tables only
    role: Role | None = None
    styled: bool = False  # role came from the style, not from inference
    size: float = 0.0  # points, the size most of the paragraph's characters are set in
    bold: bool = False  # every visible character is bold

    @property
    def is_table(self) -> bool:
        return self.rows is not None


def read_body(document: DocxDocument) -> Iterator[Item]:
    default_size = default_font_size(document)
    for line, element in enumerate(_body_blocks(document.element.body), start=1):
        if element.tag == f"{W}tbl":
            yield Item(line=line, rows=table_rows(element))
        else:
            yield _paragraph_item(DocxParagraph(element, document), line, default_size)


def _body_blocks(container: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables in document order, looking inside content controls."""
    for child in container:
        if child.tag in (f"{W}p", f"{W}tbl"):
            yield child
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from _body_blocks(content)


def _paragraph_item(paragraph: DocxParagraph, line: int, default_size: float) -> Item:
    item = Item(line=line, text=element_text(paragraph._p).strip())
    style = paragraph.style
    item.role = paragraph_style_role(paragraph, style)
    item.styled = item.role is not None
    item.size, item.bold = paragraph_font(paragraph, style, default_size)
    return item
