"""Paragraph styles and run fonts: the role a style stands for, sizes and boldness.

Word resolves a property from the run, then its character style, then the paragraph
style and the styles they are based on, then the document defaults; the reader follows
the same chain.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from docx.document import Document as DocxDocument
from docx.exceptions import PythonDocxError
from docx.styles.style import BaseStyle
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run
from lxml import etree

from .vocabulary import Role
from .wordml import W, element_text, inside_hidden

_WORD_DEFAULT_SIZE = 10.0  # what Word uses when neither run, style nor docDefaults say

_HEADING_STYLE = re.compile(r"^(?:heading|标题)([1-9])$")
_TITLE_STYLES = frozenset({"title", "标题"})
_CAPTION_STYLES = frozenset({"caption", "题注"})
_FRONT_MATTER_STYLE = re.compile(r"^(?:toc|目录)(?:[1-9]|heading|标题)$|^(?:subtitle|副标题)$")


def style_role(style_name: str | None, style_id: str | None = None) -> Role | None:
    """The role a paragraph style name (English or Chinese) or style id stands for.

    ``Heading 1``, ``heading 1``, ``标题 1``, ``标题1`` and the id ``Heading1`` all mean
    a section; ``Title`` / ``标题`` (no number) is the bulletin's name.
    """
    for raw in (style_name, style_id):
        role = _role_from_style_text(re.sub(r"\s+", "", raw or "").casefold())
        if role is not None:
            return role
    return None


def _role_from_style_text(key: str) -> Role | None:
    if match := _HEADING_STYLE.match(key):
        return _role_for_outline_level(int(match.group(1)))
    if key in _TITLE_STYLES:
        return Role.BULLETIN_NAME
    if key in _CAPTION_STYLES:
        return Role.CAPTION
    if _FRONT_MATTER_STYLE.match(key):
        return Role.FRONT_MATTER
    return None


def _role_for_outline_level(level: int) -> Role:
    """Heading level (1-based) to role: 1 section, 2 article, 4 kicker-able, else sub."""
    if level == 1:
        return Role.SECTION
    if level == 2:
        return Role.ARTICLE
    if level == 4:
        return Role.MINOR_SUBHEADING
    return Role.SUBHEADING


def paragraph_style_role(paragraph: DocxParagraph, style: BaseStyle | None) -> Role | None:
    """Role from the style, its base styles (custom styles based on Heading 2 ...) or,
    failing those, an explicit outline level on the paragraph or its style."""
    for each in _style_chain(style):
        role = style_role(each.name, each.style_id)
        if role is not None:
            return role
    level = _outline_level(paragraph._p)
    if level is None:
        inherited = (_outline_level(each.element) for each in _style_chain(style))
        level = next((found for found in inherited if found is not None), None)
    return _role_for_outline_level(level + 1) if level is not None else None


def _outline_level(element: etree._Element) -> int | None:
    node = element.find(f"{W}pPr/{W}outlineLvl")
    try:
        level = int(node.get(f"{W}val")) if node is not None else None
    except (TypeError, ValueError):
        return None
    return level if level is not None and 0 <= level <= 8 else None  # 9 means body text


def _style_chain(style: BaseStyle | None) -> Iterator[BaseStyle]:
    """The style and the styles it is based on; broken files can make the chain loop."""
    seen: set[str | None] = set()
    while style is not None and style.style_id not in seen:
        seen.add(style.style_id)
        yield style
        style = style.base_style


def default_font_size(document: DocxDocument) -> float:
    size = document.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}sz")
    try:
        return int(size.get(f"{W}val")) / 2 if size is not None else _WORD_DEFAULT_SIZE
    except (TypeError, ValueError):
        return _WORD_DEFAULT_SIZE


def paragraph_font(
    paragraph: DocxParagraph, style: BaseStyle | None, default_size: float
) -> tuple[float, bool]:
    """(size most characters are set in, whether every visible character is bold)."""
    sizes: Counter[float] = Counter()
    all_bold = True
    for r in paragraph._p.iter(f"{W}r"):
        if inside_hidden(r, stop=paragraph._p):
            continue
        chars = len(element_text(r).strip())
        if not chars:
            continue
        run = Run(r, paragraph)
        sizes[_run_size(run, style, default_size)] += chars
        all_bold = all_bold and _run_bold(run, style)
    if not sizes:
        return default_size, False
    return sizes.most_common(1)[0][0], all_bold


def _run_size(run: Run, paragraph_style: BaseStyle | None, default_size: float) -> float:
    for holder in (run, *_style_chain(run.style), *_style_chain(paragraph_style)):
        size = _font_property(holder, "size")
        if size is not None:
            return size.pt
    return default_size


def _run_bold(run: Run, paragraph_style: BaseStyle | None) -> bool:
    for holder in (run, *_style_chain(run.style), *_style_chain(paragraph_style)):
        bold = _font_property(holder, "bold")
        if bold is not None:
            return bold
    return False


def _font_property(holder: Run | BaseStyle, name: str):
    """A run's or style's font property; None when unset or malformed, since Word also
    ignores a property it cannot read rather than refusing the whole document."""
    try:
        return getattr(holder.font, name)
    except (PythonDocxError, ValueError):
        return None
