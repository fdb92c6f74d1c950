"""Shapes of lines that bulletins share, whatever reads them (plain text, PDF).

Matched against a line's key (spaces removed, full-width digits and letters made ASCII),
except SENTENCE_END, a set of characters. The text parser and the PDF reader both use
them, so a page number, a copyright line or a source line is recognised alike in both.
"""

from __future__ import annotations

import re

SENTENCE_END = frozenset("。！？!?.．…”’」』）)】")
# Section names end in words like these (used only when no sections are configured).
SECTION_SUFFIX = re.compile(r"(?:环境|竞争|情报|借鉴|动态|政策|市场|聚焦|关注|专题|要闻|综述)$")

# --- page furniture ---
PAGE_NUMBER = re.compile(
    r"(?i)^(?:page\d{1,4}(?:(?:of|/)\d{1,4})?|p\.?\d{1,4}|[-–—－~～]\d{1,4}[-–—－~～]"
    r"|第\d{1,4}页(?:[/，,]?共\d{1,4}页)?|\d{1,4}/\d{1,4})$"
)
BARE_NUMBER = re.compile(r"^\d{1,3}$")
CONTENTS = re.compile(r"^(?:本期)?目录$")
LEADER = re.compile(r"(?:[.·…．・_]{3,}|…+)\s*\d{1,3}$")
STRONG_NOTICE = re.compile(r"(?i)©|\(c\)\d{4}|copyright|版权所有")
WEAK_NOTICE = re.compile(
    r"版权|未经.{0,20}?(?:不得|禁止|严禁|请勿).{0,6}?(?:转载|复制|传播|引用|使用)"
    r"|仅供.{0,20}?参考|咨询电话|联系电话|服务热线|内部资料|请勿外传"
)
DATE = re.compile(r"((?:19|20)\d{2})[.．/\-年](\d{1,2})[.．/\-月](\d{1,2})")
NAME_SHAPE = re.compile(
    r"(?:监测|周刊|月刊|周报|月报|日报|快报|简报|动态|观察|参考|通讯|要情|专报|内参|资讯)"
    r"(?:\d{4}年)?(?:第\d+期)?(?:总第\d+期)?$"
)
ISSUE_SUFFIX = re.compile(r"\s*(?:(?:19|20)\d{2}\s*年)?\s*(?:第\s*\d+\s*期|总第\s*\d+\s*期).*$")

# --- figures ---
SOURCE_LINE = re.compile(
    r"(?i)^[（(【\[]?(?P<figure>资料|数据|图表|图片|信息)?来源[:：]|^[（(]?source:"
)
CAPTION_PREFIX = re.compile(r"^(?:图|表|图表)\d+")
