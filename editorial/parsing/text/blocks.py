"""Blocks read from the extractor's block-end marks, when a likelihood test trusts them."""

from __future__ import annotations

import math

from editorial.parsing.patterns import (
    SENTENCE_END,
    SOURCE_LINE,
)
from editorial.parsing.tree import (
    ParseWarning,
)

from .layout import Layout
from .lines import KNOWN_SECTION_KEYS, Line, line_key
from .measures import (
    CLAUSE_MARKS,
    CLOSERS,
    END_MARK,
    NOT_HEADING_END,
    STOPS,
    WRAPPED_TITLE_MIN_WIDTH,
    line_width,
)
from .units import join_lines

# ============================================================================ blocks
#
# Real extraction leaves a trailing space on the last printed line of every block
# (paragraph, title, subheading, caption) and none inside one. Where a file follows that
# convention, blocks are read from it directly; where trailing spaces were stripped or are
# random, the line roles below rebuild blocks from width and punctuation instead.

# The marks are trusted when they follow block ends far better than chance would: the
# likelihood of the marks under "a mark ends a block (one mistake in twenty)" against
# "marks fall at random, as often as they do in this file" must be this many times
# higher. Real issues pass by hundreds of orders of magnitude; text whose trailing
# spaces are random noise (some editors' tools leave them) almost never does.
_MARK_ERROR_RATE = 0.05
_MARK_EVIDENCE_RATIO = math.log(1e4)


def uses_block_end_marks(lines: list[Line], layout: Layout) -> bool:
    if layout.page_width == float("inf") or not any(line.trailing for line in lines):
        return False
    ends = [
        line.trailing
        for line in lines
        if layout.is_short(line.width) and line.last in SENTENCE_END and line.override is None
    ]
    inner = [
        line.trailing
        for line in lines
        if not layout.is_short(line.width)
        and line.last not in SENTENCE_END
        and line.last not in CLAUSE_MARKS
    ]
    marks = ends + inner
    share = sum(marks) / len(marks) if marks else 0.0
    if not ends or share in (0.0, 1.0):
        return False
    right, wrong = math.log(1 - _MARK_ERROR_RATE), math.log(_MARK_ERROR_RATE)
    as_block_ends = sum(right if m else wrong for m in ends) + sum(
        wrong if m else right for m in inner
    )
    at_random = sum(math.log(share) if m else math.log(1 - share) for m in marks)
    return as_block_ends - at_random >= _MARK_EVIDENCE_RATIO


def _ends_block(line: Line, layout: Layout) -> bool:
    if line.trailing:
        # A space after a Latin word at the end of a full line is the extractor's word
        # spacing, not a block end (seen once in a thousand inner lines).
        return not (line.last.isascii() and line.last.isalnum() and not layout.is_short(line.width))
    # The mark is missing now and then: a short line closing a sentence still ends a block.
    return (
        layout.is_short(line.width)
        and line.last in _STOPS_AND_CLOSERS
        and (line.last not in CLOSERS or (len(line.text) > 1 and line.text[-2] in STOPS))
    )


_STOPS_AND_CLOSERS = STOPS | CLOSERS


def _marked_blocks(lines: list[Line], layout: Layout, matcher) -> list[list[Line]]:
    blocks: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        alone = (
            line.override is not None
            or (matcher.configured and matcher.name_for(line) is not None)
            or SOURCE_LINE.match(line.key)
            or END_MARK.match(line.key)
        )
        if alone:
            if current:
                blocks.append(current)
                current = []
            blocks.append([line])
            continue
        current.append(line)
        if _ends_block(line, layout):
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _merged(block: list[Line]) -> Line:
    if len(block) == 1:
        return block[0]
    text = join_lines([line.text for line in block])
    return Line(
        block[0].number,
        text,
        line_width(text),
        line_key(text),
        trailing=True,
        members=tuple(block),
    )


def _is_heading_block(block: list[Line], layout: Layout) -> bool:
    """One line, or a long one and its wrapped tail, with no sentence in it."""
    if len(block) > 2 or (len(block) == 2 and block[0].width < WRAPPED_TITLE_MIN_WIDTH):
        return False
    if len(block) == 2 and block[1].width > block[0].width:
        return False
    text = "".join(line.text for line in block)
    last = text[-1]
    if "。" in text or last in NOT_HEADING_END:
        return False
    if last in CLOSERS and len(text) > 1 and text[-2] in STOPS:
        return False
    return not END_MARK.match(line_key(text))


def marked_roles(lines, layout: Layout, matcher, warnings) -> tuple[list[Line], list[str]]:
    """Blocks as single lines, each with a role; paragraphs get the role "para"."""
    merged: list[Line] = []
    roles: list[str] = []
    for block in _marked_blocks(lines, layout, matcher):
        first = block[0]
        if len(block) == 1 and first.override:
            merged.append(first)
            roles.append(first.override)
        elif len(block) == 1 and matcher.configured and matcher.name_for(first):
            merged.append(first)
            roles.append("section")
        elif len(block) == 1 and SOURCE_LINE.match(first.key):
            merged.append(first)
            roles.append("source")
        elif _is_heading_block(block, layout):
            line = _merged(block)
            merged.append(line)
            roles.append(candidate_role(line, matcher, warnings))
        else:
            merged.append(_merged(block))
            roles.append("para")
    return merged, roles


def candidate_role(line: Line, matcher, warnings) -> str:
    if not matcher.configured and matcher.looks_like_section(line):
        warnings.append(
            ParseWarning(
                line.number,
                "No sections configured: this short line was taken as a section heading.",
                code="guessed-section",
                text=line.text,
            )
        )
        return "section"
    if matcher.configured and line.key in KNOWN_SECTION_KEYS:
        warnings.append(
            ParseWarning(
                line.number,
                "Looks like a section heading but is not one of this bulletin's sections.",
                code="unknown-heading",
                text=line.text,
            )
        )
    return "candidate"


