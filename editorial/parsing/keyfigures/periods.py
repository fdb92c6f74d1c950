"""The periods a sentence names (``1—11月``, ``三季度末``, ``今年``), with their dates."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from .numerals import chinese_number, small_number

_YEAR = r"(?:(?P<y>(?:19|20)\d{2})年度?|(?P<rel>今|本|去|上|明)年)"
_PERIOD = re.compile(
    r"(?P<ye>(?:(?:19|20)\d{2}|今|本|去|上)年(?:末|底))"
    rf"|{_YEAR}?(?:"
    r"(?P<m1>\d{1,2})(?:月份?)?[—–―\-~至到]+(?P<m2>\d{1,2})月份?"
    r"|前(?P<fm>\d{1,2}|十[一二]?|[一二两三四五六七八九])个月"
    r"|前(?P<fq>[一二三123])个?季度"
    r"|(?:(?:第(?P<q1>[一二三四1-4])|(?P<q2>[一二三四]))季度|Q(?P<q3>[1-4]))(?P<qe>末|底)?"
    r"|(?P<half>上|下)半年"
    r"|(?P<me>\d{1,2})月(?:末|底)"
    r"|(?P<m>\d{1,2})月份?(?![\d日号])"
    r"|(?P<full>全年)"
    r"|(?P<since>以来)"
    r")"
    r"|(?P<yonly>(?:19|20)\d{2})年度?(?![\d]|以前|之前|以后|之后|起)"
    # 今年 / 去年 alone; 去年同期 and 上年 are what a figure is compared with.
    r"|(?P<relyear>今|去|明)年(?!同期|以前|之前|以后|之后|起)"
)
# A period right after these words is what a figure is compared with, not its own period.
_COMPARISON_BEFORE = re.compile(r"(?:较|比|与|相比|相较|同比|环比)$")


@dataclass
class Period:
    label: str
    start: date | None
    end: date | None
    pos: int
    comparison: bool


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


_RELATIVE_YEARS = {"今": 0, "本": 0, "去": -1, "上": -1, "明": 1}


def _period_year(m: re.Match[str], year: int | None, sentence_year: int | None) -> int | None:
    """The written year, else 今年/去年 from ``year``, else the sentence's year, else ``year``."""
    written = m.group("y") or m.group("yonly") or m.group("ye")
    if written and written[:4].isdigit():
        return int(written[:4])
    relative = m.group("rel") or m.group("relyear") or (written or "")[:1]
    if relative:
        return year + _RELATIVE_YEARS[relative] if year is not None else None
    return sentence_year if sentence_year is not None else year


def _period_dates(m: re.Match[str], y: int) -> tuple[date | None, date | None] | None:
    """Start and end of a matched period in year ``y``; None when the numbers are impossible."""
    g = m.groupdict()
    if g["m1"]:
        first, last = int(g["m1"]), int(g["m2"])
        return (date(y, first, 1), _month_end(y, last)) if 1 <= first <= last <= 12 else None
    if g["fm"]:
        months = int(g["fm"]) if g["fm"].isdigit() else int(chinese_number(g["fm"]))
        return (date(y, 1, 1), _month_end(y, months)) if 1 <= months <= 12 else None
    if g["fq"]:
        return date(y, 1, 1), _month_end(y, 3 * small_number(g["fq"]))
    quarter = g["q1"] or g["q2"] or g["q3"]
    if quarter:
        q = small_number(quarter)
        if g["qe"]:  # 三季度末: a point in time
            return (_month_end(y, 3 * q),) * 2
        return date(y, 3 * q - 2, 1), _month_end(y, 3 * q)
    if g["half"]:
        first_half = g["half"] == "上"
        return (date(y, 1, 1), date(y, 6, 30)) if first_half else (date(y, 7, 1), date(y, 12, 31))
    month = g["me"] or g["m"]
    if month:
        mm = int(month)
        if not 1 <= mm <= 12:
            return None
        return (_month_end(y, mm),) * 2 if g["me"] else (date(y, mm, 1), _month_end(y, mm))
    if g["ye"]:
        return date(y, 12, 31), date(y, 12, 31)
    if g["since"]:
        return date(y, 1, 1), None
    return date(y, 1, 1), date(y, 12, 31)  # 全年, 2020年


def _period_label(m: re.Match[str]) -> str:
    if m.group("m1"):
        prefix = m.group(0)[: m.start("m1") - m.start()]
        return f"{prefix}{int(m.group('m1'))}—{int(m.group('m2'))}月"
    return m.group(0)


def find_periods(norm: str, year: int | None) -> list[Period]:
    periods: list[Period] = []
    sentence_year: int | None = None
    for m in _PERIOD.finditer(norm):
        if m.group("since") and not (m.group("rel") or m.group("y")):
            continue  # "以来" alone is not a period
        y = _period_year(m, year, sentence_year)
        known = y is not None and date.min.year <= y <= date.max.year
        dates = _period_dates(m, y) if known else (None, None)
        if dates is None:
            continue
        comparison = bool(_COMPARISON_BEFORE.search(norm[max(0, m.start() - 2) : m.start()]))
        if m.group("y") or m.group("yonly"):
            sentence_year = sentence_year if comparison else y
        periods.append(Period(_period_label(m), dates[0], dates[1], m.start(), comparison))
    return periods


_TIME_SPAN = re.compile(
    r"(?:近|过去|最近)[\d一二三四五六七八九十两]+年(?:来|间|以来)?"
    r"|在?(?:未来|今后)[\d一二三四五六七八九十两几]+年(?:内|间|里)?"
)


def strip_periods(text: str) -> str:
    return _TIME_SPAN.sub("", _PERIOD.sub("", text))


def sentence_period(periods: list[Period]) -> Period | None:
    own = [p for p in periods if not p.comparison]
    return own[-1] if own else None
