"""Running headers, notices, page numbers, the cover and the contents page: taken out first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from editorial.parsing.patterns import (
    BARE_NUMBER,
    CONTENTS,
    DATE,
    ISSUE_SUFFIX,
    LEADER,
    NAME_SHAPE,
    PAGE_NUMBER,
    SENTENCE_END,
    SOURCE_LINE,
    STRONG_NOTICE,
    WEAK_NOTICE,
)

from .lines import KNOWN_SECTION_KEYS, Line, SectionMatcher, line_key
from .measures import END_MARK, HEADER_MAX_WIDTH, NOT_HEADING_END, PHONE, TITLE_MAX_WIDTH

# ============================================================================ furniture


@dataclass
class _Furniture:
    numbers: set[int] = field(default_factory=set)
    bulletin_name: str | None = None
    issue_date: date | None = None
    front_matter: list[int] = field(default_factory=list)  # cover and contents lines


def find_furniture(lines: list[Line], matcher: SectionMatcher, known_names) -> _Furniture:
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


def _is_notice(line: Line, repeats: int) -> bool:
    if STRONG_NOTICE.search(line.key):
        return True
    # Weaker words ("仅供参考", "版权") also occur in articles: insist on the notice's usual
    # company of a date or phone number, or on it being repeated page after page.
    return bool(WEAK_NOTICE.search(line.key)) and (
        bool(DATE.search(line.key)) or bool(PHONE.search(line.key)) or repeats >= 2
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


def _could_be_header(line: Line, matcher: SectionMatcher) -> bool:
    return (
        line.width <= HEADER_MAX_WIDTH
        and line.last not in NOT_HEADING_END
        and not any(mark in line.key for mark in "。：:")
        and not SOURCE_LINE.match(line.key)
        and not END_MARK.match(line.key)  # "（完）" closes every article, next to furniture too
        and matcher.name_for(line) is None
        and line.key not in KNOWN_SECTION_KEYS
    )


def _next_to(index: int, indexes: set[int]) -> bool:
    return index - 1 in indexes or index + 1 in indexes


def _bare_numbers(lines: list[Line]) -> list[int]:
    return [i for i, line in enumerate(lines) if BARE_NUMBER.match(line.key)]


def _bare_page_numbers(lines: list[Line], furniture: set[int]) -> set[int]:
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


def _neighbour(lines: list[Line], index: int, step: int, skip: set[int]) -> Line | None:
    index += step
    while 0 <= index < len(lines) and index in skip:
        index += step
    return lines[index] if 0 <= index < len(lines) else None


def _looks_like_heading(line: Line) -> bool:
    """Heading shape judged on the line alone (the layout is not measured yet)."""
    return (
        line.width <= TITLE_MAX_WIDTH
        and line.last not in SENTENCE_END
        and line.last not in NOT_HEADING_END
    )


def _running_section_heads(lines, furniture: set[int], matcher: SectionMatcher) -> set[int]:
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


def _front_matter(lines: list[Line], furniture: set[int], matcher: SectionMatcher) -> set[int]:
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


def _is_short_label(line: Line) -> bool:
    """Cover lines: issue number, publisher, date — short, and no sentence in them."""
    return line.width <= TITLE_MAX_WIDTH and "。" not in line.text and line.last not in "，、；,;"


def _is_section_name(line: Line, matcher: SectionMatcher) -> bool:
    return matcher.name_for(line) is not None or line.key in KNOWN_SECTION_KEYS


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


def _name_shaped(lines: list[Line], indexes: set[int]) -> set[int]:
    return {i for i in indexes if NAME_SHAPE.search(lines[i].key)}


def _bulletin_name(lines: list[Line], headers: set[int]) -> str | None:
    if not headers:
        return None
    counts = Counter(lines[i].key for i in headers)
    key = counts.most_common(1)[0][0]
    text = next(lines[i].text for i in sorted(headers) if lines[i].key == key)
    return ISSUE_SUFFIX.sub("", text).strip() or text


def _issue_date(lines: list[Line], *places: set[int]) -> date | None:
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


