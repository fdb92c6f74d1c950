"""Roles of the lines: furniture, sections, titles, subheadings, captions and body, from font
size and weight, with a ``LineDecision`` for every line."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from editorial.parsing.issue_number import find_issue_numbers
from editorial.parsing.normalise import clean_title, fullwidth_to_ascii
from editorial.parsing.patterns import (
    CAPTION_PREFIX,
    CONTENTS,
    DATE,
    ISSUE_SUFFIX,
    LEADER,
    NAME_SHAPE,
    SECTION_SUFFIX,
    SOURCE_LINE,
    STRONG_NOTICE,
    WEAK_NOTICE,
)
from editorial.parsing.text import line_key
from editorial.parsing.tree import (
    BulletinParseError,
    LineDecision,
    ParsedBulletin,
    ParseWarning,
)

from .assembly import Assembler
from .document import PageData
from .layout import Figure, Item, Line, layout_page
from .measures import (
    BAND_LINES,
    BAND_SHARE,
    CAPTION_DISTANCE_EM,
    DIGEST,
    DIGITS,
    HEADING_END_DOUBT,
    KNOWN_SECTION_KEYS,
    MAX_CAPTION_WIDTH,
    MAX_HEADING_CHARS,
    MAX_SECTION_CHARS,
    MAX_SUBHEADING_CHARS,
    NOT_HEADING_END,
    PAGE_NUMBER_SHAPE,
    SHORT_EM,
    SIZE_TOLERANCE,
    TITLE_MIN_STEP,
    section_key,
)

# ============================================================================ the parser


@dataclass
class _Levels:
    body: float
    section: float | None  # the size section headings are set in, when it tells
    title: float | None  # the size article titles are set in
    bold_tells: bool = True  # False when the body font itself reads as bold


class Parser:
    def __init__(
        self,
        pages: list[PageData],
        sections: Sequence[str] | None,
        overrides: dict[int, str],
    ):
        self.pages = pages
        self.configured = sections is not None
        self.section_names = {section_key(name): name for name in sections or ()}
        self.section_order = {key: i for i, key in enumerate(self.section_names)}
        self.overrides = overrides
        self.warnings: list[ParseWarning] = []
        self.items: list[Item] = []
        self.lines: list[Line] = []
        self.front_matter: list[Line] = []
        self.contents_pages: set[int] = set()
        self.levels = _Levels(10.0, None, None)

    # ------------------------------------------------------------------ driver

    def parse(self) -> ParsedBulletin:
        for page in self.pages:
            self.items.extend(layout_page(page))
        self.lines = [item for item in self.items if isinstance(item, Line)]
        for number, line in enumerate(self.lines, start=1):
            line.number = number
        self._report_unmapped()
        self._mark_running_furniture()
        self.contents_pages = self._find_contents_pages()
        self.levels = self._measure_levels()
        self._assign_roles()
        self._attach_figures()
        self._apply_overrides()
        self._mark_front_matter()
        bulletin = Assembler(self).build()
        if not any(
            section.title or any(a.title for a in section.articles) for section in bulletin.sections
        ):
            raise BulletinParseError(
                "No section headings or article titles were found: the text is set in one "
                "font size and weight throughout.",
                code="no-structure",
            )
        self._metadata(bulletin)
        bulletin.decisions = [
            LineDecision(line.number, line.text, line.role, line.evidence, line.sure)
            for line in self.lines
        ]
        bulletin.warnings = sorted(self.warnings, key=lambda warning: warning.line)
        return bulletin

    def warn(self, line: Line, code: str, message: str, *, unsure: bool = True) -> None:
        if unsure:
            line.sure = False
        self.warnings.append(ParseWarning(line.number, message, code=code, text=line.text))

    def _report_unmapped(self) -> None:
        unmapped = sum(page.unmapped for page in self.pages)
        first = next((line for line in self.lines if "\ufffd" in line.text), None)
        if unmapped and first is not None:
            self.warn(
                first,
                "unmapped-glyphs",
                f"{unmapped} characters have no Unicode mapping in the PDF and are shown as "
                "\ufffd.",
                unsure=False,
            )

    # ------------------------------------------------------------------ furniture

    def _mark_running_furniture(self) -> None:
        """Lines among the first or last few of a page, inside its top or bottom band,
        that repeat on other pages at the same height, or are shaped like a page number
        or a copyright notice, or are tagged as pagination artifacts."""
        by_page: dict[int, list[Line]] = {}
        for line in self.lines:
            if line.cells is None:
                by_page.setdefault(line.page, []).append(line)
        candidates: list[Line] = []
        for page_index, page_lines in by_page.items():
            height = self.pages[page_index].height
            ordered = sorted(page_lines, key=lambda ln: ln.top)
            head = [ln for ln in ordered[:BAND_LINES] if ln.bottom <= height * BAND_SHARE]
            tail = [
                ln
                for ln in ordered[-BAND_LINES:]
                if ln.top >= height * (1 - BAND_SHARE) and ln not in head
            ]
            candidates += head + tail
        repeats = Counter(self._repeat_key(line) for line in candidates)
        needed = 2 if len(self.pages) <= 4 else 3
        for line in candidates:
            key = line.key
            shaped = (
                any(pattern.match(key) for pattern in PAGE_NUMBER_SHAPE)
                or bool(STRONG_NOTICE.search(key) or WEAK_NOTICE.search(key))
                or line.artifact
            )
            if shaped or repeats[self._repeat_key(line)] >= needed:
                _set_furniture(line)

    @staticmethod
    def _repeat_key(line: Line) -> tuple:
        return (DIGITS.sub("#", line.key), round(line.top), round(line.size))

    # ------------------------------------------------------------------ sizes

    def _find_contents_pages(self) -> set[int]:
        """Pages near the start holding a table of contents (目录, or a cover digest
        such as 本期要目), or three or more lines with dot leaders and page numbers: they
        repeat the section names and titles, so they are front matter, not the issue."""
        leaders: Counter[int] = Counter()
        pages: set[int] = set()
        for line in self.lines:
            if line.page < 3 and line.role != "furniture":
                if CONTENTS.match(line.key) or DIGEST.match(line.key):
                    pages.add(line.page)
                if LEADER.search(line.key):
                    leaders[line.page] += 1
        return pages | {page for page, count in leaders.items() if count >= 3}

    def _measure_levels(self) -> _Levels:
        """The body, section and title sizes, and whether bold tells a heading."""
        content = [
            ln
            for ln in self.lines
            if ln.role != "furniture"
            and not ln.in_figure
            and ln.cells is None
            and ln.page not in self.contents_pages
        ]
        body, bold_tells = _body_size(content)
        short = [ln for ln in content if ln.visible_count <= MAX_HEADING_CHARS]
        larger = _without_masthead([ln for ln in short if ln.size > body + SIZE_TOLERANCE])
        section = self._section_size(short, larger, body)
        title = _title_size(larger, body, section)
        return _Levels(body=body, section=section, title=title, bold_tells=bold_tells)

    def _section_size(self, short: list[Line], larger: list[Line], body: float) -> float | None:
        named = Counter(_half(ln.size) for ln in short if self._section_name(ln) is not None)
        if named:
            section = named.most_common(1)[0][0]
            # Section names in the body font are matched by name only.
            return section if section > body + SIZE_TOLERANCE else None
        if self.configured:
            return None
        distinct = sorted({_half(ln.size) for ln in larger}, reverse=True)
        if len(distinct) >= 2 and distinct[0] - distinct[1] >= TITLE_MIN_STEP:
            top_lines = [ln for ln in larger if _half(ln.size) == distinct[0]]
            if all(ln.visible_count <= MAX_SECTION_CHARS for ln in top_lines):
                return distinct[0]
        return None

    def _section_name(self, line: Line) -> str | None:
        key = section_key(line.text)
        if self.configured:
            return self.section_names.get(key)
        return line.text.strip() if key in KNOWN_SECTION_KEYS else None

    # ------------------------------------------------------------------ roles

    def _assign_roles(self) -> None:
        for line in self.lines:
            if line.role == "furniture" or line.cells is not None:
                continue
            if line.in_figure:
                # Chart labels belong to the figure; its source line may be drawn inside.
                if _is_figure_source(line.key):
                    line.role, line.evidence = "source", ("source-line", "image")
                else:
                    _set_furniture(line, ("image",))
                continue
            line.role, line.evidence = self._role_of(line)

    def _role_of(self, line: Line) -> tuple[str, tuple[str, ...]]:
        levels = self.levels
        size, body = line.size, levels.body
        larger = size > body + SIZE_TOLERANCE
        font = ("font-size",) if larger else ()
        is_bold = line.bold and levels.bold_tells
        bold = ("bold",) if is_bold else ()
        text = line.text.strip()
        if self._section_name(line) is not None:
            if self.configured:
                return "section", ("configured-section", *font)
            self.warn(line, "guessed-section", "no sections configured: a known section name")
            return "section", ("guessed-section", *font)
        if _is_figure_source(line.key):
            return "source", ("source-line",)
        heading_shaped = (
            line.visible_count <= MAX_HEADING_CHARS and text[-1] not in NOT_HEADING_END
        )
        at_section_size = (
            levels.section is not None
            and larger
            and abs(size - levels.section) <= SIZE_TOLERANCE
            and line.visible_count <= MAX_SECTION_CHARS
        )
        if at_section_size and not self.configured:
            self.warn(
                line,
                "guessed-section",
                "no sections configured: a short line in the "
                "section font taken as a section heading",
            )
            return "section", ("guessed-section", *font)
        if at_section_size and (
            section_key(text) in KNOWN_SECTION_KEYS or SECTION_SUFFIX.search(line.key)
        ):
            self.warn(line, "unknown-heading", "a section heading not among configured sections")
            return "section", font
        if (
            levels.title is not None
            and size >= levels.title - SIZE_TOLERANCE
            and size >= body + TITLE_MIN_STEP
        ):
            if not heading_shaped:
                return "body", font
            if line.visible_count > MAX_SUBHEADING_CHARS or text[-1] in HEADING_END_DOUBT:
                self.warn(line, "unsure-title", "a long or questioning line in the title font")
            return "title", font + bold
        if larger and heading_shaped:
            return "subheading", font + bold
        if is_bold and abs(size - body) <= SIZE_TOLERANCE and heading_shaped:
            if line.visible_count > MAX_SUBHEADING_CHARS or text[-1] in HEADING_END_DOUBT:
                self.warn(line, "unsure-subheading", "a long bold line taken as a subheading")
            return "subheading", bold
        return "body", ()

    # ------------------------------------------------------------------ figures

    def _attach_figures(self) -> None:
        """A figure takes the short line right below it (or right above, when that one is
        numbered like 图1 or nothing fits below) as its caption, and a source line under
        it or under the caption. With no figure, a short line right above a source line
        is a caption too (a chart the PDF draws in a way not recognised as a figure)."""
        reach = CAPTION_DISTANCE_EM * self.levels.body
        for index, item in enumerate(self.items):
            if not isinstance(item, Figure):
                continue
            near = [
                ln
                for ln in self._neighbours(index)
                if ln.page == item.page
                and ln.figure is None
                and ln.role in ("body", "subheading", "source")
                and (ln.column == item.column or "full" in (ln.column, item.column))
            ]
            below = sorted(
                (ln for ln in near if -1 <= ln.top - item.box.bottom <= reach),
                key=lambda ln: ln.top,
            )
            above = sorted(
                (ln for ln in near if -1 <= item.box.top - ln.bottom <= reach),
                key=lambda ln: -ln.bottom,
            )
            shaped = [ln for ln in below[:1] + above[:1] if self._caption_shaped(ln)]
            numbered = [ln for ln in shaped if CAPTION_PREFIX.match(ln.key)]
            caption = (numbered or shaped or [None])[0]
            source = next(
                (
                    ln
                    for ln in near
                    if ln.role == "source"
                    and (
                        -1 <= ln.top - item.box.bottom <= reach
                        or (caption is not None and -1 <= ln.top - caption.bottom <= reach)
                    )
                ),
                None,
            )
            if caption is not None:
                caption.role, caption.evidence = "caption", ("image",)
                caption.figure = item
                item.caption = caption
            if source is not None:
                source.figure = item
                item.source = source
        for line in self.lines:
            if line.in_figure and line.role == "source" and line.figure is None:
                figure = next(
                    (
                        f
                        for f in self.items
                        if isinstance(f, Figure)
                        and f.page == line.page
                        and f.box.contains_point(line.x0, line.top, 1.0)
                    ),
                    None,
                )
                if figure is not None and figure.source is None:
                    figure.source, line.figure = line, figure
        for previous, line in zip(self.lines, self.lines[1:], strict=False):
            if (
                line.role == "source"
                and line.figure is None
                and previous.figure is None
                and previous.role in ("body", "subheading")
                and previous.page == line.page
                and 0 <= line.top - previous.bottom <= reach
                and self._caption_shaped(previous)
            ):
                previous.role, previous.evidence = "caption", ("caption-before-source",)

    def _neighbours(self, index: int) -> Iterator[Line]:
        """Lines within a few items of the figure in reading order."""
        for item in self.items[max(index - 8, 0) : index + 9]:
            if isinstance(item, Line):
                yield item

    @staticmethod
    def _caption_shaped(line: Line) -> bool:
        """Short, not a sentence, and not a full line of a paragraph."""
        text = line.text.strip()
        if line.cells is not None or not text or text[-1] in NOT_HEADING_END:
            return False
        if line.width > MAX_CAPTION_WIDTH:
            return False
        full = line.x1 >= line.col_right - SHORT_EM * line.size
        starts_at_edge = line.x0 <= line.col_left + 0.5 * line.size
        return not (full and starts_at_edge)

    # ------------------------------------------------------------------ overrides

    def _apply_overrides(self) -> None:
        by_number = {line.number: line for line in self.lines}
        for number, role in sorted(self.overrides.items()):
            line = by_number.get(number)
            if line is None:
                self.warnings.append(
                    ParseWarning(
                        number,
                        "Override on a line the PDF does not have, ignored.",
                        code="bad-override",
                    )
                )
                continue
            line.overridden = True
            line.evidence = ("editor",)
            line.sure = True
            figure = line.figure
            if figure is not None and not (role == "caption" and figure.caption is line):
                if figure.caption is line:
                    figure.caption = None
                if figure.source is line:
                    figure.source = None
                line.figure = None
            if line.cells is not None:
                # A row taken out of its table becomes an ordinary line.
                line.text = " ".join(cell for cell in line.cells if cell)
                line.cells = None
            line.role = role

    # ------------------------------------------------------------------ cover, contents

    def _mark_front_matter(self) -> None:
        """Lines before the first section heading (or, with none, the first title) are a
        cover or masthead, and a contents page near the start is one too: furniture.
        A line an editor placed keeps its role."""
        contents_pages = self.contents_pages
        display = (self.levels.title or 0) + 2 * TITLE_MIN_STEP
        has_section = any(ln.role == "section" for ln in self.lines)

        def starts_content(line: Line) -> bool:
            if line.page in contents_pages:
                return False
            if has_section:
                return line.role == "section"
            return line.role == "title" and (line.overridden or line.size <= display)

        marked: list[Line] = []
        for line in self.lines:
            if starts_content(line):
                break
            if line.overridden or line.role == "furniture":
                continue
            _set_furniture(line)
            marked.append(line)
        self.front_matter = marked
        if marked:
            self.warn(
                marked[0],
                "front-matter",
                f"{len(marked)} cover and contents lines before the first heading were set "
                "aside as furniture.",
                unsure=False,
            )

    # ------------------------------------------------------------------ metadata

    def _metadata(self, bulletin: ParsedBulletin) -> None:
        furniture = [ln for ln in self.lines if ln.role == "furniture" and not ln.in_figure]
        bulletin.issue_number, bulletin.total_number = find_issue_numbers(
            [segment for line in furniture for segment in line.segments]
        )
        bulletin.issue_date = _most_common_date(line.key for line in furniture)
        bulletin.bulletin_name = self._bulletin_name(furniture)

    def _bulletin_name(self, furniture: list[Line]) -> str | None:
        """The running header's first part that is not a date, number or notice; a name
        shaped like one (……周刊, ……监测) wins. Else the cover's largest name-shaped line."""
        front = {id(line) for line in self.front_matter}
        names: Counter[str] = Counter()
        for line in furniture:
            if id(line) in front:
                continue
            for segment in line.segments:
                key = "".join(fullwidth_to_ascii(segment).split())
                if not key or DATE.search(key) or STRONG_NOTICE.search(key):
                    continue
                if WEAK_NOTICE.search(key) or any(p.match(key) for p in PAGE_NUMBER_SHAPE):
                    continue
                name = clean_title(ISSUE_SUFFIX.sub("", segment))
                if name and not re.fullmatch(r"[\d\W]+", name) and not name.startswith("第"):
                    names[name] += 1
                break
        shaped = Counter({n: c for n, c in names.items() if NAME_SHAPE.search(line_key(n))})
        if shaped or names:
            return (shaped or names).most_common(1)[0][0]
        cover = [line for line in self.front_matter if NAME_SHAPE.search(line.key)]
        if cover:
            best = max(cover, key=lambda line: line.size)
            return clean_title(ISSUE_SUFFIX.sub("", best.text)) or clean_title(best.text)
        return None


def _body_size(content: list[Line]) -> tuple[float, bool]:
    """The size most characters are set in, and whether bold is rare enough in the body
    to tell a subheading (in some bulletins the whole body is bold)."""
    weights: Counter[float] = Counter(
        char.size for line in content for char in line.chars if char.visible
    )
    body = weights.most_common(1)[0][0] if weights else 10.0
    body_chars = bold_chars = 0
    for line in content:
        for char in line.chars:
            if char.visible and abs(char.size - body) <= SIZE_TOLERANCE:
                body_chars += 1
                bold_chars += char.bold
    return body, body_chars == 0 or bold_chars < 0.5 * body_chars


def _title_size(larger: list[Line], body: float, section: float | None) -> float | None:
    titles = Counter(
        _half(ln.size)
        for ln in larger
        if ln.size >= body + TITLE_MIN_STEP
        and (section is None or ln.size < section - SIZE_TOLERANCE)
    )
    if not titles:
        return None
    title = titles.most_common(1)[0][0]
    # Subheadings set a little larger than the body can outnumber the titles: a larger
    # size used about as often is the title size.
    for size, count in sorted(titles.items(), reverse=True):
        if size > title and count >= 0.5 * titles[title]:
            return size
    return title


def _without_masthead(larger: list[Line]) -> list[Line]:
    """Leave out the bulletin's name on the cover: the largest size, set once or twice
    and only on the first page. It must not decide the section or title size."""
    if not larger:
        return larger
    top = max(_half(line.size) for line in larger)
    at_top = [line for line in larger if _half(line.size) == top]
    rest = [line for line in larger if _half(line.size) != top]
    if rest and len(at_top) <= 2 and all(line.page == 0 for line in at_top):
        return rest
    return larger


def _set_furniture(line: Line, evidence: tuple[str, ...] = ("furniture",)) -> None:
    line.role = "furniture"
    line.evidence = evidence


def _is_figure_source(key: str) -> bool:
    """``资料来源：`` / ``数据来源：`` / ``Source:``; a bare ``来源：`` credits an article."""
    match = SOURCE_LINE.match(key)
    return bool(match) and (match.group("figure") is not None or "来源" not in match.group(0))


def _half(size: float) -> float:
    return round(size * 2) / 2




def _most_common_date(keys: Iterable[str]) -> date | None:
    found: Counter[date] = Counter()
    for key in keys:
        for year, month, day in DATE.findall(key):
            try:
                found[date(int(year), int(month), int(day))] += 1
            except ValueError:
                continue
    return found.most_common(1)[0][0] if found else None

