"""Classified items assembled into sections ▸ articles ▸ blocks."""

from __future__ import annotations

from collections.abc import Sequence

from editorial.parsing.normalise import clean_title
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

from .body import Item
from .vocabulary import Role, section_key


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

    def add_section(self, item: Item) -> None:
        key = section_key(item.text)
        title = self.canonical.get(key, clean_title(item.text))
        if self.canonical and key not in self.canonical:
            self._warn(item, "unknown-heading", "section heading not among configured sections")
        self.section = ParsedSection(title=title, line=item.line)
        self.bulletin.sections.append(self.section)
        self.article = None

    def add_article(self, item: Item) -> None:
        if self.section is None:
            self._warn(item, "article-outside-section", "article before any section heading")
            self.section = ParsedSection(title="", line=item.line)
            self.bulletin.sections.append(self.section)
        self.article = ParsedArticle(title=clean_title(item.text), line=item.line)
        self.section.articles.append(self.article)

    def add_block(self, block: Paragraph | Subheading | FigureCaption | Table, item: Item):
        if self.article is None:
            self._warn(item, "text-outside-article", "text before the section's first article")
            self.add_article(Item(line=item.line, text=""))
        self.article.blocks.append(block)

    def _warn(self, item: Item, code: str, message: str) -> None:
        self.warnings.append(
            ParseWarning(line=item.line, message=message, code=code, text=item.text)
        )


def assemble(
    items: list[Item], configured: Sequence[str], warnings: list[ParseWarning]
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


def _consume(items: list[Item], position: int, tree: _TreeBuilder) -> int:
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


def _add_table(item: Item, tree: _TreeBuilder) -> None:
    if not any(cell for row in item.rows for cell in row):
        return
    if tree.started:
        tree.add_block(Table(rows=item.rows, line=item.line), item)
    else:
        # A masthead table (name, issue number, date) before the first heading.
        tree.bulletin.furniture.extend("\t".join(row) for row in item.rows if any(row))


def _is_kicker(item: Item, following: Item | None) -> bool:
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


def _subheading(item: Item, *, kicker: Item | None = None) -> Subheading:
    return Subheading(
        text=clean_title(item.text),
        line=kicker.line if kicker else item.line,
        kicker=clean_title(kicker.text) if kicker else None,
    )
