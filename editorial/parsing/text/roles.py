"""Each remaining line's role: section heading, source line, heading candidate or body."""

from __future__ import annotations

import re
from dataclasses import dataclass

from editorial.parsing.patterns import (
    SENTENCE_END,
    SOURCE_LINE,
)

from .blocks import candidate_role
from .layout import Layout
from .lines import Line, SectionMatcher
from .measures import (
    CLAUSE_MARKS,
    CLOSERS,
    DOUBT_SHARE,
    END_MARK,
    NOT_HEADING_END,
    STOPS,
    line_width,
)

# ============================================================================ roles

# Line roles: "section", "source", "candidate" (title, subheading or caption), "body",
# and the editor's forced "title", "subheading", "caption".


def assign_roles(lines, layout: Layout, matcher: SectionMatcher, warnings) -> list[str]:
    roles: list[str] = []
    for i, line in enumerate(lines):
        context = _Context(
            previous=lines[i - 1] if i else None,
            previous_role=roles[i - 1] if i else None,
            following=lines[i + 1] if i + 1 < len(lines) else None,
            layout=layout,
        )
        roles.append(_role_of(line, context, matcher, warnings))
    return roles


@dataclass(frozen=True)
class _Context:
    previous: Line | None
    previous_role: str | None
    following: Line | None
    layout: Layout


def _role_of(line: Line, context: _Context, matcher: SectionMatcher, warnings) -> str:
    if line.override:
        return line.override
    if matcher.configured and matcher.name_for(line):
        return "section"
    if SOURCE_LINE.match(line.key):
        return "source"
    if END_MARK.match(line.key):
        return "body"
    if _is_continuation(line, context) or not _has_heading_shape(line, context):
        return "body"
    return candidate_role(line, matcher, warnings)


def _is_continuation(line: Line, context: _Context) -> bool:
    """Does the body line before stop mid-sentence and carry on into this one?

    It does if it ends in a comma-like mark, or is a full line without a sentence end, or
    is short only because this line's first word did not fit on it. A short line without
    final punctuation otherwise ends its paragraph (carelessly), and this line is free.
    """
    previous = context.previous
    if previous is None or context.previous_role != "body" or previous.last in SENTENCE_END:
        return False
    if line.indented:
        return False
    if previous.last in CLAUSE_MARKS:
        return True
    layout = context.layout
    return not layout.is_short(previous.width) or _wrapped_before(previous, line, layout)


def _wrapped_before(line: Line, following: Line, layout: Layout) -> bool:
    """The line ended early because the next line's leading Latin word or number was too
    long to fit on it (pdftotext keeps such words whole)."""
    word = _LEADING_WORD.match(following.text)
    if word is None:
        return False
    return line.width + line_width(word.group()) >= DOUBT_SHARE * layout.page_width


_LEADING_WORD = re.compile(r"[A-Za-z0-9０-９Ａ-Ｚａ-ｚ][A-Za-z0-9０-９Ａ-Ｚａ-ｚ.,%％\-/]*")


def _has_heading_shape(line: Line, context: _Context) -> bool:
    if not context.layout.fits_heading(line.width) or "。" in line.text:
        return False
    if line.last in NOT_HEADING_END:
        return False
    # "……增长。”" is a sentence ending inside a quotation, not a heading.
    if line.last in CLOSERS and len(line.text) > 1 and line.text[-2] in STOPS:
        return False
    # A wide line that stops only because the next word did not fit is body text.
    following = context.following
    return following is None or not _wrapped_before(line, following, context.layout)


