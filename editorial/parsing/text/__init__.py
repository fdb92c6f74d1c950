"""Parse the plain text that ``pdftotext`` gives of a bulletin into a ``ParsedBulletin``.

The layout is described in ``shared/formats/plain-text-bulletin.md``. The parser works in
passes over the non-blank lines, each small enough to reason about on its own:

1. furniture: running headers, copyright notices and page numbers are taken out first,
   so a paragraph they interrupted simply continues; so are the cover and the contents
   page, which would otherwise read as a second, empty copy of the issue;
2. layout: the printed line width is measured, because "short" only means something
   relative to it;
3. roles: each remaining line is a section heading, a source line, a heading candidate
   (short, no sentence-final punctuation, not the continuation of a sentence) or body;
4. units: runs of body lines become paragraphs, candidates followed by a source line
   become figure captions, the rest stay runs of candidates;
5. tree: each run of candidates is judged title or subheading from the evidence around
   it (a dated lead after it, sibling subheadings, numbering, its width), and every
   doubtful call is reported as a ``ParseWarning`` for the editor's preview.

Nothing is dropped: a line that fits nowhere is kept as a paragraph and warned about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from editorial.parsing.accounting import content_characters, input_characters
from editorial.parsing.encoding import decode_bulletin_bytes
from editorial.parsing.issue_number import find_issue_numbers
from editorial.parsing.tree import (
    BulletinParseError,
    LineDecision,
    ParsedBulletin,
    ParseWarning,
)

from .assembly import TreeBuilder
from .blocks import marked_roles, uses_block_end_marks
from .furniture import find_furniture
from .layout import measure_layout
from .lines import Line, SectionMatcher, checked_overrides, line_key, read_lines
from .measures import SENTENCE_MARKS, line_width
from .roles import assign_roles
from .units import build_units
from .vocabulary import KNOWN_SECTION_NAMES, OVERRIDE_ROLES, WARNING_CODES

__all__ = [
    "KNOWN_SECTION_NAMES",
    "OVERRIDE_ROLES",
    "WARNING_CODES",
    "checked_overrides",
    "content_characters",
    "input_characters",
    "line_key",
    "line_width",
    "parse_bulletin_bytes",
    "parse_text",
]

# ============================================================================ public API


def parse_bulletin_bytes(data: bytes, **kwargs) -> ParsedBulletin:
    """Decode uploaded bytes (see ``decode_bulletin_bytes``) and parse the text."""
    text, encoding = decode_bulletin_bytes(data)
    parsed = parse_text(text, **kwargs)
    parsed.encoding = encoding
    return parsed


def parse_text(
    text: str,
    *,
    sections: Sequence[str] | None = None,
    overrides: Mapping[int, str] | None = None,
    known_names: Sequence[str] | None = None,
) -> ParsedBulletin:
    """Parse extracted bulletin text.

    ``sections``: the bulletin's configured section names, in order; ``None`` makes the
    parser guess headings (and warn). ``overrides``: 1-based line number -> one of
    ``OVERRIDE_ROLES``, an editor's correction from the preview, always honoured.
    ``known_names``: bulletin names to treat as running headers even when they occur
    only once.
    """
    warnings: list[ParseWarning] = []
    lines = read_lines(text, checked_overrides(overrides), warnings)
    if not lines:
        raise BulletinParseError("The text is empty.", code="empty")
    matcher = SectionMatcher(sections)
    furniture = find_furniture(lines, matcher, known_names or ())
    if furniture.front_matter:
        first = furniture.front_matter[0]
        warnings.append(
            ParseWarning(
                first,
                f"{len(furniture.front_matter)} cover and contents lines before the first "
                "section were set aside as furniture.",
                code="front-matter",
                text=next(line.text for line in lines if line.number == first),
            )
        )
    content = [line for line in lines if line.number not in furniture.numbers]
    layout = measure_layout(content)
    marked = uses_block_end_marks(content, layout)
    if marked:
        content, roles = marked_roles(content, layout, matcher, warnings)
    else:
        roles = assign_roles(content, layout, matcher, warnings)
    units = build_units(content, roles, layout, warnings)
    builder = TreeBuilder(units, matcher, warnings, marked=marked)
    parsed_sections = builder.build()
    # A bulletin has section headings, or titled articles whose text is prose (sentences
    # ending in 。): a CSV or a line like "hello world" would otherwise become a draft.
    titled = [
        article
        for section in parsed_sections
        for article in section.articles
        if article.title and any(SENTENCE_MARKS & set(text) for text in article.paragraphs)
    ]
    has_heading = any(section.title for section in parsed_sections)
    has_title = any(article.title for section in parsed_sections for article in section.articles)
    if not has_title or (not has_heading and not titled):
        raise BulletinParseError(
            "No bulletin structure was found: expected section headings, or article titles "
            "each followed by paragraphs of sentences.",
            code="no-structure",
        )
    number, total = find_issue_numbers(
        line.text for line in lines if line.number in furniture.numbers
    )
    return ParsedBulletin(
        bulletin_name=furniture.bulletin_name,
        issue_date=furniture.issue_date,
        issue_number=number,
        total_number=total,
        sections=parsed_sections,
        furniture=[line.text for line in lines if line.number in furniture.numbers],
        warnings=sorted(warnings, key=lambda warning: warning.line),
        decisions=_line_decisions(lines, furniture.numbers, builder.decisions),
    )


def _line_decisions(lines: list[Line], furniture: set[int], decided: dict) -> list[LineDecision]:
    decisions = []
    for line in lines:
        if line.number in furniture:
            reasons = ("editor",) if line.override == "furniture" else ("furniture",)
            decisions.append(LineDecision(line.number, line.text, "furniture", reasons))
            continue
        role, reasons, sure = decided.get(line.number, ("body", (), True))
        decisions.append(LineDecision(line.number, line.text, role, reasons, sure))
    return decisions


