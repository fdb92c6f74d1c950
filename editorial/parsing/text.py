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

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from editorial.parsing.accounting import content_characters, input_characters
from editorial.parsing.encoding import decode_bulletin_bytes, normalise_line_ends
from editorial.parsing.issue_number import find_issue_numbers
from editorial.parsing.normalise import clean_title, fullwidth_to_ascii
from editorial.parsing.patterns import (
    BARE_NUMBER,
    CAPTION_PREFIX,
    CONTENTS,
    DATE,
    ISSUE_SUFFIX,
    LEADER,
    NAME_SHAPE,
    PAGE_NUMBER,
    SECTION_SUFFIX,
    SENTENCE_END,
    SOURCE_LINE,
    STRONG_NOTICE,
    WEAK_NOTICE,
)
from editorial.parsing.topics import TopicIndex, first_sentence
from editorial.parsing.tree import (
    Block,
    BulletinParseError,
    FigureCaption,
    LineDecision,
    Paragraph,
    ParsedArticle,
    ParsedBulletin,
    ParsedSection,
    ParseWarning,
    Subheading,
    Table,
)

__all__ = [
    "KNOWN_SECTION_NAMES",
    "OVERRIDE_ROLES",
    "WARNING_CODES",
    "content_characters",
    "input_characters",
    "line_width",
    "parse_bulletin_bytes",
    "parse_text",
]

OVERRIDE_ROLES = frozenset({"section", "title", "subheading", "body", "furniture", "caption"})

# Every ``ParseWarning.code`` this parser emits, for the admin's translated texts.
WARNING_CODES = {
    "unsure-title": "a short line taken as a new article's title, on thin evidence",
    "unsure-subheading": "a short line taken as a subheading (or a stray label kept as one)",
    "unknown-line": "a short line with nothing after it, kept as a paragraph",
    "unknown-heading": "a known section name that is not one of this bulletin's sections",
    "guessed-section": "no sections configured: a short line taken as a section heading",
    "section-order": "a section heading out of the configured order (or repeated)",
    "no-section": "text before the first section heading, put in an untitled section",
    "untitled-article": "text with no title before it, put in an untitled article",
    "empty-article": "a title with no text after it",
    "orphan-source": "a 资料来源 line without a caption: a figure with an empty caption",
    "unsure-table": "short lines read as table cells, one per row",
    "front-matter": "cover and contents lines set aside as furniture",
    "bad-override": "an editor's override on a blank or missing line, ignored",
}

# Section names seen in monitoring bulletins; used only when no sections are configured.
KNOWN_SECTION_NAMES = (
    "产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴", "政策", "市场", "政策法规",
    "政策环境", "市场动态", "行业动态", "产业动态", "企业动态", "技术动态", "国际动态",
    "海外动态", "国际借鉴", "热点聚焦", "焦点关注", "专题研究", "数据观察", "要闻", "综述",
)  # fmt: skip

# --- layout constants (widths in full-width characters; Latin letters and digits 0.5) ---
_DEFAULT_PAGE_WIDTH = 40.0
_MAX_PAGE_WIDTH = 60.0  # no A4 column holds more full-width characters than this
_MIN_MEASURED_LINES = 5
_INDENT_BAND = (1.5, 3.0)  # a first line is this much narrower than a full one
_SHORT_SHARE = 0.85  # a line narrower than this share of the page width is "clearly short"
_DOUBT_SHARE = 0.95  # between short and this, a paragraph may or may not end
_TITLE_MAX_WIDTH = 35.0
_TITLE_MAX_SHARE = 0.88
_WRAPPED_TITLE_MIN_WIDTH = 18.0  # a title line this wide may have wrapped onto a second one
_LABEL_MAX_WIDTH = 6.0
_SECTION_MAX_WIDTH = 6.0
_HEADER_MAX_WIDTH = 24.0

# --- punctuation ---
_STOPS = frozenset("。！？!?.．")
_CLAUSE_MARKS = frozenset("，、；：,;:")  # a line ending in one goes on in the next
_CLOSERS = frozenset("”’」』）)】")
_NOT_HEADING_END = frozenset("。，、；：,;:.")

# --- furniture patterns (matched against the line with spaces removed, ASCII digits) ---
# Text saved from word processors (and pdftotext -layout) indents a paragraph's first line;
# a single leading space is only extraction noise.
_PARAGRAPH_INDENTS = ("\u3000\u3000", "    ", "\t")
_PHONE = re.compile(r"\d{3,4}[-－]\d{3,4}[-－]?\d{3,4}|\d{7,}")

# --- lines and leads ---
_DATED_LEAD = re.compile(
    r"^(?:(?:19|20)\d{2}年)?\d{1,2}月(?:\d{1,2}日|上旬|中旬|下旬|初|底|末)"
    r"|^\d{1,2}日[，,]|^(?:近日|日前|近期|昨日|今日|本周|上周|日内|当地时间|北京时间|美国时间)"
)
_SOURCE_LEAD = re.compile(
    r"^(?:据.{1,24}?(?:报道|消息|披露)|【|(?:资料)?来源[:：]|[^，,。]{2,16}?\d{1,2}月\d{1,2}日电)"
)
_PERIOD_LEAD = re.compile(
    r"^(?:今年|去年|本年|(?:19|20)\d{2}年)?(?:前[一二三四1-4]季度|第?[一二三四1-4]季度|[上下]半年"
    r"|\d{1,2}[—–－\-~～至到]\d{1,2}月|\d{1,2}月份?[，,]|截至)"
)
_PARAGRAPH_OPENER = re.compile(
    _DATED_LEAD.pattern
    + r"|^(?:其中|此外|另外|同时|与此同时|据|目前|截至|数据显示|报告显示|总体来看|值得注意的是)"
    + r"|^[^，。]{1,12}?(?:表示|认为|指出|提出|明确|强调|显示|介绍|称)[，：,:]"
)
_NUMBERING = (
    ("cn", re.compile(r"^[一二三四五六七八九十]+[、.．]")),
    ("paren", re.compile(r"^[（(][一二三四五六七八九十\d]+[)）]")),
    ("arabic", re.compile(r"^\d{1,2}[、.．](?!\d)")),
    ("ordinal", re.compile(r"^(?:第[一二三四五六七八九十]+[，,、是]|[一二三四五六七八九十]是)")),
)
_LABEL_COLON = re.compile(r"^[^：:]{1,6}[：:].")
_END_MARK = re.compile(r"[（(](?:完|全文完|END|end)[)）]$")  # closes an article
_TWO_PART = re.compile(r"[\u4e00-\u9fff][ \u3000]+[\u4e00-\u9fff]")
_NUMERIC_CELL = re.compile(r"^[-+－]?[\d.,，%％‰]+[%％‰]?$")


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
    lines = _read_lines(text, checked_overrides(overrides), warnings)
    if not lines:
        raise BulletinParseError("The text is empty.", code="empty")
    matcher = _SectionMatcher(sections)
    furniture = _find_furniture(lines, matcher, known_names or ())
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
    layout = _measure_layout(content)
    marked = _uses_block_end_marks(content, layout)
    if marked:
        content, roles = _marked_roles(content, layout, matcher, warnings)
    else:
        roles = _assign_roles(content, layout, matcher, warnings)
    units = _build_units(content, roles, layout, warnings)
    builder = _TreeBuilder(units, matcher, warnings, marked=marked)
    parsed_sections = builder.build()
    # A bulletin has section headings, or titled articles whose text is prose (sentences
    # ending in 。): a CSV or a line like "hello world" would otherwise become a draft.
    titled = [
        article
        for section in parsed_sections
        for article in section.articles
        if article.title and any(_SENTENCE_MARKS & set(text) for text in article.paragraphs)
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


def _line_decisions(lines: list[_Line], furniture: set[int], decided: dict) -> list[LineDecision]:
    decisions = []
    for line in lines:
        if line.number in furniture:
            reasons = ("editor",) if line.override == "furniture" else ("furniture",)
            decisions.append(LineDecision(line.number, line.text, "furniture", reasons))
            continue
        role, reasons, sure = decided.get(line.number, ("body", (), True))
        decisions.append(LineDecision(line.number, line.text, role, reasons, sure))
    return decisions


_SENTENCE_MARKS = frozenset("。！？")


@lru_cache(maxsize=8192)
def _char_width(char: str) -> float:
    if ord(char) < 0x80:
        return 0.5
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F", "A") else 0.5


def line_width(text: str) -> float:
    """Printed width in full-width characters: CJK counts 1, Latin letters and digits 0.5."""
    return sum(_char_width(char) for char in text)


# ============================================================================ lines


@dataclass
class _Line:
    number: int  # 1-based line number in the input
    text: str  # stripped of line-edge whitespace
    width: float
    key: str  # ASCII digits and letters, no whitespace: for matching and patterns
    override: str | None = None
    indented: bool = False  # starts with a paragraph indent (two ideographic spaces)
    trailing: bool = False  # the raw line ended in a space: the extractor's block-end mark
    # A whole block read as one line (a wrapped title, a rebuilt paragraph): its lines.
    members: tuple[_Line, ...] = ()

    @property
    def last(self) -> str:
        return self.text[-1]

    @property
    def lines(self) -> tuple[_Line, ...]:
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


def _read_lines(text: str, overrides: dict[int, str], warnings: list) -> list[_Line]:
    lines = []
    raw_lines = normalise_line_ends(text.lstrip("\ufeff")).split("\n")
    for number, raw in enumerate(raw_lines, start=1):
        stripped = raw.strip()
        if stripped:
            lines.append(
                _Line(
                    number,
                    stripped,
                    line_width(stripped),
                    line_key(stripped),
                    overrides.get(number),
                    indented=raw.startswith(_PARAGRAPH_INDENTS),
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


class _SectionMatcher:
    """Matches a line against the configured section names, ignoring spaces and width."""

    def __init__(self, sections: Sequence[str] | None):
        self.configured = sections is not None
        names = sections if sections is not None else KNOWN_SECTION_NAMES
        self.order = {line_key(name): index for index, name in enumerate(names)}
        self.names = {line_key(name): name for name in names}

    def name_for(self, line: _Line) -> str | None:
        return self.names.get(line.key)

    def looks_like_section(self, line: _Line) -> bool:
        """A known section word, or the shape of one: for guessing and for warnings."""
        return line.key in _KNOWN_SECTION_KEYS or (
            line.width <= _SECTION_MAX_WIDTH and bool(SECTION_SUFFIX.search(line.key))
        )

    def position(self, name: str) -> int | None:
        return self.order.get(line_key(name))


_KNOWN_SECTION_KEYS = frozenset(line_key(name) for name in KNOWN_SECTION_NAMES)


# ============================================================================ furniture


@dataclass
class _Furniture:
    numbers: set[int] = field(default_factory=set)
    bulletin_name: str | None = None
    issue_date: date | None = None
    front_matter: list[int] = field(default_factory=list)  # cover and contents lines


def _find_furniture(lines: list[_Line], matcher: _SectionMatcher, known_names) -> _Furniture:
    repeats = Counter(line.key for line in lines)
    notices = {i for i, line in enumerate(lines) if _is_notice(line, repeats[line.key])}
    pages = {i for i, line in enumerate(lines) if PAGE_NUMBER.match(line.key)}
    strong = notices | pages
    pages |= {
        i
        for i in _bare_numbers(lines)
        if _next_to(i, strong) and not _cluster_has_page(i, pages, strong)
    }
    known_keys = {line_key(name) for name in known_names}
    headers = _running_headers(lines, repeats, notices, pages, matcher, known_keys)
    found = notices | pages | headers
    found |= _bare_page_numbers(lines, found)
    front = _front_matter(lines, found, matcher)
    found |= front
    found |= _running_section_heads(lines, found, matcher)
    found = {i for i in found if lines[i].override in (None, "furniture")}
    found |= {i for i, line in enumerate(lines) if line.override == "furniture"}
    return _Furniture(
        numbers={lines[i].number for i in found},
        bulletin_name=_bulletin_name(lines, headers or _name_shaped(lines, front)),
        issue_date=_issue_date(lines, notices, headers, front),
        front_matter=sorted(lines[i].number for i in front if i in found),
    )


def _is_notice(line: _Line, repeats: int) -> bool:
    if STRONG_NOTICE.search(line.key):
        return True
    # Weaker words ("仅供参考", "版权") also occur in articles: insist on the notice's usual
    # company of a date or phone number, or on it being repeated page after page.
    return bool(WEAK_NOTICE.search(line.key)) and (
        bool(DATE.search(line.key)) or bool(_PHONE.search(line.key)) or repeats >= 2
    )


def _running_headers(lines, repeats, notices, pages, matcher, known_keys) -> set[int]:
    """The bulletin's name printed at the top of every page.

    It repeats, and sits in the cluster of furniture a page break leaves (footer notice,
    page number, next header). A title or subheading may repeat too, but not page
    after page beside the furniture.
    """
    strong = notices | pages
    by_key: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if _could_be_header(line, matcher):
            by_key.setdefault(line.key, []).append(i)
    headers: set[int] = set()
    for key, indexes in by_key.items():
        beside_furniture = sum(1 for i in indexes if _next_to(i, strong))
        mostly_beside = beside_furniture * 2 >= len(indexes)
        near_notice = any(_beside_notice_cluster(i, strong, notices) for i in indexes)
        name_shaped = bool(NAME_SHAPE.search(key))
        count = repeats[key]
        if (
            key in known_keys
            or (count >= 3 and mostly_beside)
            or (count >= 2 and mostly_beside and name_shaped)
            or (near_notice and name_shaped)
            or (count >= 5 and name_shaped)
        ):
            headers.update(indexes)
    return headers


def _beside_notice_cluster(index: int, strong: set[int], notices: set[int]) -> bool:
    """Is the line next to a run of furniture lines that holds a copyright notice?"""
    for step in (-1, 1):
        i = index + step
        while i in strong:
            if i in notices:
                return True
            i += step
    return False


def _could_be_header(line: _Line, matcher: _SectionMatcher) -> bool:
    return (
        line.width <= _HEADER_MAX_WIDTH
        and line.last not in _NOT_HEADING_END
        and not any(mark in line.key for mark in "。：:")
        and not SOURCE_LINE.match(line.key)
        and not _END_MARK.match(line.key)  # "（完）" closes every article, next to furniture too
        and matcher.name_for(line) is None
        and line.key not in _KNOWN_SECTION_KEYS
    )


def _next_to(index: int, indexes: set[int]) -> bool:
    return index - 1 in indexes or index + 1 in indexes


def _bare_numbers(lines: list[_Line]) -> list[int]:
    return [i for i, line in enumerate(lines) if BARE_NUMBER.match(line.key)]


def _bare_page_numbers(lines: list[_Line], furniture: set[int]) -> set[int]:
    """A line holding only a small number is a page number when it sits next to other
    furniture or follows body text. After a heading-like line it is more likely the end of
    a wrapped title or a table cell: layouts keep a heading with what follows it."""
    found = set()
    pages = {i for i in furniture if PAGE_NUMBER.match(lines[i].key)}
    for i in _bare_numbers(lines):
        if i in furniture or _cluster_has_page(i, pages, furniture):
            continue  # a page break prints one page number; this is a table cell
        before = _neighbour(lines, i, -1, furniture)
        if _next_to(i, furniture) or before is None or not _looks_like_heading(before):
            found.add(i)
    return found


def _cluster_has_page(index: int, pages: set[int], cluster: set[int] | None = None) -> bool:
    """Is there a page number in the run of furniture lines next to ``index``?"""
    cluster = pages if cluster is None else cluster
    for step in (-1, 1):
        i = index + step
        while i in cluster:
            if i in pages:
                return True
            i += step
    return False


def _neighbour(lines: list[_Line], index: int, step: int, skip: set[int]) -> _Line | None:
    index += step
    while 0 <= index < len(lines) and index in skip:
        index += step
    return lines[index] if 0 <= index < len(lines) else None


def _looks_like_heading(line: _Line) -> bool:
    """Heading shape judged on the line alone (the layout is not measured yet)."""
    return (
        line.width <= _TITLE_MAX_WIDTH
        and line.last not in SENTENCE_END
        and line.last not in _NOT_HEADING_END
    )


def _running_section_heads(lines, furniture: set[int], matcher: _SectionMatcher) -> set[int]:
    """A section name repeated in the page header (same section, next to other furniture)."""
    found, current = set(), None
    for i, line in enumerate(lines):
        name = matcher.name_for(line) if matcher.configured else None
        if name is None or i in furniture:
            continue
        if name == current and _next_to(i, furniture):
            found.add(i)
        current = name
    return found


def _front_matter(lines: list[_Line], furniture: set[int], matcher: _SectionMatcher) -> set[int]:
    """The cover and the table of contents, before the first section.

    The contents page lists the section names and titles again; read as text it would
    become a second, empty copy of the issue. It runs from "目录" to where a section
    name comes round a second time. The cover is the short lines before it (or before
    the first section heading) when not one of them is body text.
    """
    content = [i for i in range(len(lines)) if i not in furniture]
    headings = [i for i in content if _is_section_name(lines[i], matcher)]
    if not headings:
        return set()
    toc = _table_of_contents(lines, content, headings)
    cover_end = min(toc) if toc else headings[0]
    cover = {i for i in content if i < cover_end}
    if not all(_is_short_label(lines[i]) for i in cover):
        cover = set()  # an article before the first heading, not a cover
    return cover | toc


def _is_short_label(line: _Line) -> bool:
    """Cover lines: issue number, publisher, date — short, and no sentence in them."""
    return line.width <= _TITLE_MAX_WIDTH and "。" not in line.text and line.last not in "，、；,;"


def _is_section_name(line: _Line, matcher: _SectionMatcher) -> bool:
    return matcher.name_for(line) is not None or line.key in _KNOWN_SECTION_KEYS


def _table_of_contents(lines, content: list[int], headings: list[int]) -> set[int]:
    start = next((i for i in content if CONTENTS.match(lines[i].key)), None)
    if start is None or start > headings[-1]:
        return set()
    end = _second_round_of_sections(lines, headings, start) or _after_last_leader(
        lines, content, start
    )
    return {i for i in content if start <= i < end}


def _second_round_of_sections(lines, headings: list[int], start: int) -> int | None:
    seen: set[str] = set()
    for i in (i for i in headings if i > start):
        if lines[i].key in seen:
            return i
        seen.add(lines[i].key)
    return None


def _after_last_leader(lines, content: list[int], start: int) -> int:
    """Contents without section names: entries end in dot leaders and a page number."""
    end = start + 1
    for i in content:
        if i <= start:
            continue
        if LEADER.search(lines[i].text):
            end = i + 1
        elif not _is_short_label(lines[i]):
            break
    return end


def _name_shaped(lines: list[_Line], indexes: set[int]) -> set[int]:
    return {i for i in indexes if NAME_SHAPE.search(lines[i].key)}


def _bulletin_name(lines: list[_Line], headers: set[int]) -> str | None:
    if not headers:
        return None
    counts = Counter(lines[i].key for i in headers)
    key = counts.most_common(1)[0][0]
    text = next(lines[i].text for i in sorted(headers) if lines[i].key == key)
    return ISSUE_SUFFIX.sub("", text).strip() or text


def _issue_date(lines: list[_Line], *places: set[int]) -> date | None:
    """The most common date of the first of notices, headers, cover that has one."""
    for indexes in places:
        dates = Counter(d for i in sorted(indexes) for d in _dates_in(lines[i].key))
        if dates:
            return dates.most_common(1)[0][0]
    return None


def _dates_in(key: str) -> list[date]:
    found = []
    for year, month, day in DATE.findall(key):
        try:
            found.append(date(int(year), int(month), int(day)))
        except ValueError:
            continue
    return found


# ============================================================================ layout


@dataclass(frozen=True)
class _Layout:
    page_width: float  # width of a full printed line; very large for unwrapped text

    def is_short(self, width: float) -> bool:
        return width < _SHORT_SHARE * self.page_width

    def in_doubt(self, width: float) -> bool:
        return not self.is_short(width) and width < _DOUBT_SHARE * self.page_width

    def lost_indent(self, width: float) -> bool:
        """As wide as a full line less the two-character paragraph indent."""
        return self.page_width - _INDENT_BAND[1] <= width <= self.page_width - _INDENT_BAND[0]

    def fits_heading(self, width: float) -> bool:
        return width <= min(_TITLE_MAX_WIDTH, _TITLE_MAX_SHARE * self.page_width)


def _measure_layout(lines: list[_Line]) -> _Layout:
    """Estimate the printed line width from the long lines (full lines dominate them)."""
    widths = sorted(line.width for line in lines if line.width >= 20)
    if len(widths) < _MIN_MEASURED_LINES:
        return _Layout(_DEFAULT_PAGE_WIDTH)
    page_width = widths[(len(widths) - 1) * 3 // 4]
    near_full = sum(1 for width in widths if abs(width - page_width) <= 3)
    if near_full < 0.4 * len(widths) or page_width > _MAX_PAGE_WIDTH:
        # No clustering at one printable width: one paragraph per line (pasted text).
        return _Layout(float("inf"))
    return _Layout(max(page_width, 20.0))


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


def _uses_block_end_marks(lines: list[_Line], layout: _Layout) -> bool:
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
        and line.last not in _CLAUSE_MARKS
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


def _ends_block(line: _Line, layout: _Layout) -> bool:
    if line.trailing:
        # A space after a Latin word at the end of a full line is the extractor's word
        # spacing, not a block end (seen once in a thousand inner lines).
        return not (line.last.isascii() and line.last.isalnum() and not layout.is_short(line.width))
    # The mark is missing now and then: a short line closing a sentence still ends a block.
    return (
        layout.is_short(line.width)
        and line.last in _STOPS_AND_CLOSERS
        and (line.last not in _CLOSERS or (len(line.text) > 1 and line.text[-2] in _STOPS))
    )


_STOPS_AND_CLOSERS = _STOPS | _CLOSERS


def _marked_blocks(lines: list[_Line], layout: _Layout, matcher) -> list[list[_Line]]:
    blocks: list[list[_Line]] = []
    current: list[_Line] = []
    for line in lines:
        alone = (
            line.override is not None
            or (matcher.configured and matcher.name_for(line) is not None)
            or SOURCE_LINE.match(line.key)
            or _END_MARK.match(line.key)
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


def _merged(block: list[_Line]) -> _Line:
    if len(block) == 1:
        return block[0]
    text = _join_lines([line.text for line in block])
    return _Line(
        block[0].number,
        text,
        line_width(text),
        line_key(text),
        trailing=True,
        members=tuple(block),
    )


def _is_heading_block(block: list[_Line], layout: _Layout) -> bool:
    """One line, or a long one and its wrapped tail, with no sentence in it."""
    if len(block) > 2 or (len(block) == 2 and block[0].width < _WRAPPED_TITLE_MIN_WIDTH):
        return False
    if len(block) == 2 and block[1].width > block[0].width:
        return False
    text = "".join(line.text for line in block)
    last = text[-1]
    if "。" in text or last in _NOT_HEADING_END:
        return False
    if last in _CLOSERS and len(text) > 1 and text[-2] in _STOPS:
        return False
    return not _END_MARK.match(line_key(text))


def _marked_roles(lines, layout: _Layout, matcher, warnings) -> tuple[list[_Line], list[str]]:
    """Blocks as single lines, each with a role; paragraphs get the role "para"."""
    merged: list[_Line] = []
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
            roles.append(_candidate_role(line, matcher, warnings))
        else:
            merged.append(_merged(block))
            roles.append("para")
    return merged, roles


def _candidate_role(line: _Line, matcher, warnings) -> str:
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
    if matcher.configured and line.key in _KNOWN_SECTION_KEYS:
        warnings.append(
            ParseWarning(
                line.number,
                "Looks like a section heading but is not one of this bulletin's sections.",
                code="unknown-heading",
                text=line.text,
            )
        )
    return "candidate"


# ============================================================================ roles

# Line roles: "section", "source", "candidate" (title, subheading or caption), "body",
# and the editor's forced "title", "subheading", "caption".


def _assign_roles(lines, layout: _Layout, matcher: _SectionMatcher, warnings) -> list[str]:
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
    previous: _Line | None
    previous_role: str | None
    following: _Line | None
    layout: _Layout


def _role_of(line: _Line, context: _Context, matcher: _SectionMatcher, warnings) -> str:
    if line.override:
        return line.override
    if matcher.configured and matcher.name_for(line):
        return "section"
    if SOURCE_LINE.match(line.key):
        return "source"
    if _END_MARK.match(line.key):
        return "body"
    if _is_continuation(line, context) or not _has_heading_shape(line, context):
        return "body"
    return _candidate_role(line, matcher, warnings)


def _is_continuation(line: _Line, context: _Context) -> bool:
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
    if previous.last in _CLAUSE_MARKS:
        return True
    layout = context.layout
    return not layout.is_short(previous.width) or _wrapped_before(previous, line, layout)


def _wrapped_before(line: _Line, following: _Line, layout: _Layout) -> bool:
    """The line ended early because the next line's leading Latin word or number was too
    long to fit on it (pdftotext keeps such words whole)."""
    word = _LEADING_WORD.match(following.text)
    if word is None:
        return False
    return line.width + line_width(word.group()) >= _DOUBT_SHARE * layout.page_width


_LEADING_WORD = re.compile(r"[A-Za-z0-9０-９Ａ-Ｚａ-ｚ][A-Za-z0-9０-９Ａ-Ｚａ-ｚ.,%％\-/]*")


def _has_heading_shape(line: _Line, context: _Context) -> bool:
    if not context.layout.fits_heading(line.width) or "。" in line.text:
        return False
    if line.last in _NOT_HEADING_END:
        return False
    # "……增长。”" is a sentence ending inside a quotation, not a heading.
    if line.last in _CLOSERS and len(line.text) > 1 and line.text[-2] in _STOPS:
        return False
    # A wide line that stops only because the next word did not fit is body text.
    following = context.following
    return following is None or not _wrapped_before(line, following, context.layout)


# ============================================================================ units


@dataclass
class _Unit:
    kind: str  # section | run | para | figure | table | title | subheading
    lines: list[_Line]
    text: str = ""  # para: the rebuilt paragraph
    source: _Line | None = None  # figure: its source line

    @property
    def line(self) -> int:
        return self.lines[0].number if self.lines else (self.source.number if self.source else 0)


def _build_units(lines, roles, layout: _Layout, warnings) -> list[_Unit]:
    units: list[_Unit] = []
    i = 0
    while i < len(lines):
        role = roles[i]
        end = _end_of_group(roles, i)
        if role == "para":  # a block already rebuilt from its end marks
            units.append(_Unit("para", list(lines[i].lines), lines[i].text))
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
            units.append(_Unit("section", [lines[i]]))
            end = i + 1
        elif role == "title":
            units.append(_Unit("title", lines[i:end]))
        else:  # "subheading": each forced line is its own subheading
            units.append(_Unit("subheading", [lines[i]]))
            end = i + 1
        i = end
    return units


def _end_of_group(roles: list[str], start: int) -> int:
    end = start + 1
    while end < len(roles) and roles[end] == roles[start]:
        end += 1
    return end


def _paragraph_units(lines: list[_Line], layout: _Layout) -> list[_Unit]:
    units, current = [], []
    for i, line in enumerate(lines):
        current.append(line)
        following = lines[i + 1] if i + 1 < len(lines) else None
        if following is None or _ends_paragraph(line, following, layout):
            units.append(_Unit("para", current, _join_lines([ln.text for ln in current])))
            current = []
    return units


def _ends_paragraph(line: _Line, following: _Line, layout: _Layout) -> bool:
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
    return layout.in_doubt(line.width) and bool(_PARAGRAPH_OPENER.match(following.key))


def _join_lines(texts: list[str]) -> str:
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
            units.append(_Unit("figure", [head[-1]], source=following))
            units.append(_table_unit(cells, warnings))
            return end + 1
        units.extend(_split_captions(run[:-1]))
        units.append(_Unit("figure", [run[-1]], source=following))
        return end + 1
    if table and len(cells) >= 4:
        units.extend(_split_captions(head))
        units.append(_table_unit(cells, warnings))
        return end
    units.extend(_split_captions(run))
    return end


_CELL_MAX_WIDTH = 8.0


def _leading_headings(run: list[_Line]) -> list[_Line]:
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


def _split_captions(run: list[_Line]) -> list[_Unit]:
    """Lines starting "图1"/"表2" are captions without a source; the rest stay runs."""
    units: list[_Unit] = []
    for line in run:
        if CAPTION_PREFIX.match(line.key):
            units.append(_Unit("figure", [line]))
        elif units and units[-1].kind == "run":
            units[-1].lines.append(line)
        else:
            units.append(_Unit("run", [line]))
    return units


def _table_cells(run: list[_Line]) -> list[_Line] | None:
    numeric = sum(1 for line in run if _NUMERIC_CELL.match(line.key))
    return run if numeric * 3 >= len(run) and numeric >= 2 else None


def _table_unit(cells: list[_Line], warnings) -> _Unit:
    warnings.append(
        ParseWarning(
            cells[0].number,
            f"{len(cells)} short lines read as table cells, one per row: check the columns.",
            code="unsure-table",
            text=cells[0].text,
        )
    )
    return _Unit("table", cells)


def _source_unit(line: _Line, warnings) -> _Unit:
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
        return _Unit("figure", [], source=line)
    return _Unit("para", [line], line.text)  # the article's attribution, kept as written


def _forced_caption_unit(lines, roles, index: int, units: list[_Unit]) -> int:
    following = index + 1
    if following < len(lines) and roles[following] == "source":
        units.append(_Unit("figure", [lines[index]], source=lines[following]))
        return following + 1
    units.append(_Unit("figure", [lines[index]]))
    return following


# ============================================================================ tree
#
# Each run of heading candidates is judged title or subheading from the evidence real
# text carries (shared/formats/plain-text-bulletin.md, "Telling titles from subheadings"):
# the font it was set in, seen through the spacing extraction leaves at CJK/Latin and
# CJK/digit boundaries; topic continuity with the article so far; a lead that echoes it
# or opens with a date; label and numbering series. Width is not evidence: feature
# subheadings run to a full line.

_TITLE_FONT_POINTS = 4
_TOPIC_POINTS = 3
_LEAD_ECHO_POINTS = 1  # weak: a subheading's first paragraph often echoes it too
_SERIES_POINTS = 4
_PLAIN_SERIES_POINTS = 2
_PLAIN_SERIES_REACH = 3  # units from one plain heading to the next
_SHORT_PLAIN_WIDTH = 10.0
_SEGMENT_SAME = 0.3  # share of the next text's topic pairs already in the article
_SEGMENT_NEW = 0.1
_QUOTE_PAIR = re.compile(r"^“[^”]{1,8}”[与和及跟同][“][^”]{1,8}”$")


@dataclass
class _Evidence:
    """Points for each reading of a heading run, and the reasons (EVIDENCE_CODES keys)."""

    title: int = 0
    subheading: int = 0
    reasons: list[str] = field(default_factory=list)

    def for_title(self, code: str, points: int) -> None:
        self.title += points
        self.reasons.append(code)

    def for_subheading(self, code: str, points: int) -> None:
        self.subheading += points
        self.reasons.append(code)

    @property
    def margin(self) -> int:
        return self.title - self.subheading


def title_font_boundaries(text: str) -> tuple[int, int]:
    """(spaced, unspaced) boundaries between Chinese and Latin letters or digits.

    Titles are set in a larger font, and extraction puts a space at each such boundary
    in them; body-font lines (subheadings, text) have none.
    """
    spaced = unspaced = 0
    previous, gap = None, False
    for char in fullwidth_to_ascii(text):
        if char in " \t\u3000\u00a0":
            gap = True
            continue
        if "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff":
            kind = "cjk"
        elif char.isascii() and (char.isalnum() or char == "%"):
            kind = "latin"
        else:
            kind = None
        if kind and previous and kind != previous:
            if gap:
                spaced += 1
            else:
                unspaced += 1
        previous, gap = kind, False
    return spaced, unspaced


class _TreeBuilder:
    def __init__(
        self, units: list[_Unit], matcher: _SectionMatcher, warnings: list, *, marked: bool = False
    ):
        self.units = units
        self.matcher = matcher
        self.warnings = warnings
        self.marked = marked  # blocks were read from end marks: a run item is a whole block
        self.topics = TopicIndex(unit.text for unit in units if unit.kind == "para")
        self.sections: list[ParsedSection] = []
        self.section: ParsedSection | None = None
        self.article: ParsedArticle | None = None
        self.has_body = False
        self.article_closed = False  # after "（完）" the next heading is a title
        self.last_subheading_run: list[_Line] | None = None
        self.title_pairs: set[str] = set()
        self.text_pairs: set[str] = set()
        # line number -> (role, evidence codes, sure), for the preview's decisions
        self.decisions: dict[int, tuple[str, tuple[str, ...], bool]] = {}

    def build(self) -> list[ParsedSection]:
        for index, unit in enumerate(self.units):
            getattr(self, f"_add_{unit.kind}")(index, unit)
        self._warn_empty_articles()
        return self.sections

    def _decide(self, lines, role: str, reasons=(), *, sure: bool = True) -> None:
        for line in lines:
            for member in line.lines:
                self.decisions[member.number] = (role, tuple(dict.fromkeys(reasons)), sure)

    # --- units

    def _add_section(self, index: int, unit: _Unit) -> None:
        line = unit.lines[0]
        title = self.matcher.name_for(line) or clean_title(line.text)
        self._warn_section_order(line, title)
        reason = "configured-section" if self.matcher.name_for(line) else "guessed-section"
        self._decide(unit.lines, "section", ["editor" if line.override else reason])
        self.section = ParsedSection(title=title, line=line.number)
        self.sections.append(self.section)
        self.article = None
        self.article_closed = False

    def _add_para(self, index: int, unit: _Unit) -> None:
        reasons = ("editor",) if any(line.override for line in unit.lines) else ()
        self._decide(unit.lines, "body", reasons)
        self._add_block(Paragraph(unit.text, unit.line), unit)
        self.text_pairs |= self.topics.marking(unit.text)
        if _END_MARK.search(unit.text):
            self.article_closed = True

    def _add_figure(self, index: int, unit: _Unit) -> None:
        caption = clean_title(unit.lines[0].text) if unit.lines else ""
        source = unit.source.text if unit.source else None
        self._decide(unit.lines, "caption", ("caption-before-source",) if unit.source else ())
        if unit.source is not None:
            self._decide([unit.source], "source", ("source-line",))
        self._add_block(FigureCaption(caption, source, unit.line), unit)

    def _add_table(self, index: int, unit: _Unit) -> None:
        self._decide(unit.lines, "table", ("numeric-cells",))
        self._add_block(Table([[line.text] for line in unit.lines], unit.line), unit)

    def _add_title(self, index: int, unit: _Unit) -> None:
        self._decide(unit.lines, "title", ("editor",))
        self._start_article(_join_title(unit.lines, wrapped=True), unit.lines[0])

    def _add_subheading(self, index: int, unit: _Unit) -> None:
        self._decide(unit.lines, "subheading", ("editor",))
        self._add_subheading_run(unit.lines)

    def _add_run(self, index: int, unit: _Unit) -> None:
        run = unit.lines
        if self.article is None or self.article_closed:
            reason = "after-end-mark" if self.article_closed else "first-in-section"
            self._start_article_from_run(run, [reason])
        elif not self.has_body:
            # Straight after a title: not another title, which would leave it empty.
            self._decide(run, "subheading", ("would-empty-article",))
            self._add_subheading_run(run)
        elif self._is_dangling(index):
            self._keep_unknown_lines(run)
        else:
            self._judge_run(index, run)

    # --- articles and blocks

    def _ensure_section(self, line: int) -> ParsedSection:
        if self.section is None:
            self.warnings.append(
                ParseWarning(
                    line,
                    "Text before the first section heading: put in an untitled section.",
                    code="no-section",
                )
            )
            self.section = ParsedSection(title="", line=line)
            self.sections.append(self.section)
        return self.section

    def _start_article(self, title: str, line: _Line) -> ParsedArticle:
        self.article = ParsedArticle(title=title, line=line.number)
        self._ensure_section(line.number).articles.append(self.article)
        self.has_body = False
        self.article_closed = False
        self.last_subheading_run = None
        self.title_pairs = self.topics.marking(title)
        self.text_pairs = set()
        return self.article

    def _ensure_article(self, line: int) -> ParsedArticle:
        if self.article is None:
            self.warnings.append(
                ParseWarning(
                    line,
                    "Text with no title before it: put in an untitled article.",
                    code="untitled-article",
                )
            )
            self.article = ParsedArticle(title="", line=line)
            self._ensure_section(line).articles.append(self.article)
            self.has_body = False
            self.last_subheading_run = None
            self.title_pairs, self.text_pairs = set(), set()
        return self.article

    def _add_block(self, block: Block, unit: _Unit) -> None:
        self._ensure_article(unit.line).blocks.append(block)
        self.has_body = True

    def _add_subheading_run(self, run: list[_Line]) -> None:
        article = self._ensure_article(run[0].number)
        for line in run:
            self.text_pairs |= self.topics.marking(line.text)
        if len(run) == 2 and not _is_kicker_pair(run) and not self.marked:
            text = _join_lines([line.text for line in run])  # a subheading that wrapped
            article.blocks.append(Subheading(clean_title(text), run[0].number))
        elif len(run) == 2 and _is_kicker_pair(run):
            kicker, heading = run
            article.blocks.append(
                Subheading(clean_title(heading.text), kicker.number, clean_title(kicker.text))
            )
        else:
            if len(run) > 2:
                self._warn(
                    run[0],
                    "unsure-subheading",
                    f"{len(run)} short lines in a row: each kept as a subheading.",
                )
            article.blocks.extend(Subheading(clean_title(ln.text), ln.number) for ln in run)
        self.last_subheading_run = run

    def _keep_unknown_lines(self, run: list[_Line]) -> None:
        for line in run:
            self._warn(
                line, "unknown-line", "Short line with nothing after it: kept as a paragraph."
            )
            self._decide([line], "body", (), sure=False)
            self.article.blocks.append(Paragraph(line.text, line.number))

    def _start_article_from_run(
        self, run: list[_Line], reasons: list[str], *, sure: bool = True
    ) -> None:
        """A run in title position: a title, maybe wrapped, maybe with a label or subheadings."""
        title_lines, label, rest = self._split_title_run(run)
        wrapped = self.marked or title_lines[0].width >= _WRAPPED_TITLE_MIN_WIDTH
        if len(title_lines) == 2 and not wrapped:
            self._warn(
                title_lines[0], "unsure-title", "Two short lines joined as a two-part title."
            )
        title_reasons = list(reasons)
        if len(title_lines) == 2 and wrapped:
            title_reasons.append("wrapped-title")
        self._decide(title_lines, "title", title_reasons, sure=sure)
        self._start_article(_join_title(title_lines, wrapped=wrapped), title_lines[0])
        if label is not None:
            self._warn(
                label,
                "unsure-subheading",
                "Short label before a title (not a "
                "section of this bulletin): kept as a subheading of the article.",
            )
            self._decide([label], "subheading", ("kicker",), sure=False)
            self.article.blocks.append(Subheading(clean_title(label.text), label.number))
        if rest:
            self._warn(
                rest[0],
                "unsure-subheading",
                "Short line straight after a title: taken as a subheading.",
            )
            self._decide(rest, "subheading", ("would-empty-article",), sure=False)
            self._add_subheading_run(rest)

    def _split_title_run(self, run: list[_Line]):
        if not self.marked:
            return _split_title_run(run)
        # Each item is a whole block: the title is the first, unless a short unspaced
        # label stands above a title set in the title font.
        if len(run) == 1:
            return run, None, []
        first, second = run[0], run[1]
        if (
            first.width <= _LABEL_MAX_WIDTH * 2
            and title_font_boundaries(second.text)[0]
            and not title_font_boundaries(first.text)[0]
        ):
            return [second], first, run[2:]
        return [first], None, run[1:]

    # --- the hard call: title of a new article or subheading of this one?

    def _judge_run(self, index: int, run: list[_Line]) -> None:
        evidence = self._weigh(index, run)
        siblings = self.last_subheading_run is not None or self._next_sibling(index) is not None
        if evidence.margin != 0:
            is_title = evidence.margin > 0
        else:
            # Nothing tells them apart: a new article needs more than nothing, unless the
            # article has no subheadings and none follow (briefs run back to back).
            is_title = not siblings and self._segment_share(index) < _SEGMENT_SAME
        # One "label：text" line is no series, and a headline shape too: always report it.
        lone_label = _style(run) == "label" and "label-series" not in evidence.reasons
        sure = abs(evidence.margin) > 1 and not lone_label
        if not sure:
            code = "unsure-title" if is_title else "unsure-subheading"
            what = "the title of a new article" if is_title else "a subheading"
            self._warn(run[-1], code, f"Could be a title or a subheading; taken as {what}.")
        if is_title:
            self._start_article_from_run(run, evidence.reasons, sure=sure)
        else:
            self._decide(run, "subheading", evidence.reasons, sure=sure)
            self._add_subheading_run(run)

    def _weigh(self, index: int, run: list[_Line]) -> _Evidence:
        heading = run[-1]
        text = _heading_text(run, marked=self.marked)
        evidence = _Evidence()
        spaced, unspaced = _heading_boundaries(run, marked=self.marked)
        if spaced and not unspaced:
            evidence.for_title("title-font", _TITLE_FONT_POINTS)
        elif unspaced and not spaced:
            evidence.for_subheading("body-font", _TITLE_FONT_POINTS)
        self._weigh_topic(index, text, evidence)
        lead = self._lead(index)
        if lead is not None:
            points = _lead_points(lead)
            if points:
                evidence.for_title("dated-lead", points)
        if _numbering(heading.key):
            evidence.for_subheading("numbered", _SERIES_POINTS)
        if _is_kicker_pair(run) or _QUOTE_PAIR.match(heading.key):
            evidence.for_subheading("kicker", _SERIES_POINTS)
        # Subheadings come in series printed alike; one "label：text" line is no series
        # (it is a common headline shape too).
        previous = self.last_subheading_run
        sibling = self._next_sibling(index)
        if (
            previous is not None and _similar(previous, run) and _parallel_labels(previous, run)
        ) or (sibling is not None and _similar(sibling, run) and _parallel_labels(sibling, run)):
            style = _style(run)
            code = (
                "label-series"
                if style == "label"
                else "kicker"
                if style == "kicker"
                else "numbered"
            )
            evidence.for_subheading(code, _SERIES_POINTS)
        elif self._plain_series(index, run, sibling) and (
            ("echoed-by-lead" not in evidence.reasons and self._segment_share(index) > _SEGMENT_NEW)
            or (
                not self.marked
                and line_width(text) <= _SHORT_PLAIN_WIDTH
                and self._segment_share(index) > _SEGMENT_NEW
            )
        ):
            # Without block-end marks a short plain heading in a close series is taken
            # for a subheading even when its text echoes it (statistics briefs: 移动流量
            # 保持高速增长 / 固定宽带用户稳步增加 under one title).
            evidence.for_subheading("plain-series", _PLAIN_SERIES_POINTS)
        return evidence

    def _plain_series(self, index: int, run: list[_Line], sibling) -> bool:
        """Plain subheadings of one article follow each other closely, with undated text
        between them; titles of back-to-back briefs each get a dated lead."""
        previous = self.last_subheading_run
        if previous is not None and _style(previous) is None and _style(run) is None:
            sibling = sibling or previous  # the series may be closing
        if sibling is None or _style(run) is not None or _style(sibling) is not None:
            return False
        lead = self._lead(index)
        if lead is not None and _lead_points(lead) >= 3:
            return False
        if any(title_font_boundaries(line.text)[0] for line in (*run, *sibling)):
            return False
        distance = next(
            (
                later - index
                for later in range(index + 1, len(self.units))
                if self.units[later].kind == "run"
            ),
            None,
        )
        return distance is not None and distance <= _PLAIN_SERIES_REACH

    def _weigh_topic(self, index: int, text: str, evidence: _Evidence) -> None:
        pairs = self.topics.marking(text)
        shared_title = pairs & self.title_pairs
        if len(shared_title) >= 2:
            evidence.for_subheading("same-topic", _TOPIC_POINTS)
        elif shared_title or len(pairs & self.text_pairs) >= 2:
            evidence.for_subheading("same-topic", 1)
        elif pairs:
            evidence.for_title("new-topic", 1)
        lead = self._lead_text(index)
        if lead:
            echo = pairs & self.topics.marking(first_sentence(lead))
            if len(echo - self.title_pairs - self.text_pairs) >= 2:
                evidence.for_title("echoed-by-lead", _LEAD_ECHO_POINTS)
        share = self._segment_share(index)
        if share >= _SEGMENT_SAME:
            evidence.for_subheading("same-topic", 2)
        elif share <= _SEGMENT_NEW and "new-topic" not in evidence.reasons:
            evidence.for_title("new-topic", 1)

    def _segment_share(self, index: int) -> float:
        """The share of the next text's topic pairs that the article already holds."""
        texts = []
        for later in range(index + 1, len(self.units)):
            unit = self.units[later]
            if unit.kind == "para":
                texts.append(unit.text)
            elif unit.kind in ("run", "section", "title", "subheading"):
                break
        pairs = self.topics.marking("".join(texts))
        if not pairs:
            return 0.5  # nothing to compare: neither reading gains
        return len(pairs & (self.title_pairs | self.text_pairs)) / len(pairs)

    def _lead(self, index: int) -> str | None:
        following = self.units[index + 1] if index + 1 < len(self.units) else None
        return following.lines[0].key if following and following.kind == "para" else None

    def _lead_text(self, index: int) -> str | None:
        following = self.units[index + 1] if index + 1 < len(self.units) else None
        return following.text if following and following.kind == "para" else None

    def _is_dangling(self, index: int) -> bool:
        following = self.units[index + 1] if index + 1 < len(self.units) else None
        return following is None or following.kind in ("section", "run", "title")

    def _next_sibling(self, index: int) -> list[_Line] | None:
        """The next run of this section if it too looks like a subheading (no dated lead)."""
        for later in range(index + 1, len(self.units)):
            unit = self.units[later]
            if unit.kind in ("section", "title"):
                return None
            if unit.kind == "run":
                lead = self._lead(later)
                return unit.lines if lead is not None and _lead_points(lead) < 3 else None
        return None

    # --- warnings

    def _warn(self, line: _Line, code: str, message: str) -> None:
        self.warnings.append(ParseWarning(line.number, message, code=code, text=line.text))

    def _warn_section_order(self, line: _Line, title: str) -> None:
        if not self.matcher.configured:
            return
        position = self.matcher.position(title)
        previous = self.matcher.position(self.section.title) if self.section else None
        if position is not None and previous is not None and position <= previous:
            self._warn(line, "section-order", "Section heading out of the configured order.")

    def _warn_empty_articles(self) -> None:
        for section in self.sections:
            for article in section.articles:
                if not article.blocks:
                    self.warnings.append(
                        ParseWarning(
                            article.line,
                            "Article with a title and no text.",
                            code="empty-article",
                            text=article.title,
                        )
                    )


def _heading_text(run: list[_Line], *, marked: bool) -> str:
    """The heading a run stands for: a wrapped title with both lines, else the last line."""
    if not marked and len(run) >= 2 and run[0].width >= _WRAPPED_TITLE_MIN_WIDTH:
        return _join_lines([run[0].text, run[1].text])
    return run[-1].text


def _heading_boundaries(run: list[_Line], *, marked: bool) -> tuple[int, int]:
    """Title-font spacing counted line by line: where a title wrapped at a boundary, the
    space became the line break, and joining the lines would hide it."""
    if not marked and len(run) >= 2 and run[0].width >= _WRAPPED_TITLE_MIN_WIDTH:
        lines = [run[0], run[1]]
    else:
        lines = list(run[-1].lines)
    counts = [title_font_boundaries(line.text) for line in lines]
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def _split_title_run(run: list[_Line]) -> tuple[list[_Line], _Line | None, list[_Line]]:
    """(title lines, label line or None, remaining lines to be subheadings)."""
    if len(run) == 1:
        return run, None, []
    first, second = run[0], run[1]
    if first.width >= _WRAPPED_TITLE_MIN_WIDTH:
        return run[:2], None, run[2:]
    if first.width <= _LABEL_MAX_WIDTH and second.width > first.width:
        return [second], first, run[2:]
    if second.width < first.width and second.width <= 12:
        return [first], None, run[1:]
    return run[:2], None, run[2:]


def _join_title(lines: list[_Line], *, wrapped: bool) -> str:
    if len(lines) == 1:
        return clean_title(lines[0].text)
    if wrapped:
        return clean_title(_join_lines([line.text for line in lines]))
    return clean_title(" ".join(line.text for line in lines))  # a two-part headline


def _lead_points(lead: str) -> int:
    # A dated lead ("12月14日，") is the strongest sign of a new article: it outweighs
    # everything a lone subheading can collect except numbering plus similar siblings.
    if _DATED_LEAD.match(lead) or SOURCE_LINE.match(lead):
        return 4
    # A period lead ("1—10月，") opens feature paragraphs as often as articles: no points.
    return 2 if _SOURCE_LEAD.match(lead) else 0


def _numbering(key: str) -> str | None:
    return next((name for name, pattern in _NUMBERING if pattern.match(key)), None)


def _style(run: list[_Line]) -> str | None:
    """How a heading run is patterned: kicker pair, a numbering scheme, "label：text"."""
    if _is_kicker_pair(run):
        return "kicker"
    key = run[-1].key
    return _numbering(key) or ("label" if _LABEL_COLON.match(key) else None)


def _similar(run_a: list[_Line], run_b: list[_Line]) -> bool:
    """Two heading runs printed alike."""
    style = _style(run_a)
    return style is not None and style == _style(run_b)


def _parallel_labels(run_a: list[_Line], run_b: list[_Line]) -> bool:
    """Labels of one series are alike in length (需求侧： / 供给侧：); a headline's topic
    before its colon (电池回收：) next to a subheading's label (车企：) is no series."""
    if _style(run_a) != "label":
        return True
    label_a = run_a[-1].key.split("：")[0].split(":")[0]
    label_b = run_b[-1].key.split("：")[0].split(":")[0]
    return abs(len(label_a) - len(label_b)) <= 1


def _is_kicker_pair(run: list[_Line]) -> bool:
    """Two short lines; a wide first line is rather a title that wrapped."""
    return len(run) == 2 and run[0].width < _WRAPPED_TITLE_MIN_WIDTH
