"""Read a Word (.docx) bulletin into the parser tree.

Editors sometimes receive a bulletin as the Word file it was laid out from rather than
as PDF text. Word keeps what the PDF loses (paragraph boundaries, heading styles, tables),
so this reader needs no line re-joining or furniture hunting; its work is deciding which
paragraphs are headings when the author formatted them by hand instead of with styles.

The reader walks the body in document order and gives every paragraph a *role*:

1. from its style (Title, Heading 1-4, Caption, TOC ...), with localised style names;
2. from the configured section names, whatever the paragraph's style;
3. from a figure-caption pattern (a short line followed by a ``资料来源：`` line);
4. for the heading levels the author never styled, from font size and boldness
   relative to the body text (each inferred heading is reported as a warning).

Then it assembles sections ▸ articles ▸ blocks. ``line`` numbers are 1-based positions
among the body's paragraphs and tables (empty paragraphs counted), so an editor can find
the spot in Word.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

from docx import Document
from docx.document import Document as DocxDocument
from docx.exceptions import PythonDocxError
from docx.styles.style import BaseStyle
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run
from lxml import etree

from editorial.parsing.normalise import clean_title, fullwidth_to_ascii
from editorial.parsing.tree import (
    BulletinParseError,
    FigureCaption,
    Paragraph,
    ParsedArticle,
    ParsedBulletin,
    ParsedSection,
    ParseWarning,
    Subheading,
    Table,
)

__all__ = ["PackageLimits", "Role", "check_package_size", "parse_docx", "section_key", "style_role"]


class Role(Enum):
    """What a body paragraph is, before the tree is assembled."""

    BULLETIN_NAME = "bulletin-name"
    SECTION = "section"
    ARTICLE = "article"
    SUBHEADING = "subheading"  # Heading 3 (and 5-9)
    MINOR_SUBHEADING = "minor-subheading"  # Heading 4: a kicker when a Heading 3 follows
    CAPTION = "caption"
    SOURCE = "source"  # the 资料来源 line that belongs to the caption before it
    FRONT_MATTER = "front-matter"  # table of contents, subtitle: kept as furniture


# Thresholds for headings inferred from formatting (characters, after stripping).
_MAX_SECTION_CHARS = 8  # section names are 4-6 characters; titles rarely this short
_MAX_TITLE_CHARS = 60  # a wrapped two-line title still fits
_MAX_SUBHEADING_CHARS = 40
_MAX_CAPTION_CHARS = 60
_SIZE_TOLERANCE = 0.25  # points; sizes closer than this are the same size
_WORD_DEFAULT_SIZE = 10.0  # what Word uses when neither run, style nor docDefaults say

_SOURCE_LINE = re.compile(r"^(?:资料|数据|信息|图表)?来源\s*[：:]")
_SENTENCE_END = "。"
_DOC_MAGIC_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .doc format

# What python-docx and lxml raise for well-formed XML that breaks the schema.
_MALFORMED_XML = (
    AttributeError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    etree.LxmlError,
    PythonDocxError,
)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Subtrees whose text is not part of the paragraph as printed: text boxes are separate
# stories, deleted revisions are gone, and mc:Fallback repeats what mc:Choice shows.
_HIDDEN_TEXT = frozenset({f"{_W}txbxContent", f"{_W}del", f"{_W}moveFrom", _MC_FALLBACK})


# --------------------------------------------------------------------------- package size


@dataclass(frozen=True)
class PackageLimits:
    """How far a ZIP package (.docx, .xlsx) may expand before it is refused unopened.

    A few hundred kilobytes of deflated XML can hold hundreds of megabytes, which the
    XML parser would then build as a tree: the sizes the archive declares are checked
    first, and the reads are capped at the declared sizes, so nothing larger is inflated.
    """

    max_bytes: int = 64 * 1024 * 1024  # all entries together, expanded
    max_ratio: int = 100  # expanded size over the upload's size
    max_entries: int = 2000
    min_ratio_bytes: int = 4 * 1024 * 1024  # the ratio applies above this expanded size


def check_package_size(data: bytes, limits: PackageLimits | None = None) -> None:
    """Refuse a ZIP package that expands beyond ``limits`` (code ``too-expanded``).

    Bad archives are left for the reader to report; only the declared sizes are read.
    """
    limits = limits or PackageLimits()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return
    if len(entries) > limits.max_entries:
        raise BulletinParseError(
            f"The package holds {len(entries)} entries (at most {limits.max_entries}).",
            code="too-expanded",
        )
    expanded = sum(entry.file_size for entry in entries)
    ratio_cap = max(limits.min_ratio_bytes, len(data) * limits.max_ratio)
    if expanded > limits.max_bytes or expanded > ratio_cap:
        raise BulletinParseError(
            f"The package expands to {expanded} bytes (at most "
            f"{min(limits.max_bytes, ratio_cap)}).",
            code="too-expanded",
        )


# --------------------------------------------------------------------------- entry point


def parse_docx(
    data: bytes,
    *,
    sections: Sequence[str] | None = None,
    limits: PackageLimits | None = None,
) -> ParsedBulletin:
    """Parse a .docx bulletin; ``sections`` are the bulletin's configured section names.

    Raises ``BulletinParseError`` with code ``empty``, ``docx-broken``, ``too-expanded``
    or ``no-structure``.
    """
    if not data:
        raise BulletinParseError("The file is empty.", code="empty")
    check_package_size(data, limits)
    document = _open_document(data)
    try:
        items = list(_read_body(document))
        header_lines = _header_footer_lines(document, "header")
        footer_lines = _header_footer_lines(document, "footer")
    except _MALFORMED_XML as exc:
        # A well-formed package whose XML is not the shape WordprocessingML promises.
        raise BulletinParseError(
            f"The Word file's content cannot be read: {exc}", code="docx-broken"
        ) from exc

    warnings: list[ParseWarning] = []
    _assign_roles(items, {section_key(name): name for name in sections or ()}, warnings)
    bulletin = _assemble(items, sections or (), warnings)
    bulletin.warnings = sorted(warnings, key=lambda warning: warning.line)
    if bulletin.bulletin_name is None:
        bulletin.bulletin_name = _name_from_header(header_lines)
    bulletin.issue_date = _first_date(header_lines + footer_lines + bulletin.furniture)
    return bulletin


def _open_document(data: bytes) -> DocxDocument:
    """Open the package; any failure here means the bytes are not a readable .docx."""
    try:
        document = Document(io.BytesIO(data))
        if document.element.body is None:
            raise ValueError("word/document.xml has no w:body")
        return document
    # python-docx and zipfile raise many types for bad bytes (BadZipFile, KeyError,
    # PackageNotFoundError, XMLSyntaxError, ValueError, zlib.error, EOFError ...), and
    # the contract is that bad bytes only ever produce BulletinParseError.
    except Exception as exc:
        hint = " (it looks like an old .doc file)" if data.startswith(_DOC_MAGIC_OLE) else ""
        raise BulletinParseError(
            f"The file is not a readable Word .docx document{hint}: {exc}", code="docx-broken"
        ) from exc


# --------------------------------------------------------------------------- body items


@dataclass
class _Item:
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


def _read_body(document: DocxDocument) -> Iterator[_Item]:
    default_size = _default_font_size(document)
    for line, element in enumerate(_body_blocks(document.element.body), start=1):
        if element.tag == f"{_W}tbl":
            yield _Item(line=line, rows=_table_rows(element))
        else:
            yield _paragraph_item(DocxParagraph(element, document), line, default_size)


def _body_blocks(container: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables in document order, looking inside content controls."""
    for child in container:
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _body_blocks(content)


def _paragraph_item(paragraph: DocxParagraph, line: int, default_size: float) -> _Item:
    item = _Item(line=line, text=_element_text(paragraph._p).strip())
    style = paragraph.style
    item.role = _paragraph_style_role(paragraph, style)
    item.styled = item.role is not None
    item.size, item.bold = _paragraph_font(paragraph, style, default_size)
    return item


def _element_text(element: etree._Element) -> str:
    out: list[str] = []
    _collect_text(element, out)
    return "".join(out)


def _collect_text(element: etree._Element, out: list[str]) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _HIDDEN_TEXT:
            continue  # comments and processing instructions have a non-string tag
        if tag == f"{_W}t":
            out.append(child.text or "")
        elif tag == f"{_W}tab":
            out.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            out.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            out.append("-")
        else:
            _collect_text(child, out)


def _table_rows(table: etree._Element) -> list[list[str]]:
    """Cell texts row by row; a merged cell's text appears once, in its first grid slot.

    Horizontally merged cells are padded with "" for the extra grid columns they span,
    and vertically continued cells give "", so every row stays aligned with the grid.
    """
    rows = []
    for tr in table.iter(f"{_W}tr"):
        if _nearest_ancestor(tr, f"{_W}tbl") is not table:
            continue  # a row of a table nested inside one of this table's cells
        row: list[str] = []
        for tc in tr.iter(f"{_W}tc"):
            if _nearest_ancestor(tc, f"{_W}tr") is not tr:
                continue
            row.append("" if _is_vertical_continuation(tc) else _cell_text(tc))
            row.extend([""] * (_grid_span(tc) - 1))
        rows.append(row)
    return rows


def _nearest_ancestor(element: etree._Element, tag: str) -> etree._Element | None:
    parent = element.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


def _cell_text(tc: etree._Element) -> str:
    paragraphs = (p for p in tc.iter(f"{_W}p") if not _inside_hidden(p, stop=tc))
    return "\n".join(_element_text(p) for p in paragraphs).strip()


def _inside_hidden(element: etree._Element, *, stop: etree._Element) -> bool:
    parent = element.getparent()
    while parent is not None and parent is not stop:
        if parent.tag in _HIDDEN_TEXT:
            return True
        parent = parent.getparent()
    return False


def _tc_property(tc: etree._Element, name: str) -> etree._Element | None:
    tc_pr = tc.find(f"{_W}tcPr")
    return None if tc_pr is None else tc_pr.find(f"{_W}{name}")


def _grid_span(tc: etree._Element) -> int:
    span = _tc_property(tc, "gridSpan")
    try:
        return max(1, min(int(span.get(f"{_W}val")), 64)) if span is not None else 1
    except (TypeError, ValueError):
        return 1


def _is_vertical_continuation(tc: etree._Element) -> bool:
    merge = _tc_property(tc, "vMerge")
    # <w:vMerge/> without a value continues the cell above; "restart" starts a merge.
    return merge is not None and merge.get(f"{_W}val", "continue") == "continue"


# --------------------------------------------------------------------------- styles


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


def _paragraph_style_role(paragraph: DocxParagraph, style: BaseStyle | None) -> Role | None:
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
    node = element.find(f"{_W}pPr/{_W}outlineLvl")
    try:
        level = int(node.get(f"{_W}val")) if node is not None else None
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


# --------------------------------------------------------------------------- fonts


def _default_font_size(document: DocxDocument) -> float:
    size = document.styles.element.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr/{_W}sz")
    try:
        return int(size.get(f"{_W}val")) / 2 if size is not None else _WORD_DEFAULT_SIZE
    except (TypeError, ValueError):
        return _WORD_DEFAULT_SIZE


def _paragraph_font(
    paragraph: DocxParagraph, style: BaseStyle | None, default_size: float
) -> tuple[float, bool]:
    """(size most characters are set in, whether every visible character is bold)."""
    sizes: Counter[float] = Counter()
    all_bold = True
    for r in paragraph._p.iter(f"{_W}r"):
        if _inside_hidden(r, stop=paragraph._p):
            continue
        chars = len(_element_text(r).strip())
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


# --------------------------------------------------------------------------- roles


def section_key(text: str) -> str:
    """How section names are compared: no spaces, full-width letters/digits as ASCII."""
    return re.sub(r"\s+", "", fullwidth_to_ascii(text)).casefold()


def _assign_roles(
    items: list[_Item], configured: dict[str, str], warnings: list[ParseWarning]
) -> None:
    paragraphs = [item for item in items if not item.is_table and item.text]
    _match_configured_sections(paragraphs, configured, warnings)
    _pair_captions_with_sources(items)
    _infer_headings(paragraphs, warnings)


def _match_configured_sections(
    paragraphs: list[_Item], configured: dict[str, str], warnings: list[ParseWarning]
) -> None:
    """A paragraph holding exactly a configured section name is that section's heading,
    whatever its style: authors often set section names as bold Normal text."""
    overridable = (None, Role.ARTICLE, Role.SUBHEADING, Role.MINOR_SUBHEADING)
    for item in paragraphs:
        if item.role in overridable and section_key(item.text) in configured:
            if item.role is None:
                _warn_inferred(warnings, item, "configured section name in an unstyled line")
            item.role = Role.SECTION


def _pair_captions_with_sources(items: list[_Item]) -> None:
    """Caption-styled paragraphs, and short plain ones, take a following 资料来源 line."""
    for item, following in itertools.pairwise(items):
        # Authors often set the source line in the Caption style too.
        if following.is_table or following.role not in (None, Role.CAPTION):
            continue
        if not _SOURCE_LINE.match(following.text):
            continue
        if item.role is Role.CAPTION or (item.role is None and _looks_like_caption(item)):
            item.role = Role.CAPTION
            following.role = Role.SOURCE


def _looks_like_caption(item: _Item) -> bool:
    return (
        not item.is_table
        and 0 < len(item.text) <= _MAX_CAPTION_CHARS
        and not item.text.endswith(_SENTENCE_END)
        and not _SOURCE_LINE.match(item.text)
    )


@dataclass
class _Sizes:
    """The font sizes that mark each heading level in an unstyled document."""

    body: float
    section: float | None
    title: float | None


def _infer_headings(paragraphs: list[_Item], warnings: list[ParseWarning]) -> None:
    """Give roles to unstyled heading-like paragraphs, for levels never styled."""
    styled = {item.role for item in paragraphs if item.styled}
    plain = [item for item in paragraphs if item.role is None]
    if not plain:
        return
    body = _body_size(plain)
    candidates = [item for item in plain if _could_be_heading(item, body)]
    if Role.BULLETIN_NAME not in styled:
        _infer_bulletin_name(paragraphs, candidates, body, warnings)
        candidates = [item for item in candidates if item.role is None]
    sizes = _heading_sizes(paragraphs, candidates, body, styled)
    subheadings_styled = bool(styled & {Role.SUBHEADING, Role.MINOR_SUBHEADING})
    for item in candidates:
        role = _inferred_role(item, sizes, subheadings_styled)
        if role is not None:
            item.role = role
            what = _INFERRED_WHAT[role]
            _warn_inferred(warnings, item, f"{what} inferred from font size and weight")


_INFERRED_WHAT = {
    Role.SECTION: "section heading",
    Role.ARTICLE: "article title",
    Role.SUBHEADING: "subheading",
}


def _body_size(plain: list[_Item]) -> float:
    """The size most body characters are set in."""
    weights: Counter[float] = Counter()
    for item in plain:
        weights[item.size] += len(item.text)
    return weights.most_common(1)[0][0]


def _could_be_heading(item: _Item, body: float) -> bool:
    if item.text.endswith(_SENTENCE_END) or len(item.text) > _MAX_TITLE_CHARS:
        return False
    return item.bold or item.size > body + _SIZE_TOLERANCE


def _infer_bulletin_name(
    paragraphs: list[_Item],
    candidates: list[_Item],
    body: float,
    warnings: list[ParseWarning],
) -> None:
    """The masthead: the first paragraph, set larger than anything else and only once,
    with smaller headings after it (so a lone section heading is not taken for it)."""
    larger = [item for item in candidates if item.size > body + _SIZE_TOLERANCE]
    if not larger or larger[0] is not paragraphs[0]:
        return
    first, rest = larger[0], larger[1:]
    headings_after = rest or [
        item for item in paragraphs if item.role in (Role.SECTION, Role.ARTICLE)
    ]
    if headings_after and all(item.size < first.size - _SIZE_TOLERANCE for item in rest):
        first.role = Role.BULLETIN_NAME
        _warn_inferred(warnings, first, "bulletin name inferred from the largest font")


def _heading_sizes(
    paragraphs: list[_Item],
    candidates: list[_Item],
    body: float,
    styled: set[Role | None],
) -> _Sizes:
    """Section size: the size configured-name lines are set in, if larger than body;
    with no configured-name lines at all, the largest heading size when there are two or
    more. Title size: the next one down. A level the author styled is never inferred."""
    larger = sorted(
        {item.size for item in candidates if item.size > body + _SIZE_TOLERANCE}, reverse=True
    )
    matched = [item for item in paragraphs if item.role is Role.SECTION and not item.styled]
    section = None
    if Role.SECTION not in styled:
        matched_sizes = Counter(item.size for item in matched if item.size > body + _SIZE_TOLERANCE)
        if matched_sizes:
            section = matched_sizes.most_common(1)[0][0]
        elif not matched and len(larger) >= 2:
            section = larger[0]
    below = [size for size in larger if section is None or size < section - _SIZE_TOLERANCE]
    title = below[0] if below and Role.ARTICLE not in styled else None
    return _Sizes(body=body, section=section, title=title)


def _inferred_role(item: _Item, sizes: _Sizes, subheadings_styled: bool) -> Role | None:
    size = item.size
    if sizes.section is not None and size >= sizes.section - _SIZE_TOLERANCE:
        return Role.SECTION if len(item.text) <= _MAX_SECTION_CHARS else Role.ARTICLE
    if sizes.title is not None and size >= sizes.title - _SIZE_TOLERANCE:
        return Role.ARTICLE
    if subheadings_styled or len(item.text) > _MAX_SUBHEADING_CHARS:
        return None
    if size > sizes.body + _SIZE_TOLERANCE:
        return Role.SUBHEADING
    # Bold at body size; bold small print (notes, 注：) is not a heading.
    return Role.SUBHEADING if item.bold and size >= sizes.body - _SIZE_TOLERANCE else None


def _warn_inferred(warnings: list[ParseWarning], item: _Item, message: str) -> None:
    warnings.append(
        ParseWarning(line=item.line, message=message, code="inferred-heading", text=item.text)
    )


# --------------------------------------------------------------------------- assembly


class _TreeBuilder:
    """Appends headings and blocks, opening an untitled section/article when text comes
    before any heading of that level (reported, so nothing is silently re-homed)."""

    def __init__(self, configured: Sequence[str], warnings: list[ParseWarning]):
        self.bulletin = ParsedBulletin()
        self.canonical = {section_key(name): name for name in configured}
        self.warnings = warnings
        self.section: ParsedSection | None = None
        self.article: ParsedArticle | None = None

    @property
    def started(self) -> bool:
        return self.section is not None

    def add_section(self, item: _Item) -> None:
        key = section_key(item.text)
        title = self.canonical.get(key, clean_title(item.text))
        if self.canonical and key not in self.canonical:
            self._warn(item, "unknown-heading", "section heading not among configured sections")
        self.section = ParsedSection(title=title, line=item.line)
        self.bulletin.sections.append(self.section)
        self.article = None

    def add_article(self, item: _Item) -> None:
        if self.section is None:
            self._warn(item, "article-outside-section", "article before any section heading")
            self.section = ParsedSection(title="", line=item.line)
            self.bulletin.sections.append(self.section)
        self.article = ParsedArticle(title=clean_title(item.text), line=item.line)
        self.section.articles.append(self.article)

    def add_block(self, block: Paragraph | Subheading | FigureCaption | Table, item: _Item):
        if self.article is None:
            self._warn(item, "text-outside-article", "text before the section's first article")
            self.add_article(_Item(line=item.line, text=""))
        self.article.blocks.append(block)

    def _warn(self, item: _Item, code: str, message: str) -> None:
        self.warnings.append(
            ParseWarning(line=item.line, message=message, code=code, text=item.text)
        )


def _assemble(
    items: list[_Item], configured: Sequence[str], warnings: list[ParseWarning]
) -> ParsedBulletin:
    tree = _TreeBuilder(configured, warnings)
    position = 0
    while position < len(items):
        position = _consume(items, position, tree)
    if not tree.bulletin.sections:
        raise BulletinParseError(
            "No section or article headings were found, and none could be inferred from "
            "the formatting.",
            code="no-structure",
        )
    return tree.bulletin


def _consume(items: list[_Item], position: int, tree: _TreeBuilder) -> int:
    """Add the item at ``position`` (and any it pairs with); return the next position."""
    item = items[position]
    following = items[position + 1] if position + 1 < len(items) else None
    if item.is_table:
        _add_table(item, tree)
    elif not item.text:
        pass  # empty paragraphs are spacing, not content
    elif item.role is Role.BULLETIN_NAME and tree.bulletin.bulletin_name is None:
        tree.bulletin.bulletin_name = clean_title(item.text)
    elif item.role is Role.SECTION:
        tree.add_section(item)
    elif item.role is Role.ARTICLE:
        tree.add_article(item)
    elif not tree.started or item.role in (Role.FRONT_MATTER, Role.BULLETIN_NAME):
        tree.bulletin.furniture.append(item.text)  # masthead lines, table of contents
    elif item.role in (Role.SUBHEADING, Role.MINOR_SUBHEADING):
        if _is_kicker(item, following):
            tree.add_block(_subheading(following, kicker=item), item)
            return position + 2
        tree.add_block(_subheading(item), item)
    elif item.role is Role.CAPTION:
        source = following.text if following and following.role is Role.SOURCE else None
        tree.add_block(FigureCaption(caption=item.text, source=source, line=item.line), item)
        return position + (2 if source is not None else 1)
    else:
        tree.add_block(Paragraph(text=item.text, line=item.line), item)
    return position + 1


def _add_table(item: _Item, tree: _TreeBuilder) -> None:
    if not any(cell for row in item.rows for cell in row):
        return
    if tree.started:
        tree.add_block(Table(rows=item.rows, line=item.line), item)
    else:
        # A masthead table (name, issue number, date) before the first heading.
        tree.bulletin.furniture.extend("\t".join(row) for row in item.rows if any(row))


def _is_kicker(item: _Item, following: _Item | None) -> bool:
    """Styled: a Heading 4 directly above a Heading 3. Inferred: two subheading-like lines
    in a row, since a subheading with no text under it is not something authors write."""
    if following is None or not following.text:
        return False
    if item.styled:
        return (
            item.role is Role.MINOR_SUBHEADING
            and following.styled
            and following.role is Role.SUBHEADING
        )
    return not following.styled and following.role in (Role.SUBHEADING, Role.MINOR_SUBHEADING)


def _subheading(item: _Item, *, kicker: _Item | None = None) -> Subheading:
    return Subheading(
        text=clean_title(item.text),
        line=kicker.line if kicker else item.line,
        kicker=clean_title(kicker.text) if kicker else None,
    )


# --------------------------------------------------------------------------- header/footer


def _header_footer_lines(document: DocxDocument, kind: str) -> list[str]:
    """Text lines of every defined header (or footer), sections in order."""
    lines: list[str] = []
    for section in document.sections:
        for variant in ("", "first_page_", "even_page_"):
            proxy = getattr(section, f"{variant}{kind}")
            # Checking first matters: .part on an undefined header would create one.
            if not proxy.is_linked_to_previous:
                lines.extend(_part_lines(proxy))
    return lines


def _part_lines(proxy) -> list[str]:
    try:
        root = proxy.part.element
    except _MALFORMED_XML:
        return []  # a dangling header reference: the body is still worth reading
    texts = (
        _element_text(p).strip() for p in root.iter(f"{_W}p") if not _inside_hidden(p, stop=root)
    )
    return [text for text in texts if text]


_DATE = re.compile(
    r"(?<!\d)(\d{4})(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|([.\-/．－／])(\d{1,2})\4(\d{1,2}))(?!\d)"
)
_PAGE_OR_ISSUE = re.compile(r"^(?:page\s*\d+|-\s*\d+\s*-|第\s*\d+\s*[页期]|\d+)$", re.I)


def _first_date(lines: list[str]) -> date | None:
    for line in lines:
        for match in _DATE.finditer(fullwidth_to_ascii(line)):
            year, month_cn, day_cn, _, month, day = match.groups()
            try:
                return date(int(year), int(month_cn or month), int(day_cn or day))
            except ValueError:
                continue
    return None


def _name_from_header(lines: list[str]) -> str | None:
    """The first header line's first chunk that is not a date, page or issue number."""
    if not lines:
        return None
    for chunk in re.split(r"\t|\s{2,}|\u3000", lines[0]):
        chunk = chunk.strip()
        if (
            chunk
            and not _DATE.search(fullwidth_to_ascii(chunk))
            and not _PAGE_OR_ISSUE.match(fullwidth_to_ascii(chunk))
            and not chunk.startswith("©")
        ):
            return clean_title(chunk)
    return None
