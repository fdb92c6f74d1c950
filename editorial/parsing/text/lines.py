"""Input lines with their page and width, the override check, and matching section names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from editorial.parsing.encoding import normalise_line_ends
from editorial.parsing.normalise import fullwidth_to_ascii
from editorial.parsing.patterns import (
    SECTION_SUFFIX,
)
from editorial.parsing.tree import (
    ParseWarning,
)

from .measures import PARAGRAPH_INDENTS, SECTION_MAX_WIDTH, line_width
from .vocabulary import KNOWN_SECTION_NAMES, OVERRIDE_ROLES

# ============================================================================ lines


@dataclass
class Line:
    number: int  # 1-based line number in the input
    text: str  # stripped of line-edge whitespace
    width: float
    key: str  # ASCII digits and letters, no whitespace: for matching and patterns
    override: str | None = None
    indented: bool = False  # starts with a paragraph indent (two ideographic spaces)
    trailing: bool = False  # the raw line ended in a space: the extractor's block-end mark
    # A whole block read as one line (a wrapped title, a rebuilt paragraph): its lines.
    members: tuple[Line, ...] = ()

    @property
    def last(self) -> str:
        return self.text[-1]

    @property
    def lines(self) -> tuple[Line, ...]:
        return self.members or (self,)


def line_key(text: str) -> str:
    return "".join(fullwidth_to_ascii(text).split())


def checked_overrides(overrides: Mapping[int, str] | None) -> dict[int, str]:
    checked = dict(overrides or {})
    unknown = {role for role in checked.values() if role not in OVERRIDE_ROLES}
    if unknown:
        raise ValueError(
            f"Unknown override role(s) {sorted(unknown)}; use {sorted(OVERRIDE_ROLES)}"
        )
    return checked


def read_lines(text: str, overrides: dict[int, str], warnings: list) -> list[Line]:
    lines = []
    raw_lines = normalise_line_ends(text.lstrip("\ufeff")).split("\n")
    for number, raw in enumerate(raw_lines, start=1):
        stripped = raw.strip()
        if stripped:
            lines.append(
                Line(
                    number,
                    stripped,
                    line_width(stripped),
                    line_key(stripped),
                    overrides.get(number),
                    indented=raw.startswith(PARAGRAPH_INDENTS),
                    trailing=raw[-1] in " \u3000",
                )
            )
        elif number in overrides:
            warnings.append(
                ParseWarning(number, "Override on a blank line ignored.", code="bad-override")
            )
    for number in sorted(set(overrides) - set(range(1, len(raw_lines) + 1))):
        warnings.append(
            ParseWarning(
                number, "Override beyond the end of the text ignored.", code="bad-override"
            )
        )
    return lines


# ============================================================================ sections


class SectionMatcher:
    """Matches a line against the configured section names, ignoring spaces and width."""

    def __init__(self, sections: Sequence[str] | None):
        self.configured = sections is not None
        names = sections if sections is not None else KNOWN_SECTION_NAMES
        self.order = {line_key(name): index for index, name in enumerate(names)}
        self.names = {line_key(name): name for name in names}

    def name_for(self, line: Line) -> str | None:
        return self.names.get(line.key)

    def looks_like_section(self, line: Line) -> bool:
        """A known section word, or the shape of one: for guessing and for warnings."""
        return line.key in KNOWN_SECTION_KEYS or (
            line.width <= SECTION_MAX_WIDTH and bool(SECTION_SUFFIX.search(line.key))
        )

    def position(self, name: str) -> int | None:
        return self.order.get(line_key(name))


KNOWN_SECTION_KEYS = frozenset(line_key(name) for name in KNOWN_SECTION_NAMES)


