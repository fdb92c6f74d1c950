"""Candidate key figures read out of bulletin sentences.

Bulletins quote their numbers inside sentences
(``1—11月，电信业务收入累计完成12451亿元，同比增长3.5%``). This module finds them and
returns :class:`KeyFigure` records for an editor to confirm, each pointing back at its
sentence. It is a set of regular expressions and small rules, not a parser of Chinese:
it favours precision (no dates, page numbers or "发布12项标准" counts) over recall.

Conventions an editor can rely on:

* **Value in the stated magnitude.** ``2万多个`` is value 2, unit ``万个``; ``1.2万亿元``
  is 1.2 ``万亿元``; ``12451亿元`` is 12451 ``亿元``. Nothing is rescaled, so the value
  and unit read back exactly as printed. The one exception is ``成`` (tenths), which is
  converted to percent because editors compare it with other shares: ``超6成`` is 60 ``%``.
  Approximation words (超过, 近, 约, 多, 余, 左右 ...) go to ``qualifier``.
* **Changes.** ``同比增长3.5%`` after a figure sets that figure's ``yoy`` (negative for
  下降/减少/回落 ...); a change in ``个百分点`` sets ``change_points``. Growth written
  without a level (``软件业务收入同比增长12.6%``) is a figure of its own: value is the
  signed change, unit ``%``, and ``yoy`` the same number. Month-on-month changes (环比,
  较上月) are not year-on-year and never fill ``yoy``. Absolute changes
  (``比上年末净增1.2亿户``) become figures named after the change (``…净增``).
* **Periods.** The label is kept as written except that every month range becomes
  ``1—11月`` (``1-11月``, ``1~11月``, ``1至11月``, ``1月—11月``). A figure takes the last
  period written before it in its sentence; a sentence with no period inherits the one of
  the previous sentence in the same paragraph (text not broken by a newline). Periods
  after 较/比 are comparison bases and are ignored. ``11月末`` is a point in time
  (start = end = 30 November). ``今年``/``去年``/``明年`` alone are years; ``去年同期``,
  ``2020年以前`` or ``2020年起`` are not periods.
* **Units whole.** A unit is read as printed, however long: ``个百分点``, ``亿GB``, ``万户``,
  ``GWh``, ``TB/s``. In a list written with the unit once (``提高0.5个和2.2个百分点``) every
  number takes the list's unit.
* **Names.** An indicator is a noun phrase naming a measured thing: leading prepositions,
  conjunctions and time words are trimmed (``与``, ``在``, ``未来``, ``目前`` ...), and a
  figure whose name would be only a function word, a generic noun (``数据``, ``占比``), a word
  pointing back (``这一比例``) or a clause (``…表示``) is not proposed at all. There is no
  fallback name taken from elsewhere in the sentence.

Not proposed, because features and commentary quote numbers this way without measuring
anything: shares of a population (``有63%的受访者``, ``93%的中小企业``, ``超6成企业``, survey
answers), differences from another quantity (``比同期工业高5.4个百分点``, ``是4G的1.5倍``,
``高于行业平均水平30%``, changes after ``与华为相比``), the starting point of
``从10%上升到23%`` (the figure is 23%), ``一倍`` (as loose as 翻番), and any quantity
without digits or a number the extractor can read (``数十亿``, ``上百家``, ``翻番``, ``一半``).
A growth rate followed by its level (``同比增长11.3%，达到2.02亿台``) is one figure.
"""

from __future__ import annotations

import bisect
import calendar
import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from editorial.parsing.normalise import fullwidth_to_ascii

__all__ = ["KeyFigure", "extract_key_figures"]


@dataclass
class KeyFigure:
    indicator: str
    period: str | None
    period_start: date | None
    period_end: date | None
    value: Decimal
    unit: str
    yoy: Decimal | None
    sentence: str
    start: int
    change_points: Decimal | None = None
    qualifier: str | None = None  # 超过/近/约/多/余/左右 ... as written, for approximate figures


# --------------------------------------------------------------------------- sentences

_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』）)]*")


def _split_sentences(text: str) -> list[tuple[int, str, bool]]:
    """(offset, sentence, starts_new_paragraph) for every non-blank sentence."""
    out: list[tuple[int, str, bool]] = []
    pos = 0
    bounds = [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]
    for end in bounds:
        chunk = text[pos:end]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            out.append((pos + lead, stripped, "\n" in chunk[:lead] or pos == 0))
        pos = end
    return out


# Full-width punctuation that matters inside numbers; normalise.py leaves it alone on purpose.
_NUMERIC_PUNCT = str.maketrans({"．": ".", "％": "%", "－": "-", "−": "-", "～": "~"})
_WHITESPACE = re.compile(r"\s+")


def _normalise(sentence: str) -> str:
    """ASCII digits and number punctuation; whitespace dropped unless it separates Latin words.

    Spaces and line breaks inside a sentence are PDF artefacts (``同比增长\\n12.6%``).
    """
    text = fullwidth_to_ascii(sentence).translate(_NUMERIC_PUNCT)

    def squeeze(m: re.Match[str]) -> str:
        pair = text[m.start() - 1 : m.start()] + text[m.end() : m.end() + 1]
        # "AI PC", "APP 2300余款": the space keeps a Latin word off the number or word after it.
        latin = len(pair) == 2 and pair.isascii() and pair.isalnum() and not pair.isdigit()
        return " " if latin else ""

    return _WHITESPACE.sub(squeeze, text)


# --------------------------------------------------------------------------- periods

_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}

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
class _Period:
    label: str
    start: date | None
    end: date | None
    pos: int
    comparison: bool


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _small_number(token: str) -> int:
    return int(token) if token.isdigit() else _CN_DIGITS[token]


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
        months = int(g["fm"]) if g["fm"].isdigit() else int(_chinese_number(g["fm"]))
        return (date(y, 1, 1), _month_end(y, months)) if 1 <= months <= 12 else None
    if g["fq"]:
        return date(y, 1, 1), _month_end(y, 3 * _small_number(g["fq"]))
    quarter = g["q1"] or g["q2"] or g["q3"]
    if quarter:
        q = _small_number(quarter)
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


def _find_periods(norm: str, year: int | None) -> list[_Period]:
    periods: list[_Period] = []
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
        periods.append(_Period(_period_label(m), dates[0], dates[1], m.start(), comparison))
    return periods


# --------------------------------------------------------------------------- number mentions

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
_QUALIFIER_BEFORE = re.compile(r"(超过|超出|超|逾|接近|将近|近|约为|约|不到|不足)$")
# A count (个, 家, 项 ...) or a bare 万/亿 is a figure only as a predicate ("基站超过70万个，"),
# not as an attribute of a following noun ("发布12项标准", "3家企业入选").
_PREDICATE_FOLLOWS = re.compile(
    r"(?:$|[，,。；;：:、）)\]”’\"（(]|同比|环比|比|较|相比|增|减|下降|降|回落|左右|以上|分别|占"
    r"|其中|(?:和|及|与|以及)[\d一二两三四五六七八九十])"
)


@dataclass
class _Mention:
    pos: int
    end: int
    value: Decimal
    unit: str
    qualifier: str | None
    written: str = ""  # the number as printed (一倍, 2万多个)


def _chinese_number(token: str) -> Decimal | None:
    """一 → 1, 十五 → 15, 二十 → 20, 三百 → 300; None for anything else."""
    total, digit = 0, None
    for char in token:
        if char in _CN_DIGITS:
            if digit is not None:
                return None
            digit = _CN_DIGITS[char]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[char]
            digit = None
    return Decimal(total + (digit or 0))


def _is_model_number(norm: str, pos: int) -> bool:
    """R16, iPhone12, Wi-Fi6: digits glued to a word are a name. ARPU46元 is a figure."""
    word = _LATIN_BEFORE.search(norm[max(0, pos - 12) : pos])
    return bool(word) and not (len(word.group()) >= 2 and word.group().isupper())


def _arabic_mention(m: re.Match[str], norm: str) -> _Mention | None:
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


def _chinese_mention(m: re.Match[str], norm: str) -> _Mention | None:
    value = _chinese_number(m.group("cn"))
    if value is None:
        return None
    return _finish_mention(m, norm, value, m.group("base"), m.group("post"))


def _finish_mention(
    m: re.Match[str], norm: str, value: Decimal, unit: str, more: str | None
) -> _Mention:
    if unit == "成":  # tenths → percent, see the module docstring
        value, unit = value * 10, "%"
    if unit == "百分点":
        unit = "个百分点"
    before = _QUALIFIER_BEFORE.search(norm[max(0, m.start() - 2) : m.start()])
    qualifier = before.group(1) if before else more
    return _Mention(m.start(), m.end(), value, unit, qualifier, m.group(0))


_UNIT_LIST_JOINER = re.compile(r"(?:、|和|及|与|以及|或)")


def _find_mentions(norm: str) -> list[_Mention]:
    found = [_arabic_mention(m, norm) for m in _ARABIC.finditer(norm)]
    found += [_chinese_mention(m, norm) for m in _CHINESE.finditer(norm)]
    mentions = sorted((x for x in found if x is not None), key=lambda x: x.pos)
    return _share_list_units(norm, mentions)


def _share_list_units(norm: str, mentions: list[_Mention]) -> list[_Mention]:
    """``提高0.5个和2.2个百分点``: a list written with the unit once, at its end.

    The earlier numbers read as ``个`` (or a bare ``万``) on their own; they take the fuller
    unit of the number after them. Right to left, so a whole list follows its last unit.
    """
    for mention, following in reversed(list(itertools.pairwise(mentions))):
        joined = _UNIT_LIST_JOINER.fullmatch(norm[mention.end : following.pos])
        longer = following.unit.startswith(mention.unit) and following.unit != mention.unit
        if joined and longer and mention.unit in ("个", *_MAGNITUDES.split("|")):
            mention.unit = following.unit
    return mentions


# --------------------------------------------------------------------------- context words

_CLAUSE_SEP = re.compile(r"[，,：:]")
_LIST_JOINER = re.compile(r"^(?:和|与|及|以及|、|或)$")
_POSITIVE = "增长|增加|上升|提高|提升|上涨|扩大|加快|回升|攀升|净增|新增|增|涨"
_NEGATIVE = "下降|减少|回落|下滑|降低|下跌|放缓|收窄|缩小|缩短|萎缩|净减|降|减|跌"
_CHANGE_VERB = re.compile(rf"(?P<verb>{_POSITIVE}|{_NEGATIVE})了?$")
_RATE_NOUN = re.compile(
    r"(?P<noun>增速|增幅|增长率|增长速度|降幅)(?:将|预计|有望|仍将|仍|继续|可能|或将)*"
    r"(?:为|达到|达|是|保持在|维持在|在)?$"
)
_BASE_MARKER = re.compile(r"同比|环比|相比|(?<![占对])比(?![重例率])|较(?![快大高低好为多少早晚])")
_YOY_BASE = re.compile(r"^$|同比|上年|去年|同期|上一年")
_AVERAGE = re.compile(r"年均|年平均|平均每年")
_TO_LEVEL = re.compile(rf"(?:{_POSITIVE}|{_NEGATIVE})?(?:至|到)$")  # 增长至 2亿户: a level
_RATE_TO_LEVEL = re.compile(
    rf"(?P<noun>增速|增幅|增长率|增长速度|降幅)(?:(?:较|比)[^，,]{{0,8}}?)?(?:{_POSITIVE}|{_NEGATIVE})?"
    r"了?(?:至|到)$"
)
# A difference from another quantity (高于全国平均水平, 相当于…的两倍, 比同期工业高) is not a
# figure; after a time base (比上年多, 较上月高) it is a change like any other.
_GAP_WORDS = re.compile(r"高于|低于|多于|少于|快于|慢于|好于|差于|优于|相当于")
_GAP_END = re.compile(r"(?<![提降减增最不更至拉])(高|低|多|少)出?了?$")
_TIME_WORDS = re.compile(
    r"上一?年|去年|上个?月|上一?季度|上期|上一期|同期|年初|年末|年底|月末|月底|此前|以前|之前|末|底|初"
    r"|的|水平|和|与|及|、"
)

_BASE_YEAR = re.compile(r"((?:19|20)\d{2})年(?!同期)")
_SHARE_ADVERBS = r"(?:约|已|均|仅|只|则|也|还|仍|共|合计|大约|分别|预计|将|有望|可能|或)*"
_SHARE_MARKER = re.compile(rf"^{_SHARE_ADVERBS}占(?!比)|^在.+中的?占")

_LEADING_WORDS = re.compile(
    r"^(?:其中|此外|另外|同时|而且|并且|但是|但|而|并|且|全国|我国|全行业|当月|本月|当季|同期"
    r"|累计|共计|合计|总计|完成|实现|达到|已经|已|预计|将|均|截至|截止到|截止|以来|另有|共有|共"
    r"|单月|力争|到|至|未来|目前|当前|如今|现在|今后|届时|此前|近年来|近年|眼下|当下)"
)
# Prepositions and conjunctions in front of a name: 与华为相比, 在全球市场, 从区域看.
# 在用数据中心, 从业人员, 同城快递, 对外投资 and 由于 are words of their own.
_LEADING_FUNCTION_WORDS = re.compile(
    r"^(?:对于|关于|根据|按照|随着|通过|经过|与|和|同(?![城步业期类])|跟|对(?![外象])"
    r"|在(?![用建营网线售役职校]|.+中的?占)"
    r"|从(?!业)|向|把|被|由(?!于))"
)
_TRAILING_WORDS = re.compile(
    r"(?:完成|实现|达到|达|(?<![华作行认成因])为|是|约为|约|超过|超出|超|突破|逾|近|接近|将近"
    r"|不到|不足|高达|多达|共计|合计|总计|累计|共|已经|已|将|均为|均达到|均达|均超过|分别|同比"
    r"|环比|的|保持在|仅|只有|拥有|有|仍然|仍|还|预计|有望|在|首次|再次|进一步|一度|更是|甚至"
    r"|普遍|也|又|一举|要|却|则(?<![规原法准]则))$"
)
_EVERY = re.compile(r"每(?:年|月|天|日)的?")  # 国内数据中心每年的耗电量 → 国内数据中心耗电量
_DROPPED_VERB = re.compile(r"(?:完成|实现|录得|建成|拥有|共发展|开展)")
_KEPT_VERB = re.compile(r"(?:净增|新增|新建|新开通)")
_GENERIC_SUBJECTS = {"", "增速", "增幅", "增长率", "增长速度", "降幅", "其", "同比", "环比"}
_GENERIC_HEADS = {"总数", "总量", "总规模", "规模", "总额", "占比", "比重", "数量"}
_SHARE_WORDS = {"占比", "比重"}  # 占比较上年末提高1.7个百分点: a change of the share before
# Heads that several listed names share: 云计算和数据中心业务收入 → 云计算业务收入.
_SHARED_HEADS = [
    "业务收入",
    "收入",
    "用户",
    "出货量",
    "产量",
    "销量",
    "流量",
    "利润",
    "投资",
    "增加值",
    "出口额",
    "进口额",
    "营收",
]
_NAME_SPLIT = re.compile(r"以及|和|与|、|(?<!普)及")
# Names that are function words, time words or bare generic nouns, not a measured thing.
_NOT_NAMES = {
    "数据",
    "数字",
    "数值",
    "指标",
    "水平",
    "其中",
    "同比",
    "环比",
    "达到",
    "占比",
    "比重",
    "比例",
    "份额",
    "增速",
    "增幅",
    "增长",
    "数量",
    "规模",
    "总数",
    "总量",
    "总额",
    "合计",
    "累计",
    "共计",
    "未来",
    "目前",
    "当前",
    "如今",
    "今后",
    "同期",
    "全年",
    "年均",
    "平均",
    "其",
    "此",
    "这",
    "该",
    "目标",
    "任务",
    "计划",
}
# 这一比例, 该数字: a word pointing back at something named elsewhere.
_ANAPHORA = re.compile(
    r"^(?:这一|这个|这些|这|该|此|其|上述|前者|后者)(?:数字|数据|比例|比重|占比|数值|指标|规模"
    r"|水平|增速|增幅|份额|数量|总数)?$"
)
# 有的企业, 部分运营商, 不少厂商: not a measured population.
_INDEFINITE = re.compile(r"^(?:有的|有些|有人|一些|部分|不少|很多|许多|多数|大多数|少数|个别|某些)")
_SHARE_NOUN = re.compile(r"占|比重|比例|份额|率")
# 从去年的不足10%上升到了今年的23%: the first number is where a change starts.
_FROM_VALUE = re.compile(r"从(?![业事])[^从，,至到]{0,12}$")
_TO_AFTER_FROM = re.compile(r"[^，,的]{0,4}?(?:至|到)了?(?:目前|如今|现在)?的?")
_FROM_TO = re.compile(
    r"从(?![业事])[^从，,]{0,16}?(?:至|到)了?(?:目前|如今|现在)?的?$"
)  # 从十几家发展到
# 以21.9%的份额位居第一: the measure named after the number.
_MEASURE_NOUN_AFTER = re.compile(r"的((?:市场)?份额|比重|占比)")
# 实现8%左右的增长: a growth rate written before its noun.
_GROWTH_AFTER = re.compile(r"的(?:(?P<up>增长|增幅|涨幅)|(?P<down>下降|下滑|降幅|跌幅))")
_COMPARED_WITH = re.compile(r"(?:与|同|和|跟)(?P<thing>[^，,。；;]{1,20}?)(?:相比|相较)")
_MULTIPLE_OF = re.compile(r"(?:是|为|相当于)(.*?)的?(?:大约|约)?$")
_LEVEL_LINK = re.compile(r"达到|达|为|升至|增至|突破|超过|超")
# A share of a population rather than of a measured quantity (see _SentenceReader._loose).
_RESPONDENTS = re.compile(r"受访|被访|被调查|受调查|问卷|调查对象|接受调查|参与调查|被调研")
_SHARE_OF_SOME = re.compile(r"(?<!拥)有$")  # 有63%的…, 有近七成…
_MEASURE_AFTER = re.compile(
    r"的(?:市场)?(?:份额|比重|比例|占比|增速|增幅|增长|涨幅|降幅|渗透率|普及率|覆盖率)"
)
_POPULATION_AFTER = re.compile(
    r"的?(?:中小)?(?:企业|公司|厂商|用户|网民|受访|被访|消费者|家庭|城市|人|员工|运营商|项目|机构"
    r"|单位|居民)"
)
_THIS_IS = re.compile(r"^(?:这|那)(?:已经|已|也|就|又|还|便|正|无疑)?(?:是|意味着)")
_CLAUSE_WORDS = re.compile(r"表示|认为|指出|显示|透露|获悉|估计|看来|坦言|据悉|称|预期|把")


def _is_name(name: str) -> bool:
    """Whether ``name`` can stand as an indicator: a noun phrase naming a measured thing."""
    if len(name) < 2 or name in _NOT_NAMES or _ANAPHORA.match(name):
        return False
    if name.endswith("中"):
        return False  # 转出用户中超6成…: a share of a population
    if _THIS_IS.match(name):
        return False  # 这已经是该公司连续第三年…: a remark about a figure, not its name
    return not (_INDEFINITE.match(name) or _CLAUSE_WORDS.search(name))


@dataclass
class _Clue:
    """What the words before a number say about it."""

    subject: str  # the words naming the indicator, uncleaned
    sign: int = 0  # +1/-1 when the number is a change, 0 for a level
    verb: str = ""  # the change word as written (增长, 净增, 增速 ...)
    yoy_base: bool = True  # a change compared with the same period a year earlier
    base: str = ""  # the comparison words as written (环比, 较上月 ...)
    grouped: bool = False  # 分别: the numbers pair with several indicators
    gap: bool = False  # 比同期工业高5.4个百分点: a difference from another quantity, not a figure
    base_year: int | None = None  # 较2019年增长: year-on-year when the figure is of 2020


_TIME_SPAN = re.compile(
    r"(?:近|过去|最近)[\d一二三四五六七八九十两]+年(?:来|间|以来)?"
    r"|在?(?:未来|今后)[\d一二三四五六七八九十两几]+年(?:内|间|里)?"
)


def _strip_periods(text: str) -> str:
    return _TIME_SPAN.sub("", _PERIOD.sub("", text))


def _is_time_base(words: str) -> bool:
    """较上年末, 比1—9月, 较2019年: the base is an earlier time, not another quantity."""
    return not _TIME_WORDS.sub("", _strip_periods(words))


def _read_clue(context: str) -> _Clue:
    grouped = "分别" in context
    text = context.replace("分别", "")
    text = _QUALIFIER_BEFORE.sub("", text)
    if _GAP_WORDS.search(text):
        return _Clue(text, grouped=grouped, gap=True)
    rate = _RATE_TO_LEVEL.search(text)
    if rate:  # 降幅收窄至5.2%: the rate reached, a change against a year earlier
        noun = rate.group("noun")
        subject = text[: rate.start()]
        yoy = "环比" not in text and not _AVERAGE.search(subject)
        return _Clue(subject, -1 if noun == "降幅" else 1, noun, yoy, "", grouped)
    if _TO_LEVEL.search(text):
        return _Clue(_TO_LEVEL.sub("", text), grouped=grouped)
    change = _CHANGE_VERB.search(text) or _RATE_NOUN.search(text) or _GAP_END.search(text)
    if not change:
        return _Clue(text, grouped=grouped)
    verb = change.group(1)
    rest = text[: change.start()]
    marker = _BASE_MARKER.search(rest)
    subject, base = (rest[: marker.start()], rest[marker.start() :]) if marker else (rest, "")
    if change.re is _GAP_END and marker is None:
        return _Clue(text, grouped=grouped, gap=True)  # 与华为相比，其增速高出…
    if marker and not _is_time_base(rest[marker.end() :]):
        return _Clue(text, grouped=grouped, gap=True)  # 比同期工业高, 较传统方案降低
    sign = -1 if re.fullmatch(_NEGATIVE, verb) or verb in ("降幅", "低", "少") else 1
    if verb in ("收窄", "扩大", "缩小") and "降幅" in subject:
        sign = -sign  # a narrower decline is a rise in the growth rate
    # An average annual rate (年均增长) is not a change against the year before.
    yoy = bool(_YOY_BASE.search(base)) and not _AVERAGE.search(subject)
    year = _BASE_YEAR.search(base)
    return _Clue(
        subject,
        sign,
        verb,
        yoy,
        base,
        grouped,
        base_year=int(year.group(1)) if year and not yoy else None,
    )


def _clean_indicator(text: str) -> str:
    """The indicator's name: periods, connectives and verbs around it removed."""
    text = _EVERY.sub("", _strip_periods(text)).strip(' 、，,：:“”"')
    previous = None
    while text != previous:
        previous = text
        text = _LEADING_WORDS.sub("", text)
        text = _LEADING_FUNCTION_WORDS.sub("", text)
        text = _TRAILING_WORDS.sub("", text)
    dropped = list(_DROPPED_VERB.finditer(text))
    if dropped and dropped[-1].end() < len(text):
        text = text[dropped[-1].end() :]  # 企业完成软件业务收入 → 软件业务收入
    kept = list(_KEPT_VERB.finditer(text))
    if kept and kept[-1].start() > 0 and kept[-1].end() < len(text):
        text = text[kept[-1].start() :]  # 企业净增5G用户 → 净增5G用户
    return text.strip(' 、，,：:“”"')


def _split_names(subject: str, count: int) -> list[str]:
    """Indicators named before 分别, one per number when the counts agree."""
    names = [n for n in (_clean_indicator(p) for p in _NAME_SPLIT.split(subject)) if n]
    if len(names) != count:
        whole = _clean_indicator(subject)
        return [whole] * count
    return [_with_shared_head(n, names[-1]) for n in names[:-1]] + [names[-1]]


def _with_shared_head(name: str, last: str) -> str:
    if len(name) <= 2 and len(last) >= len(name) + 2:
        return name + last[len(name) :]  # 东部、中部、西部地区收入: the tail of the last name
    head = next((h for h in _SHARED_HEADS if last.endswith(h)), None)
    if head and not any(name.endswith(h) for h in _SHARED_HEADS):
        return name + head
    return name


# --------------------------------------------------------------------------- assembly


@dataclass
class _SentenceReader:
    """Turns the number mentions of one sentence into figures, left to right."""

    norm: str
    periods: list[_Period]
    inherited: _Period | None
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
        self.separators = [m.end() for m in _CLAUSE_SEP.finditer(self.norm)]
        frame = _COMPARED_WITH.search(self.norm)
        thing = frame is not None and not _is_time_base(frame.group("thing"))
        self.compared_from = frame.end() if thing else len(self.norm) + 1

    def read(self, mentions: list[_Mention]) -> list[KeyFigure]:
        for group, clue, context in self._groups(mentions):
            self._read_group(group, clue, context)
        return self.figures

    def _groups(self, mentions: list[_Mention]) -> list[tuple[list[_Mention], _Clue, str]]:
        """Runs of numbers joined by 和/、 share the words before the first of them."""
        groups: list[tuple[list[_Mention], _Clue, str]] = []
        prev_end = 0
        for mention in mentions:
            between = self.norm[prev_end : mention.pos]
            if groups and _LIST_JOINER.match(between):
                groups[-1][0].append(mention)
            else:
                # The words since the previous number or the last comma, whichever is nearer.
                context = self.norm[max(prev_end, self._clause_start(mention.pos)) : mention.pos]
                groups.append(([mention], _read_clue(context), context))
            prev_end = mention.end
        return groups

    def _clause_start(self, pos: int) -> int:
        i = bisect.bisect_right(self.separators, pos) - 1
        return self.separators[i] if i >= 0 else 0

    def _read_group(self, group: list[_Mention], clue: _Clue, context: str) -> None:
        if self._completes_change(group, context) or self._from_to(group, context):
            return
        self.last_standalone_change = None
        clue = self._growth_after(group, clue)
        kept = [m for m in group if not self._loose(m, context)]
        if clue.sign and not clue.base and group[0].pos > self.compared_from:
            clue.gap = True  # 与人工巡检相比，…时间缩短了八成: not a change over time
        if clue.gap or not kept:
            name = _clean_indicator(_strip_periods(clue.subject))
            if not clue.gap and _is_name(name):
                self.names.append(name)  # 付费会员数增长了近一倍，突破1.2亿: still the subject
            return
        group = kept
        subject = _clean_indicator(clue.subject)
        last_is_share = bool(self.figures) and self.figures[-1].unit == "%"
        subject_is_generic = subject in _GENERIC_SUBJECTS or (
            subject in _SHARE_WORDS and last_is_share
        )
        relative = group[0].unit in ("%", "个百分点")
        if clue.sign and relative and subject_is_generic and self.figures:
            if len(self.figures) >= len(group):
                self._attach_changes(group, clue)
                return
            if _UNIT_LIST_JOINER.search(clue.base):
                # 增速较1—10月和去年同期分别提高0.5个和2.2个百分点: one figure, several bases;
                # the first (the latest period) is the one change_points holds.
                self._attach_changes(group[:1], clue)
                return
        names = self._names_for(group, clue)
        for mention, name in zip(group, names, strict=True):
            if _is_name(name):
                self._add(mention, clue, name)

    def _from_to(self, group: list[_Mention], context: str) -> bool:
        """份额从去年的不足10%上升到了今年的23%: the figure is the level reached, 23%."""
        if len(group) == 1 and _FROM_VALUE.search(context):
            subject = _clean_indicator(context[: context.rindex("从")])
            self.from_name = subject if _is_name(subject) else (self.names or [None])[-1]
            return True
        name, self.from_name = self.from_name, None
        words = _strip_periods(_QUALIFIER_BEFORE.sub("", context))
        if len(group) != 1:
            return False
        if name is None:
            from_to = _FROM_TO.search(words)  # the start was no number of its own: 从十几家
            name = _clean_indicator(words[: from_to.start()]) if from_to else None
            if not (name and _is_name(name)):
                return False
        elif not _TO_AFTER_FROM.fullmatch(words):
            return False
        self._add(group[0], _Clue(name), name)
        return True

    def _growth_after(self, group: list[_Mention], clue: _Clue) -> _Clue:
        """实现8%左右的增长: a change whose verb comes after the number, as a noun."""
        growth = _GROWTH_AFTER.match(self.norm, group[-1].end)
        if clue.sign or group[-1].unit != "%" or not growth:
            return clue
        sign = 1 if growth.group("up") else -1
        return replace(
            clue, sign=sign, verb=growth.group(0)[1:], yoy_base=not _AVERAGE.search(clue.subject)
        )

    def _loose(self, mention: _Mention, context: str) -> bool:
        """A number that is not a key figure whatever words surround it.

        Shares of a population (有63%的受访者, 93%的中小企业, 超6成企业), survey answers and
        ``一倍`` (as loose as 翻番) are how features talk, not measurements.
        """
        if mention.unit == "倍":
            # 是4G的1.5倍: a multiple of another thing; 是上年同期的3倍 is a change.
            of = _MULTIPLE_OF.search(_QUALIFIER_BEFORE.sub("", context))
            return mention.written.startswith("一") or bool(of and not _is_time_base(of.group(1)))
        if mention.unit != "%":
            return False
        after = self.norm[mention.end :]
        before = _QUALIFIER_BEFORE.sub("", context)
        if _RESPONDENTS.search(self.norm) or _SHARE_OF_SOME.search(before):
            return True
        if after.startswith("的") and not _MEASURE_AFTER.match(after):
            return True
        if before.endswith("的") and not _SHARE_NOUN.search(before):
            return True  # 真正把核心业务搬上云端的不足一成: the share of those who…
        return bool(_POPULATION_AFTER.match(after))

    def _completes_change(self, group: list[_Mention], context: str) -> bool:
        """提升1.4个百分点至29.9%: the level after 至 belongs to the change just read.

        So does the level in the clause after a growth rate: ``同比增长11.3%，达到2.02亿台``.
        """
        target = self.last_standalone_change
        if target is None or len(group) != 1:
            return False
        level = group[0]
        if context not in ("至", "到"):
            after_rate = target.unit == "%" and target.yoy is not None
            linked = _LEVEL_LINK.fullmatch(_QUALIFIER_BEFORE.sub("", context))
            if not (after_rate and linked and level.unit not in ("%", "个百分点")):
                return False
        target.value, target.unit = level.value, level.unit
        target.qualifier = level.qualifier
        self.last_standalone_change = None
        return True

    def _attach_changes(self, group: list[_Mention], clue: _Clue) -> None:
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

    def _names_for(self, group: list[_Mention], clue: _Clue) -> list[str]:
        subject = _strip_periods(clue.subject)
        by = re.search(r"以$", _QUALIFIER_BEFORE.sub("", subject))
        subject = subject[: by.start()] if by else subject
        if clue.grouped or len(group) > 1:
            names = _split_names(subject, len(group))
        else:
            names = [_clean_indicator(subject)]
        if by:  # 三星以21.9%的份额: 三星份额; 以约50亿美元的价格 is no measure
            noun = _MEASURE_NOUN_AFTER.match(self.norm, group[-1].end)
            self.measure_noun = noun.group(1) if noun else self.measure_noun
            names = [n + self.measure_noun if self.measure_noun else "" for n in names]
        return [self._complete_name(n, clue, m) for n, m in zip(names, group, strict=True)]

    def _complete_name(self, name: str, clue: _Clue, mention: _Mention) -> str:
        previous = self.names[-1] if self.names else ""
        if mention.unit == "倍":
            name = re.split(r"是|为|相当于", name)[0]
        if _SHARE_MARKER.match(name):  # 占全行业收入的63%, 在总流量中占比为45.5%
            name = previous + re.sub(rf"^{_SHARE_ADVERBS}占到?", "占", name) if previous else ""
            return name if name.endswith("占比") else _share_name(name)
        if mention.unit == "%" and re.search("占(?!比)", name):
            return _share_name(re.sub(f"{_SHARE_ADVERBS}占到?", "占", name))
        if name in _GENERIC_HEADS and previous:
            # 机架数量…总规模 → 机架总规模, 用户净增…总数 → 用户总数
            return re.sub(r"(?:数量|总数|总量|规模)$", "", previous) + name
        if name in _GENERIC_SUBJECTS:
            name = previous
        elif name in ("年均", "平均"):
            name = re.sub(r"总数$", "", previous) + name  # 机架总数…年均增速 → 机架年均增速
        if clue.sign and mention.unit not in ("%", "个百分点") and name:
            # An absolute change: 5G用户净增 (not 5G用户总数净增).
            return re.sub(r"总数$", "", name) + clue.verb
        period = self._period_before(mention.pos)
        yoy = _year_on_year(clue, period.start if period else None, period.end if period else None)
        if clue.sign and mention.unit == "%" and not yoy and name:
            return name + _strip_periods(clue.base) + clue.verb  # 环比增长, 年均增速
        return name

    def _add(self, mention: _Mention, clue: _Clue, name: str) -> None:
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

    def _period_before(self, pos: int) -> _Period | None:
        own = [p for p in self.periods if not p.comparison and p.pos < pos]
        return own[-1] if own else self.inherited


def _year_on_year(clue: _Clue, start: date | None, end: date | None) -> bool:
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


def _base_name(name: str, clue: _Clue) -> str:
    """The indicator a later 总数/净增/占 refers back to: the name without its change verb."""
    if clue.sign and clue.verb and name.endswith(clue.verb):
        return name[: -len(clue.verb)]
    return re.sub(r"(?:净增|新增)$", "", name)


def _sentence_period(periods: list[_Period]) -> _Period | None:
    own = [p for p in periods if not p.comparison]
    return own[-1] if own else None


def extract_key_figures(text: str, *, year: int | None = None) -> list[KeyFigure]:
    """Key figures of ``text`` in text order.

    ``year`` resolves periods written without one (``1—11月``, ``今年``); without it such
    periods keep their label but get no dates.
    """
    figures: list[KeyFigure] = []
    seen: set[tuple] = set()
    carried: _Period | None = None
    for start, sentence, new_paragraph in _split_sentences(text):
        norm = _normalise(sentence)
        periods = _find_periods(norm, year)
        inherited = None if new_paragraph else carried
        reader = _SentenceReader(norm, periods, inherited, sentence, start)
        for figure in reader.read(_find_mentions(norm)):
            key = (
                figure.start,
                figure.indicator,
                figure.value,
                figure.unit,
                figure.yoy,
                figure.change_points,
            )
            if key not in seen:
                seen.add(key)
                figures.append(figure)
        carried = _sentence_period(periods) or inherited
    return figures
