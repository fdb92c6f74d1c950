"""Numbers with their units in a normalised sentence: the candidates for key figures.

A number is a candidate only with a unit or magnitude, and a count (个, 家, 项 ...) only as a
predicate; ranges, model numbers and version numbers are not.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .numerals import chinese_number

_MAGNITUDES = "万亿|千亿|百亿|千万|百万|亿|万"
# Units after which a number counts as a measured quantity; longest first so 个百分点 wins over 个.
_COUNT_UNITS = [
    "人次",
    "户",
    "人",
    "部",
    "台",
    "个",
    "家",
    "项",
    "款",
    "件",
    "条",
    "座",
    "套",
    "片",
    "块",
    "辆",
    "所",
    "名",
    "位",
    "次",
    "颗",
    "张",
    "架",
]
_OTHER_UNITS = [
    "个百分点",
    "百分点",
    "千瓦时",
    "千瓦",
    "兆瓦",
    "吉瓦",
    "美元",
    "欧元",
    "日元",
    "港元",
    "英镑",
    "元",
    "平方公里",
    "平方米",
    "公里",
    "千米",
    "吨",
    "GB",
    "TB",
    "PB",
    "EB",
    "ZB",
    "MB",
    "kWh",
    "MWh",
    "GWh",
    "TWh",
    "kW",
    "MW",
    "GW",
    "%",
    "‰",
    "倍",
    "成",
]
_RATE_UNITS = ["Mbps", "Gbps", "Tbps"]  # 1000Mbps及以上的用户 is a spec, 速率达到50Mbps a figure
_SUFFIXES = r"(?:/(?:户|人|月|GB|部|台|s|秒)){0,2}"  # 元/户/月, GB/户, TB/s
_PREDICATE_ONLY = _COUNT_UNITS + _RATE_UNITS
_BASES = "|".join(sorted(_PREDICATE_ONLY + _OTHER_UNITS, key=len, reverse=True))
# 成 inside words (成果, 成本 ...) and 倍 in 倍增 are not ratios.
_NOT_RATIO = r"(?<!成)(?<!倍)|(?<=成)(?![果本为功效熟员立交长绩都品型就])|(?<=倍)(?!增)"

_ARABIC = re.compile(
    r"(?<![\d.第\-/])(?P<neg>-)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    rf"(?P<more1>多|余)?(?P<mag>{_MAGNITUDES})?(?P<more2>多|余)?"
    rf"(?:(?P<base>{_BASES})(?P<suffix>{_SUFFIXES}))?(?:{_NOT_RATIO})"
    r"(?P<post>多|余|左右|以上)?"
)
_CHINESE = re.compile(
    r"(?<![零一二两三四五六七八九十百千万亿几数])(?P<cn>[一二两三四五六七八九十]{1,3})"
    r"(?P<base>成|倍|个百分点)(?:" + _NOT_RATIO + r")(?P<post>多|余|左右|以上)?"
)
_LATIN_BEFORE = re.compile(r"[A-Za-z]+$")
_RANGE_BEFORE = re.compile(r"\d(?:万亿|亿|万|%)?[~—–\-至到]$")
QUALIFIER_BEFORE = re.compile(r"(超过|超出|超|逾|接近|将近|近|约为|约|不到|不足)$")
# A count (个, 家, 项 ...) or a bare 万/亿 is a figure only as a predicate ("基站超过70万个，"),
# not as an attribute of a following noun ("发布12项标准", "3家企业入选").
_PREDICATE_FOLLOWS = re.compile(
    r"(?:$|[，,。；;：:、）)\]”’\"（(]|同比|环比|比|较|相比|增|减|下降|降|回落|左右|以上|分别|占"
    r"|其中|(?:和|及|与|以及)[\d一二两三四五六七八九十])"
)


@dataclass
class Mention:
    pos: int
    end: int
    value: Decimal
    unit: str
    qualifier: str | None
    written: str = ""  # the number as printed (一倍, 2万多个)


def _is_model_number(norm: str, pos: int) -> bool:
    """R16, iPhone12, Wi-Fi6: digits glued to a word are a name. ARPU46元 is a figure."""
    word = _LATIN_BEFORE.search(norm[max(0, pos - 12) : pos])
    return bool(word) and not (len(word.group()) >= 2 and word.group().isupper())


def _arabic_mention(m: re.Match[str], norm: str) -> Mention | None:
    if _is_model_number(norm, m.start()):
        return None
    mag, base = m.group("mag") or "", m.group("base") or ""
    if not (mag or base) or (mag and base in ("%", "‰", "个百分点", "百分点", "倍", "成")):
        return None  # no unit at all: years, version numbers, page numbers, 1.3 (PUE)
    if (not base or base in _PREDICATE_ONLY) and not _PREDICATE_FOLLOWS.match(norm, m.end()):
        return None
    if _RANGE_BEFORE.search(norm[max(0, m.start() - 12) : m.start()]):
        return None  # the upper end of 350亿～500亿美元: a range is not a figure
    after = norm[m.end() : m.end() + 1]
    if base[-1:].isascii() and base[-1:].isalpha() and after.isascii() and after.isalpha():
        return None  # 5GB is a unit; in 5GBps or 3MWe the letters go on into another word
    try:
        value = Decimal(m.group("num").replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern only admits valid numbers
        return None
    if m.group("neg"):
        value = -value
    unit = mag + base + (m.group("suffix") or "")
    more = m.group("more1") or m.group("more2") or m.group("post")
    return _finish_mention(m, norm, value, unit, more)


def _chinese_mention(m: re.Match[str], norm: str) -> Mention | None:
    value = chinese_number(m.group("cn"))
    if value is None:
        return None
    return _finish_mention(m, norm, value, m.group("base"), m.group("post"))


def _finish_mention(
    m: re.Match[str], norm: str, value: Decimal, unit: str, more: str | None
) -> Mention:
    if unit == "成":  # tenths → percent, see the module docstring
        value, unit = value * 10, "%"
    if unit == "百分点":
        unit = "个百分点"
    before = QUALIFIER_BEFORE.search(norm[max(0, m.start() - 2) : m.start()])
    qualifier = before.group(1) if before else more
    return Mention(m.start(), m.end(), value, unit, qualifier, m.group(0))


UNIT_LIST_JOINER = re.compile(r"(?:、|和|及|与|以及|或)")


def find_mentions(norm: str) -> list[Mention]:
    found = [_arabic_mention(m, norm) for m in _ARABIC.finditer(norm)]
    found += [_chinese_mention(m, norm) for m in _CHINESE.finditer(norm)]
    mentions = sorted((x for x in found if x is not None), key=lambda x: x.pos)
    return _share_list_units(norm, mentions)


def _share_list_units(norm: str, mentions: list[Mention]) -> list[Mention]:
    """``提高0.5个和2.2个百分点``: a list written with the unit once, at its end.

    The earlier numbers read as ``个`` (or a bare ``万``) on their own; they take the fuller
    unit of the number after them. Right to left, so a whole list follows its last unit.
    """
    for mention, following in reversed(list(itertools.pairwise(mentions))):
        joined = UNIT_LIST_JOINER.fullmatch(norm[mention.end : following.pos])
        longer = following.unit.startswith(mention.unit) and following.unit != mention.unit
        if joined and longer and mention.unit in ("个", *_MAGNITUDES.split("|")):
            mention.unit = following.unit
    return mentions
