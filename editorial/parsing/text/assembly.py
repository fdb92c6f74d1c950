"""From units to the tree: sections, articles, subheadings, figures and paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from editorial.parsing.normalise import clean_title, fullwidth_to_ascii
from editorial.parsing.patterns import (
    SOURCE_LINE,
)
from editorial.parsing.topics import TopicIndex, first_sentence
from editorial.parsing.tree import (
    Block,
    FigureCaption,
    Paragraph,
    ParsedArticle,
    ParsedSection,
    ParseWarning,
    Subheading,
    Table,
)

from .lines import Line, SectionMatcher
from .measures import (
    DATED_LEAD,
    END_MARK,
    LABEL_COLON,
    LABEL_MAX_WIDTH,
    NUMBERING,
    SOURCE_LEAD,
    WRAPPED_TITLE_MIN_WIDTH,
    line_width,
)
from .units import Unit, join_lines

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


class TreeBuilder:
    def __init__(
        self, units: list[Unit], matcher: SectionMatcher, warnings: list, *, marked: bool = False
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
        self.last_subheading_run: list[Line] | None = None
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

    def _add_section(self, index: int, unit: Unit) -> None:
        line = unit.lines[0]
        title = self.matcher.name_for(line) or clean_title(line.text)
        self._warn_section_order(line, title)
        reason = "configured-section" if self.matcher.name_for(line) else "guessed-section"
        self._decide(unit.lines, "section", ["editor" if line.override else reason])
        self.section = ParsedSection(title=title, line=line.number)
        self.sections.append(self.section)
        self.article = None
        self.article_closed = False

    def _add_para(self, index: int, unit: Unit) -> None:
        reasons = ("editor",) if any(line.override for line in unit.lines) else ()
        self._decide(unit.lines, "body", reasons)
        self._add_block(Paragraph(unit.text, unit.line), unit)
        self.text_pairs |= self.topics.marking(unit.text)
        if END_MARK.search(unit.text):
            self.article_closed = True

    def _add_figure(self, index: int, unit: Unit) -> None:
        caption = clean_title(unit.lines[0].text) if unit.lines else ""
        source = unit.source.text if unit.source else None
        self._decide(unit.lines, "caption", ("caption-before-source",) if unit.source else ())
        if unit.source is not None:
            self._decide([unit.source], "source", ("source-line",))
        self._add_block(FigureCaption(caption, source, unit.line), unit)

    def _add_table(self, index: int, unit: Unit) -> None:
        self._decide(unit.lines, "table", ("numeric-cells",))
        self._add_block(Table([[line.text] for line in unit.lines], unit.line), unit)

    def _add_title(self, index: int, unit: Unit) -> None:
        self._decide(unit.lines, "title", ("editor",))
        self._start_article(_join_title(unit.lines, wrapped=True), unit.lines[0])

    def _add_subheading(self, index: int, unit: Unit) -> None:
        self._decide(unit.lines, "subheading", ("editor",))
        self._add_subheading_run(unit.lines)

    def _add_run(self, index: int, unit: Unit) -> None:
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

    def _start_article(self, title: str, line: Line) -> ParsedArticle:
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

    def _add_block(self, block: Block, unit: Unit) -> None:
        self._ensure_article(unit.line).blocks.append(block)
        self.has_body = True

    def _add_subheading_run(self, run: list[Line]) -> None:
        article = self._ensure_article(run[0].number)
        for line in run:
            self.text_pairs |= self.topics.marking(line.text)
        if len(run) == 2 and not _is_kicker_pair(run) and not self.marked:
            text = join_lines([line.text for line in run])  # a subheading that wrapped
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

    def _keep_unknown_lines(self, run: list[Line]) -> None:
        for line in run:
            self._warn(
                line, "unknown-line", "Short line with nothing after it: kept as a paragraph."
            )
            self._decide([line], "body", (), sure=False)
            self.article.blocks.append(Paragraph(line.text, line.number))

    def _start_article_from_run(
        self, run: list[Line], reasons: list[str], *, sure: bool = True
    ) -> None:
        """A run in title position: a title, maybe wrapped, maybe with a label or subheadings."""
        title_lines, label, rest = self._split_title_run(run)
        wrapped = self.marked or title_lines[0].width >= WRAPPED_TITLE_MIN_WIDTH
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

    def _split_title_run(self, run: list[Line]):
        if not self.marked:
            return _split_title_run(run)
        # Each item is a whole block: the title is the first, unless a short unspaced
        # label stands above a title set in the title font.
        if len(run) == 1:
            return run, None, []
        first, second = run[0], run[1]
        if (
            first.width <= LABEL_MAX_WIDTH * 2
            and title_font_boundaries(second.text)[0]
            and not title_font_boundaries(first.text)[0]
        ):
            return [second], first, run[2:]
        return [first], None, run[1:]

    # --- the hard call: title of a new article or subheading of this one?

    def _judge_run(self, index: int, run: list[Line]) -> None:
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

    def _weigh(self, index: int, run: list[Line]) -> _Evidence:
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

    def _plain_series(self, index: int, run: list[Line], sibling) -> bool:
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

    def _next_sibling(self, index: int) -> list[Line] | None:
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

    def _warn(self, line: Line, code: str, message: str) -> None:
        self.warnings.append(ParseWarning(line.number, message, code=code, text=line.text))

    def _warn_section_order(self, line: Line, title: str) -> None:
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


def _heading_text(run: list[Line], *, marked: bool) -> str:
    """The heading a run stands for: a wrapped title with both lines, else the last line."""
    if not marked and len(run) >= 2 and run[0].width >= WRAPPED_TITLE_MIN_WIDTH:
        return join_lines([run[0].text, run[1].text])
    return run[-1].text


def _heading_boundaries(run: list[Line], *, marked: bool) -> tuple[int, int]:
    """Title-font spacing counted line by line: where a title wrapped at a boundary, the
    space became the line break, and joining the lines would hide it."""
    if not marked and len(run) >= 2 and run[0].width >= WRAPPED_TITLE_MIN_WIDTH:
        lines = [run[0], run[1]]
    else:
        lines = list(run[-1].lines)
    counts = [title_font_boundaries(line.text) for line in lines]
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def _split_title_run(run: list[Line]) -> tuple[list[Line], Line | None, list[Line]]:
    """(title lines, label line or None, remaining lines to be subheadings)."""
    if len(run) == 1:
        return run, None, []
    first, second = run[0], run[1]
    if first.width >= WRAPPED_TITLE_MIN_WIDTH:
        return run[:2], None, run[2:]
    if first.width <= LABEL_MAX_WIDTH and second.width > first.width:
        return [second], first, run[2:]
    if second.width < first.width and second.width <= 12:
        return [first], None, run[1:]
    return run[:2], None, run[2:]


def _join_title(lines: list[Line], *, wrapped: bool) -> str:
    if len(lines) == 1:
        return clean_title(lines[0].text)
    if wrapped:
        return clean_title(join_lines([line.text for line in lines]))
    return clean_title(" ".join(line.text for line in lines))  # a two-part headline


def _lead_points(lead: str) -> int:
    # A dated lead ("12月14日，") is the strongest sign of a new article: it outweighs
    # everything a lone subheading can collect except numbering plus similar siblings.
    if DATED_LEAD.match(lead) or SOURCE_LINE.match(lead):
        return 4
    # A period lead ("1—10月，") opens feature paragraphs as often as articles: no points.
    return 2 if SOURCE_LEAD.match(lead) else 0


def _numbering(key: str) -> str | None:
    return next((name for name, pattern in NUMBERING if pattern.match(key)), None)


def _style(run: list[Line]) -> str | None:
    """How a heading run is patterned: kicker pair, a numbering scheme, "label：text"."""
    if _is_kicker_pair(run):
        return "kicker"
    key = run[-1].key
    return _numbering(key) or ("label" if LABEL_COLON.match(key) else None)


def _similar(run_a: list[Line], run_b: list[Line]) -> bool:
    """Two heading runs printed alike."""
    style = _style(run_a)
    return style is not None and style == _style(run_b)


def _parallel_labels(run_a: list[Line], run_b: list[Line]) -> bool:
    """Labels of one series are alike in length (需求侧： / 供给侧：); a headline's topic
    before its colon (电池回收：) next to a subheading's label (车企：) is no series."""
    if _style(run_a) != "label":
        return True
    label_a = run_a[-1].key.split("：")[0].split(":")[0]
    label_b = run_b[-1].key.split("：")[0].split(":")[0]
    return abs(len(label_a) - len(label_b)) <= 1


def _is_kicker_pair(run: list[Line]) -> bool:
    """Two short lines; a wide first line is rather a title that wrapped."""
    return len(run) == 2 and run[0].width < WRAPPED_TITLE_MIN_WIDTH
