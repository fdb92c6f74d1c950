"""Widths and shapes the text parser measures lines by: layout constants, punctuation, patterns."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# --- layout constants (widths in full-width characters; Latin letters and digits 0.5) ---
DEFAULT_PAGE_WIDTH = 40.0
MAX_PAGE_WIDTH = 60.0  # no A4 column holds more full-width characters than this
MIN_MEASURED_LINES = 5
INDENT_BAND = (1.5, 3.0)  # a first line is this much narrower than a full one
SHORT_SHARE = 0.85  # a line narrower than this share of the page width is "clearly short"
DOUBT_SHARE = 0.95  # between short and this, a paragraph may or may not end
TITLE_MAX_WIDTH = 35.0
TITLE_MAX_SHARE = 0.88
WRAPPED_TITLE_MIN_WIDTH = 18.0  # a title line this wide may have wrapped onto a second one
LABEL_MAX_WIDTH = 6.0
SECTION_MAX_WIDTH = 6.0
HEADER_MAX_WIDTH = 24.0

# --- punctuation ---
STOPS = frozenset("。！？!?.．")
CLAUSE_MARKS = frozenset("，、；：,;:")  # a line ending in one goes on in the next
CLOSERS = frozenset("”’」』）)】")
NOT_HEADING_END = frozenset("。，、；：,;:.")

# --- furniture patterns (matched against the line with spaces removed, ASCII digits) ---
# Text saved from word processors (and pdftotext -layout) indents a paragraph's first line;
# a single leading space is only extraction noise.
PARAGRAPH_INDENTS = ("\u3000\u3000", "    ", "\t")
PHONE = re.compile(r"\d{3,4}[-－]\d{3,4}[-－]?\d{3,4}|\d{7,}")

# --- lines and leads ---
DATED_LEAD = re.compile(
    r"^(?:(?:19|20)\d{2}年)?\d{1,2}月(?:\d{1,2}日|上旬|中旬|下旬|初|底|末)"
    r"|^\d{1,2}日[，,]|^(?:近日|日前|近期|昨日|今日|本周|上周|日内|当地时间|北京时间|美国时间)"
)
SOURCE_LEAD = re.compile(
    r"^(?:据.{1,24}?(?:报道|消息|披露)|【|(?:资料)?来源[:：]|[^，,。]{2,16}?\d{1,2}月\d{1,2}日电)"
)
_PERIOD_LEAD = re.compile(
    r"^(?:今年|去年|本年|(?:19|20)\d{2}年)?(?:前[一二三四1-4]季度|第?[一二三四1-4]季度|[上下]半年"
    r"|\d{1,2}[—–－\-~～至到]\d{1,2}月|\d{1,2}月份?[，,]|截至)"
)
PARAGRAPH_OPENER = re.compile(
    DATED_LEAD.pattern
    + r"|^(?:其中|此外|另外|同时|与此同时|据|目前|截至|数据显示|报告显示|总体来看|值得注意的是)"
    + r"|^[^，。]{1,12}?(?:表示|认为|指出|提出|明确|强调|显示|介绍|称)[，：,:]"
)
NUMBERING = (
    ("cn", re.compile(r"^[一二三四五六七八九十]+[、.．]")),
    ("paren", re.compile(r"^[（(][一二三四五六七八九十\d]+[)）]")),
    ("arabic", re.compile(r"^\d{1,2}[、.．](?!\d)")),
    ("ordinal", re.compile(r"^(?:第[一二三四五六七八九十]+[，,、是]|[一二三四五六七八九十]是)")),
)
LABEL_COLON = re.compile(r"^[^：:]{1,6}[：:].")
END_MARK = re.compile(r"[（(](?:完|全文完|END|end)[)）]$")  # closes an article
_TWO_PART = re.compile(r"[\u4e00-\u9fff][ \u3000]+[\u4e00-\u9fff]")
NUMERIC_CELL = re.compile(r"^[-+－]?[\d.,，%％‰]+[%％‰]?$")


SENTENCE_MARKS = frozenset("。！？")


@lru_cache(maxsize=8192)
def _char_width(char: str) -> float:
    if ord(char) < 0x80:
        return 0.5
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F", "A") else 0.5


def line_width(text: str) -> float:
    """Printed width in full-width characters: CJK counts 1, Latin letters and digits 0.5."""
    return sum(_char_width(char) for char in text)


