"""What the words before a number say about it (a level or a change, against what),
and the indicator's name cleaned out of them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .mentions import QUALIFIER_BEFORE
from .periods import strip_periods
from .vocabulary import (
    AVERAGE,
    BASE_MARKER,
    BASE_YEAR,
    CHANGE_VERB,
    DROPPED_VERB,
    EVERY,
    GAP_END,
    GAP_WORDS,
    KEPT_VERB,
    LEADING_FUNCTION_WORDS,
    LEADING_WORDS,
    NAME_SPLIT,
    NEGATIVE,
    RATE_NOUN,
    RATE_TO_LEVEL,
    SHARED_HEADS,
    TIME_WORDS,
    TO_LEVEL,
    TRAILING_WORDS,
    YOY_BASE,
)


@dataclass
class Clue:
    """What the words before a number say about it."""

    subject: str  # the words naming the indicator, uncleaned
    sign: int = 0  # +1/-1 when the number is a change, 0 for a level
    verb: str = ""  # the change word as written (增长, 净增, 增速 ...)
    yoy_base: bool = True  # a change compared with the same period a year earlier
    base: str = ""  # the comparison words as written (环比, 较上月 ...)
    grouped: bool = False  # 分别: the numbers pair with several indicators
    gap: bool = False  # 比同期工业高5.4个百分点: a difference from another quantity, not a figure
    base_year: int | None = None  # 较2019年增长: year-on-year when the figure is of 2020


def is_time_base(words: str) -> bool:
    """较上年末, 比1—9月, 较2019年: the base is an earlier time, not another quantity."""
    return not TIME_WORDS.sub("", strip_periods(words))


def read_clue(context: str) -> Clue:
    grouped = "分别" in context
    text = context.replace("分别", "")
    text = QUALIFIER_BEFORE.sub("", text)
    if GAP_WORDS.search(text):
        return Clue(text, grouped=grouped, gap=True)
    rate = RATE_TO_LEVEL.search(text)
    if rate:  # 降幅收窄至5.2%: the rate reached, a change against a year earlier
        noun = rate.group("noun")
        subject = text[: rate.start()]
        yoy = "环比" not in text and not AVERAGE.search(subject)
        return Clue(subject, -1 if noun == "降幅" else 1, noun, yoy, "", grouped)
    if TO_LEVEL.search(text):
        return Clue(TO_LEVEL.sub("", text), grouped=grouped)
    change = CHANGE_VERB.search(text) or RATE_NOUN.search(text) or GAP_END.search(text)
    if not change:
        return Clue(text, grouped=grouped)
    verb = change.group(1)
    rest = text[: change.start()]
    marker = BASE_MARKER.search(rest)
    subject, base = (rest[: marker.start()], rest[marker.start() :]) if marker else (rest, "")
    if change.re is GAP_END and marker is None:
        return Clue(text, grouped=grouped, gap=True)  # 与华为相比，其增速高出…
    if marker and not is_time_base(rest[marker.end() :]):
        return Clue(text, grouped=grouped, gap=True)  # 比同期工业高, 较传统方案降低
    sign = -1 if re.fullmatch(NEGATIVE, verb) or verb in ("降幅", "低", "少") else 1
    if verb in ("收窄", "扩大", "缩小") and "降幅" in subject:
        sign = -sign  # a narrower decline is a rise in the growth rate
    # An average annual rate (年均增长) is not a change against the year before.
    yoy = bool(YOY_BASE.search(base)) and not AVERAGE.search(subject)
    year = BASE_YEAR.search(base)
    return Clue(
        subject,
        sign,
        verb,
        yoy,
        base,
        grouped,
        base_year=int(year.group(1)) if year and not yoy else None,
    )


def clean_indicator(text: str) -> str:
    """The indicator's name: periods, connectives and verbs around it removed."""
    text = EVERY.sub("", strip_periods(text)).strip(' 、，,：:“”"')
    previous = None
    while text != previous:
        previous = text
        text = LEADING_WORDS.sub("", text)
        text = LEADING_FUNCTION_WORDS.sub("", text)
        text = TRAILING_WORDS.sub("", text)
    dropped = list(DROPPED_VERB.finditer(text))
    if dropped and dropped[-1].end() < len(text):
        text = text[dropped[-1].end() :]  # 企业完成软件业务收入 → 软件业务收入
    kept = list(KEPT_VERB.finditer(text))
    if kept and kept[-1].start() > 0 and kept[-1].end() < len(text):
        text = text[kept[-1].start() :]  # 企业净增5G用户 → 净增5G用户
    return text.strip(' 、，,：:“”"')


def split_names(subject: str, count: int) -> list[str]:
    """Indicators named before 分别, one per number when the counts agree."""
    names = [n for n in (clean_indicator(p) for p in NAME_SPLIT.split(subject)) if n]
    if len(names) != count:
        whole = clean_indicator(subject)
        return [whole] * count
    return [_with_shared_head(n, names[-1]) for n in names[:-1]] + [names[-1]]


def _with_shared_head(name: str, last: str) -> str:
    if len(name) <= 2 and len(last) >= len(name) + 2:
        return name + last[len(name) :]  # 东部、中部、西部地区收入: the tail of the last name
    head = next((h for h in SHARED_HEADS if last.endswith(h)), None)
    if head and not any(name.endswith(h) for h in SHARED_HEADS):
        return name + head
    return name
