"""Lines grouped into units (paragraphs, heading groups, tables) with evidence-weighed titles."""

from __future__ import annotations

from dataclasses import dataclass

from editorial.parsing.patterns import (
    CAPTION_PREFIX,
    SENTENCE_END,
    SOURCE_LINE,
)
from editorial.parsing.tree import (
    ParseWarning,
)

from .layout import Layout
from .lines import Line
from .measures import NUMERIC_CELL, PARAGRAPH_OPENER

# ============================================================================ units


@dataclass
class Unit:
    kind: str  # section | run | para | figure | table | title | subheading
    lines: list[Line]
    text: str = ""  # para: the rebuilt paragraph
    source: Line | None = None  # figure: its source line

    @property
    def line(self) -> int:
        return self.lines[0].number if self.lines else (self.source.number if self.source else 0)


def build_units(lines, roles, layout: Layout, warnings) -> list[Unit]:
    units: list[Unit] = []
    i = 0
    while i < len(lines):
        role = roles[i]
        end = _end_of_group(roles, i)
        if role == "para":  # a block already rebuilt from its end marks
            units.append(Unit("para", list(lines[i].lines), lines[i].text))
            end = i + 1
        elif role == "body":
            units.extend(_paragraph_units(lines[i:end], layout))
        elif role == "candidate":
            end = _candidate_units(lines, roles, i, end, units, warnings)
        elif role == "source":
            units.append(_source_unit(lines[i], warnings))
            end = i + 1
        elif role == "caption":
            end = _forced_caption_unit(lines, roles, i, units)
        elif role == "section":
            units.append(Unit("section", [lines[i]]))
            end = i + 1
        elif role == "title":
            units.append(Unit("title", lines[i:end]))
        else:  # "subheading": each forced line is its own subheading
            units.append(Unit("subheading", [lines[i]]))
            end = i + 1
        i = end
    return units


def _end_of_group(roles: list[str], start: int) -> int:
    end = start + 1
    while end < len(roles) and roles[end] == roles[start]:
        end += 1
    return end


def _paragraph_units(lines: list[Line], layout: Layout) -> list[Unit]:
    units, current = [], []
    for i, line in enumerate(lines):
        current.append(line)
        following = lines[i + 1] if i + 1 < len(lines) else None
        if following is None or _ends_paragraph(line, following, layout):
            units.append(Unit("para", current, join_lines([ln.text for ln in current])))
            current = []
    return units


def _ends_paragraph(line: Line, following: Line, layout: Layout) -> bool:
    if following.indented:
        return True
    if line.last not in SENTENCE_END:
        return False
    if layout.is_short(line.width):
        return True
    # A long line ending a sentence may end its paragraph or go on. The next paragraph's
    # first line lost its two-character indent in extraction, so it is about two
    # characters short of a full line; the lines inside a paragraph are full.
    if layout.lost_indent(following.width):
        return True
    # Otherwise a nearly full line ends one only if the next line opens like a paragraph.
    return layout.in_doubt(line.width) and bool(PARAGRAPH_OPENER.match(following.key))


def join_lines(texts: list[str]) -> str:
    """Rebuild a hard-wrapped paragraph: Chinese joins directly, Latin words with a space."""
    parts = [texts[0]]
    for text in texts[1:]:
        if _needs_space(parts[-1][-1], text[0]):
            parts.append(" ")
        parts.append(text)
    return "".join(parts)


def _needs_space(before: str, after: str) -> bool:
    if not (after.isascii() and after.isalnum()):
        return False
    return before.isascii() and (before.isalnum() or (before in ",.;:!?)" and after.isalpha()))


def _candidate_units(lines, roles, start, end, units, warnings) -> int:
    """Split a run of candidates into figure captions, tables and heading runs."""
    run = lines[start:end]
    following = lines[end] if end < len(lines) else None
    # A table's cells are short; the wider lines before them are headings or a caption.
    head = _leading_headings(run)
    cells = run[len(head) :]
    table = len(cells) >= 3 and _table_cells(cells)
    if following is not None and roles[end] == "source" and _is_figure_source(lines, roles, end):
        if table and head:
            units.extend(_split_captions(head[:-1]))
            units.append(Unit("figure", [head[-1]], source=following))
            units.append(_table_unit(cells, warnings))
            return end + 1
        units.extend(_split_captions(run[:-1]))
        units.append(Unit("figure", [run[-1]], source=following))
        return end + 1
    if table and len(cells) >= 4:
        units.extend(_split_captions(head))
        units.append(_table_unit(cells, warnings))
        return end
    units.extend(_split_captions(run))
    return end


_CELL_MAX_WIDTH = 8.0


def _leading_headings(run: list[Line]) -> list[Line]:
    for index, line in enumerate(run):
        if line.width <= _CELL_MAX_WIDTH:
            return run[:index]
    return run


def _is_figure_source(lines, roles, index: int) -> bool:
    """资料来源/数据来源 always close a figure; a bare 来源 line followed by body text is
    the article's attribution instead (and marks the candidate before it as a title)."""
    match = SOURCE_LINE.match(lines[index].key)
    if match and match.group("figure"):
        return True
    return index + 1 >= len(roles) or roles[index + 1] not in ("body", "para")


def _split_captions(run: list[Line]) -> list[Unit]:
    """Lines starting "图1"/"表2" are captions without a source; the rest stay runs."""
    units: list[Unit] = []
    for line in run:
        if CAPTION_PREFIX.match(line.key):
            units.append(Unit("figure", [line]))
        elif units and units[-1].kind == "run":
            units[-1].lines.append(line)
        else:
            units.append(Unit("run", [line]))
    return units


def _table_cells(run: list[Line]) -> list[Line] | None:
    numeric = sum(1 for line in run if NUMERIC_CELL.match(line.key))
    return run if numeric * 3 >= len(run) and numeric >= 2 else None


def _table_unit(cells: list[Line], warnings) -> Unit:
    warnings.append(
        ParseWarning(
            cells[0].number,
            f"{len(cells)} short lines read as table cells, one per row: check the columns.",
            code="unsure-table",
            text=cells[0].text,
        )
    )
    return Unit("table", cells)


def _source_unit(line: Line, warnings) -> Unit:
    """A source line with no caption before it: a figure's, or the article's attribution."""
    if SOURCE_LINE.match(line.key).group("figure"):
        warnings.append(
            ParseWarning(
                line.number,
                "Source line without a caption: kept as a figure with an empty caption.",
                code="orphan-source",
                text=line.text,
            )
        )
        return Unit("figure", [], source=line)
    return Unit("para", [line], line.text)  # the article's attribution, kept as written


def _forced_caption_unit(lines, roles, index: int, units: list[Unit]) -> int:
    following = index + 1
    if following < len(lines) and roles[following] == "source":
        units.append(Unit("figure", [lines[index]], source=lines[following]))
        return following + 1
    units.append(Unit("figure", [lines[index]]))
    return following


