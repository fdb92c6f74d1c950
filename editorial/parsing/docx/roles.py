"""Roles for the paragraphs the author did not style: configured section names,
figure captions with their source line, and headings inferred from font size and weight."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

from editorial.parsing.tree import ParseWarning

from .body import Item
from .vocabulary import Role, section_key

# Thresholds for headings inferred from formatting (characters, after stripping).
_MAX_SECTION_CHARS = 8  # section names are 4-6 characters; titles rarely this short
_MAX_TITLE_CHARS = 60  # a wrapped two-line title still fits
_MAX_SUBHEADING_CHARS = 40
_MAX_CAPTION_CHARS = 60
_SIZE_TOLERANCE = 0.25  # points; sizes closer than this are the same size

_SOURCE_LINE = re.compile(r"^(?:资料|数据|信息|图表)?来源\s*[：:]")
_SENTENCE_END = "。"


def assign_roles(
    items: list[Item], configured: dict[str, str], warnings: list[ParseWarning]
) -> None:
    paragraphs = [item for item in items if not item.is_table and item.text]
    _match_configured_sections(paragraphs, configured, warnings)
    _pair_captions_with_sources(items)
    _infer_headings(paragraphs, warnings)


def _match_configured_sections(
    paragraphs: list[Item], configured: dict[str, str], warnings: list[ParseWarning]
) -> None:
    """A paragraph holding exactly a configured section name is that section's heading,
    whatever its style: authors often set section names as bold Normal text."""
    overridable = (None, Role.ARTICLE, Role.SUBHEADING, Role.MINOR_SUBHEADING)
    for item in paragraphs:
        if item.role in overridable and section_key(item.text) in configured:
            if item.role is None:
                _warn_inferred(warnings, item, "configured section name in an unstyled line")
            item.role = Role.SECTION


def _pair_captions_with_sources(items: list[Item]) -> None:
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


def _looks_like_caption(item: Item) -> bool:
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


def _infer_headings(paragraphs: list[Item], warnings: list[ParseWarning]) -> None:
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


def _body_size(plain: list[Item]) -> float:
    """The size most body characters are set in."""
    weights: Counter[float] = Counter()
    for item in plain:
        weights[item.size] += len(item.text)
    return weights.most_common(1)[0][0]


def _could_be_heading(item: Item, body: float) -> bool:
    if item.text.endswith(_SENTENCE_END) or len(item.text) > _MAX_TITLE_CHARS:
        return False
    return item.bold or item.size > body + _SIZE_TOLERANCE


def _infer_bulletin_name(
    paragraphs: list[Item],
    candidates: list[Item],
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
    paragraphs: list[Item],
    candidates: list[Item],
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


def _inferred_role(item: Item, sizes: _Sizes, subheadings_styled: bool) -> Role | None:
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


def _warn_inferred(warnings: list[ParseWarning], item: Item, message: str) -> None:
    warnings.append(
        ParseWarning(line=item.line, message=message, code="inferred-heading", text=item.text)
    )
