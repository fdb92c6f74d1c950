"""One sentence's number mentions turned into key figures, left to right."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from datetime import date

from .clues import Clue, clean_indicator, is_time_base, read_clue, split_names
from .figure import KeyFigure
from .mentions import QUALIFIER_BEFORE, UNIT_LIST_JOINER, Mention
from .periods import Period, strip_periods
from .vocabulary import (
    AVERAGE,
    CLAUSE_SEP,
    COMPARED_WITH,
    FROM_TO,
    FROM_VALUE,
    GENERIC_HEADS,
    GENERIC_SUBJECTS,
    GROWTH_AFTER,
    LEVEL_LINK,
    LIST_JOINER,
    MEASURE_AFTER,
    MEASURE_NOUN_AFTER,
    MULTIPLE_OF,
    POPULATION_AFTER,
    RESPONDENTS,
    SHARE_ADVERBS,
    SHARE_MARKER,
    SHARE_NOUN,
    SHARE_OF_SOME,
    SHARE_WORDS,
    TO_AFTER_FROM,
    is_name,
)


@dataclass
class SentenceReader:
    """Turns the number mentions of one sentence into figures, left to right."""

    norm: str
    periods: list[Period]
    inherited: Period | None
    sentence: str
    start: int
    figures: list[KeyFigure] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # indicator of each figure without change verbs
    last_standalone_change: KeyFigure | None = None
    from_name: str | None = None  # 份额从去年的10%…: the indicator whose change starts here
    measure_noun: str = ""  # 三星以21.9%的份额…, 苹果以15.5%: the measure the list shares
    separators: list[int] = field(init=False)  # ends of the commas, for clause starts
    compared_from: int = field(init=False)  # after 与华为相比: changes compare with a thing

    def __post_init__(self) -> None:
        self.separators = [m.end() for m in CLAUSE_SEP.finditer(self.norm)]
        frame = COMPARED_WITH.search(self.norm)
        thing = frame is not None and not is_time_base(frame.group("thing"))
        self.compared_from = frame.end() if thing else len(self.norm) + 1

    def read(self, mentions: list[Mention]) -> list[KeyFigure]:
        for group, clue, context in self._groups(mentions):
            self._read_group(group, clue, context)
        return self.figures

    def _groups(self, mentions: list[Mention]) -> list[tuple[list[Mention], Clue, str]]:
        """Runs of numbers joined by 和/、 share the words before the first of them."""
        groups: list[tuple[list[Mention], Clue, str]] = []
        prev_end = 0
        for mention in mentions:
            between = self.norm[prev_end : mention.pos]
            if groups and LIST_JOINER.match(between):
                groups[-1][0].append(mention)
            else:
                # The words since the previous number or the last comma, whichever is nearer.
                context = self.norm[max(prev_end, self._clause_start(mention.pos)) : mention.pos]
                groups.append(([mention], read_clue(context), context))
            prev_end = mention.end
        return groups

    def _clause_start(self, pos: int) -> int:
        i = bisect.bisect_right(self.separators, pos) - 1
        return self.separators[i] if i >= 0 else 0

    def _read_group(self, group: list[Mention], clue: Clue, context: str) -> None:
        if self._completes_change(group, context) or self._from_to(group, context):
            return
        self.last_standalone_change = None
        clue = self._growth_after(group, clue)
        kept = [m for m in group if not self._loose(m, context)]
        if clue.sign and not clue.base and group[0].pos > self.compared_from:
            clue.gap = True  # 与人工巡检相比，…时间缩短了八成: not a change over time
        if clue.gap or not kept:
            name = clean_indicator(strip_periods(clue.subject))
            if not clue.gap and is_name(name):
                self.names.append(name)  # 付费会员数增长了近一倍，突破1.2亿: still the subject
            return
        group = kept
        subject = clean_indicator(clue.subject)
        last_is_share = bool(self.figures) and self.figures[-1].unit == "%"
        subject_is_generic = subject in GENERIC_SUBJECTS or (
            subject in SHARE_WORDS and last_is_share
        )
        relative = group[0].unit in ("%", "个百分点")
        if clue.sign and relative and subject_is_generic and self.figures:
            if len(self.figures) >= len(group):
                self._attach_changes(group, clue)
                return
            if UNIT_LIST_JOINER.search(clue.base):
                # 增速较1—10月和去年同期分别提高0.5个和2.2个百分点: one figure, several bases;
                # the first (the latest period) is the one change_points holds.
                self._attach_changes(group[:1], clue)
                return
        names = self._names_for(group, clue)
        for mention, name in zip(group, names, strict=True):
            if is_name(name):
                self._add(mention, clue, name)

    def _from_to(self, group: list[Mention], context: str) -> bool:
        """份额从去年的不足10%上升到了今年的23%: the figure is the level reached, 23%."""
        if len(group) == 1 and FROM_VALUE.search(context):
            subject = clean_indicator(context[: context.rindex("从")])
            self.from_name = subject if is_name(subject) else (self.names or [None])[-1]
            return True
        name, self.from_name = self.from_name, None
        words = strip_periods(QUALIFIER_BEFORE.sub("", context))
        if len(group) != 1:
            return False
        if name is None:
            from_to = FROM_TO.search(words)  # the start was no number of its own: 从十几家
            name = clean_indicator(words[: from_to.start()]) if from_to else None
            if not (name and is_name(name)):
                return False
        elif not TO_AFTER_FROM.fullmatch(words):
            return False
        self._add(group[0], Clue(name), name)
        return True

    def _growth_after(self, group: list[Mention], clue: Clue) -> Clue:
        """实现8%左右的增长: a change whose verb comes after the number, as a noun."""
        growth = GROWTH_AFTER.match(self.norm, group[-1].end)
        if clue.sign or group[-1].unit != "%" or not growth:
            return clue
        sign = 1 if growth.group("up") else -1
        return replace(
            clue, sign=sign, verb=growth.group(0)[1:], yoy_base=not AVERAGE.search(clue.subject)
        )

    def _loose(self, mention: Mention, context: str) -> bool:
        """A number that is not a key figure whatever words surround it.

        Shares of a population (有63%的受访者, 93%的中小企业, 超6成企业), survey answers and
        ``一倍`` (as loose as 翻番) are how features talk, not measurements.
        """
        if mention.unit == "倍":
            # 是4G的1.5倍: a multiple of another thing; 是上年同期的3倍 is a change.
            of = MULTIPLE_OF.search(QUALIFIER_BEFORE.sub("", context))
            return mention.written.startswith("一") or bool(of and not is_time_base(of.group(1)))
        if mention.unit != "%":
            return False
        after = self.norm[mention.end :]
        before = QUALIFIER_BEFORE.sub("", context)
        if RESPONDENTS.search(self.norm) or SHARE_OF_SOME.search(before):
            return True
        if after.startswith("的") and not MEASURE_AFTER.match(after):
            return True
        if before.endswith("的") and not SHARE_NOUN.search(before):
            return True  # 真正把核心业务搬上云端的不足一成: the share of those who…
        return bool(POPULATION_AFTER.match(after))

    def _completes_change(self, group: list[Mention], context: str) -> bool:
        """提升1.4个百分点至29.9%: the level after 至 belongs to the change just read.

        So does the level in the clause after a growth rate: ``同比增长11.3%，达到2.02亿台``.
        """
        target = self.last_standalone_change
        if target is None or len(group) != 1:
            return False
        level = group[0]
        if context not in ("至", "到"):
            after_rate = target.unit == "%" and target.yoy is not None
            linked = LEVEL_LINK.fullmatch(QUALIFIER_BEFORE.sub("", context))
            if not (after_rate and linked and level.unit not in ("%", "个百分点")):
                return False
        target.value, target.unit = level.value, level.unit
        target.qualifier = level.qualifier
        self.last_standalone_change = None
        return True

    def _attach_changes(self, group: list[Mention], clue: Clue) -> None:
        for mention, figure in zip(group, self.figures[-len(group) :], strict=True):
            change = mention.value * clue.sign
            if mention.unit == "个百分点" and figure.change_points is None:
                figure.change_points = change
            elif (
                mention.unit == "%"
                and figure.yoy is None
                and _year_on_year(clue, figure.period_start, figure.period_end)
            ):
                figure.yoy = change
            # anything else (环比, a second yoy) has no field and is not reported

    def _names_for(self, group: list[Mention], clue: Clue) -> list[str]:
        subject = strip_periods(clue.subject)
        by = re.search(r"以$", QUALIFIER_BEFORE.sub("", subject))
        subject = subject[: by.start()] if by else subject
        if clue.grouped or len(group) > 1:
            names = split_names(subject, len(group))
        else:
            names = [clean_indicator(subject)]
        if by:  # 三星以21.9%的份额: 三星份额; 以约50亿美元的价格 is no measure
            noun = MEASURE_NOUN_AFTER.match(self.norm, group[-1].end)
            self.measure_noun = noun.group(1) if noun else self.measure_noun
            names = [n + self.measure_noun if self.measure_noun else "" for n in names]
        return [self._complete_name(n, clue, m) for n, m in zip(names, group, strict=True)]

    def _complete_name(self, name: str, clue: Clue, mention: Mention) -> str:
        previous = self.names[-1] if self.names else ""
        if mention.unit == "倍":
            name = re.split(r"是|为|相当于", name)[0]
        if SHARE_MARKER.match(name):  # 占全行业收入的63%, 在总流量中占比为45.5%
            name = previous + re.sub(rf"^{SHARE_ADVERBS}占到?", "占", name) if previous else ""
            return name if name.endswith("占比") else _share_name(name)
        if mention.unit == "%" and re.search("占(?!比)", name):
            return _share_name(re.sub(f"{SHARE_ADVERBS}占到?", "占", name))
        if name in GENERIC_HEADS and previous:
            # 机架数量…总规模 → 机架总规模, 用户净增…总数 → 用户总数
            return re.sub(r"(?:数量|总数|总量|规模)$", "", previous) + name
        if name in GENERIC_SUBJECTS:
            name = previous
        elif name in ("年均", "平均"):
            name = re.sub(r"总数$", "", previous) + name  # 机架总数…年均增速 → 机架年均增速
        if clue.sign and mention.unit not in ("%", "个百分点") and name:
            # An absolute change: 5G用户净增 (not 5G用户总数净增).
            return re.sub(r"总数$", "", name) + clue.verb
        period = self._period_before(mention.pos)
        yoy = _year_on_year(clue, period.start if period else None, period.end if period else None)
        if clue.sign and mention.unit == "%" and not yoy and name:
            return name + strip_periods(clue.base) + clue.verb  # 环比增长, 年均增速
        return name

    def _add(self, mention: Mention, clue: Clue, name: str) -> None:
        value, yoy, points = mention.value, None, None
        relative = mention.unit in ("%", "个百分点")
        period = self._period_before(mention.pos)
        if clue.sign and relative:
            value = mention.value * clue.sign
            if mention.unit == "个百分点":
                points = value
            elif _year_on_year(
                clue, period.start if period else None, period.end if period else None
            ):
                yoy = value
        figure = KeyFigure(
            indicator=name,
            period=period.label if period else None,
            period_start=period.start if period else None,
            period_end=period.end if period else None,
            value=value,
            unit=mention.unit,
            yoy=yoy,
            sentence=self.sentence,
            start=self.start,
            change_points=points,
            qualifier=mention.qualifier,
        )
        self.figures.append(figure)
        self.names.append(_base_name(name, clue))
        if clue.sign and relative:
            self.last_standalone_change = figure

    def _period_before(self, pos: int) -> Period | None:
        own = [p for p in self.periods if not p.comparison and p.pos < pos]
        return own[-1] if own else self.inherited


def _year_on_year(clue: Clue, start: date | None, end: date | None) -> bool:
    """The change is against a year earlier: 同比, 比上年, or 较2019年 for a figure of 2020."""
    if clue.yoy_base:
        return True
    if clue.base_year is None or start is None or end is None:
        return False
    whole_year = (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
    return whole_year and start.year == end.year == clue.base_year + 1


def _share_name(name: str) -> str:
    name = re.sub(r"的?(?:比重|比例)?(?:为|达到|达|是)?$", "", name)
    if not name:
        return ""
    return name + ("比" if name.endswith("占") else "比重")


def _base_name(name: str, clue: Clue) -> str:
    """The indicator a later 总数/净增/占 refers back to: the name without its change verb."""
    if clue.sign and clue.verb and name.endswith(clue.verb):
        return name[: -len(clue.verb)]
    return re.sub(r"(?:净增|新增)$", "", name)
