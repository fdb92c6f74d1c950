"""Undo the radical code points some PDF text layers use for ordinary Chinese characters.

A PDF's text layer maps each glyph back to a character. When a font draws an ideograph
and a radical with the same glyph (Noto CJK draws 工 and the Kangxi radical ⼯ alike), the
PDF writer picks one code point for that glyph, and Chromium picks the lowest: the
radical. So a Chromium-printed bulletin can read ``⼯业互联⽹⻓⾜发展`` where the page shows
``工业互联网长足发展``. Searching, counting and key figures all need the ideographs back.

* Kangxi Radicals (U+2F00-U+2FD5) have compatibility decompositions to the ideographs,
  so NFKC of those characters alone gives them back. NFKC is never applied to the whole
  text: it would also turn full-width punctuation into ASCII.
* The CJK Radicals Supplement (U+2E80-U+2EF3) has (two exceptions aside) no
  decomposition, so an explicit table maps the forms that stand alone as a character
  in text, each to the unified ideograph the Noto CJK SC faces draw with the same glyph.
  Forms with no such ideograph (⺀ ⺌ ⺗ ...) are left alone: they are real radicals.
* The Chinese dash: ``1—9月`` printed with the SC faces reads back as ``1―9月``.
"""

from __future__ import annotations

import unicodedata

__all__ = ["RADICAL_SUPPLEMENT", "SHARED_PUNCTUATION", "unify_radicals"]

_KANGXI = range(0x2F00, 0x2FD6)

# Simplified-Chinese text means 户 (U+6237), which the SC faces draw with the ⼾ glyph;
# NFKC would give the traditional 戶 (U+6236).
_KANGXI_EXCEPTIONS = {0x2F3E: "\u6237"}

# CJK Radicals Supplement form -> the unified ideograph drawn with the same glyph.
RADICAL_SUPPLEMENT = {
    "\u2e82": "\u4e5b",  # ⺂ second one -> 乛
    "\u2e83": "\u4e5a",  # ⺃ second two -> 乚
    "\u2e85": "\u4ebb",  # ⺅ person -> 亻
    "\u2e87": "\U00020628",  # ⺇ table -> 𠘨
    "\u2e89": "\u5202",  # ⺉ knife two -> 刂
    "\u2e8b": "\u353e",  # ⺋ seal -> 㔾
    "\u2e8d": "\U0002d544",  # ⺍ small two -> 𭕄
    "\u2e8e": "\u5140",  # ⺎ lame one -> 兀
    "\u2e8f": "\u5c23",  # ⺏ lame two -> 尣
    "\u2e90": "\u5c22",  # ⺐ lame three -> 尢
    "\u2e92": "\u5df3",  # ⺒ snake -> 巳
    "\u2e93": "\u5e7a",  # ⺓ thread -> 幺
    "\u2e94": "\u5f51",  # ⺔ snout one -> 彑
    "\u2e95": "\u5f50",  # ⺕ snout two -> 彐
    "\u2e96": "\u5fc4",  # ⺖ heart one -> 忄
    "\u2e98": "\u624c",  # ⺘ hand -> 扌
    "\u2e99": "\u6535",  # ⺙ rap -> 攵
    "\u2e9b": "\u65e1",  # ⺛ choke -> 旡
    "\u2e9e": "\u6b7a",  # ⺞ death -> 歺
    "\u2e9f": "\u6bcd",  # ⺟ mother -> 母
    "\u2ea0": "\u6c11",  # ⺠ civilian -> 民
    "\u2ea1": "\u6c35",  # ⺡ water one -> 氵
    "\u2ea2": "\u6c3a",  # ⺢ water two -> 氺
    "\u2ea3": "\u706c",  # ⺣ fire -> 灬
    "\u2ea4": "\u722b",  # ⺤ paw one -> 爫
    "\u2ea6": "\u4e2c",  # ⺦ simplified half tree trunk -> 丬
    "\u2ea8": "\u72ad",  # ⺨ dog -> 犭
    "\u2ea9": "\U000248e9",  # ⺩ jade -> 𤣩
    "\u2eab": "\u7f52",  # ⺫ eye -> 罒
    "\u2ead": "\u793b",  # ⺭ spirit two -> 礻
    "\u2eae": "\U00025ad7",  # ⺮ bamboo -> 𥫗
    "\u2eaf": "\u7cf9",  # ⺯ silk -> 糹
    "\u2eb0": "\u7e9f",  # ⺰ C-simplified silk -> 纟
    "\u2eb1": "\u7f53",  # ⺱ net one -> 罓
    "\u2eb2": "\u7f52",  # ⺲ net two -> 罒
    "\u2eb3": "\u34c1",  # ⺳ net three -> 㓁
    "\u2eb9": "\u8002",  # ⺹ old -> 耂
    "\u2eba": "\u8080",  # ⺺ brush one -> 肀
    "\u2ebd": "\U00026951",  # ⺽ mortar -> 𦥑
    "\u2ebe": "\u8279",  # ⺾ grass one -> 艹
    "\u2ebf": "\u8279",  # ⺿ grass two -> 艹
    "\u2ec0": "\u8279",  # ⻀ grass three -> 艹
    "\u2ec1": "\u864e",  # ⻁ tiger -> 虎
    "\u2ec2": "\u8864",  # ⻂ clothes -> 衤
    "\u2ec3": "\u8980",  # ⻃ west one -> 覀
    "\u2ec5": "\u89c1",  # ⻅ C-simplified see -> 见
    "\u2ec6": "\u89d2",  # ⻆ simplified horn -> 角
    "\u2ec7": "\U000278b2",  # ⻇ horn -> 𧢲
    "\u2ec8": "\u8ba0",  # ⻈ C-simplified speech -> 讠
    "\u2ec9": "\u8d1d",  # ⻉ C-simplified shell -> 贝
    "\u2eca": "\U00027fb7",  # ⻊ foot -> 𧾷
    "\u2ecb": "\u8f66",  # ⻋ C-simplified cart -> 车
    "\u2ecc": "\u8fb6",  # ⻌ simplified walk -> 辶
    "\u2ecf": "\u961d",  # ⻏ city -> 阝
    "\u2ed0": "\u9485",  # ⻐ C-simplified gold -> 钅
    "\u2ed1": "\u9577",  # ⻑ long one -> 長
    "\u2ed2": "\u9578",  # ⻒ long two -> 镸
    "\u2ed3": "\u957f",  # ⻓ C-simplified long -> 长
    "\u2ed4": "\u95e8",  # ⻔ C-simplified gate -> 门
    "\u2ed5": "\U00028e0f",  # ⻕ mound one -> 𨸏
    "\u2ed6": "\u961d",  # ⻖ mound two -> 阝
    "\u2ed8": "\u9752",  # ⻘ blue -> 青
    "\u2ed9": "\u97e6",  # ⻙ C-simplified tanned leather -> 韦
    "\u2eda": "\u9875",  # ⻚ C-simplified leaf -> 页
    "\u2edb": "\u98ce",  # ⻛ C-simplified wind -> 风
    "\u2edc": "\u98de",  # ⻜ C-simplified fly -> 飞
    "\u2edd": "\u98df",  # ⻝ eat one -> 食
    "\u2ede": "\U0002967f",  # ⻞ eat two -> 𩙿
    "\u2edf": "\u98e0",  # ⻟ eat three -> 飠
    "\u2ee0": "\u9963",  # ⻠ C-simplified eat -> 饣
    "\u2ee1": "\U00029810",  # ⻡ head -> 𩠐
    "\u2ee2": "\u9a6c",  # ⻢ C-simplified horse -> 马
    "\u2ee3": "\u9aa8",  # ⻣ bone -> 骨
    "\u2ee4": "\u9b3c",  # ⻤ ghost -> 鬼
    "\u2ee5": "\u9c7c",  # ⻥ C-simplified fish -> 鱼
    "\u2ee6": "\u9e1f",  # ⻦ C-simplified bird -> 鸟
    "\u2ee7": "\u5364",  # ⻧ C-simplified salt -> 卤
    "\u2ee8": "\u9ea6",  # ⻨ simplified wheat -> 麦
    "\u2ee9": "\u9ec4",  # ⻩ simplified yellow -> 黄
    "\u2eea": "\u9efe",  # ⻪ C-simplified frog -> 黾
    "\u2eeb": "\u6589",  # ⻫ J-simplified even -> 斉
    "\u2eec": "\u9f50",  # ⻬ C-simplified even -> 齐
    "\u2eee": "\u9f7f",  # ⻮ C-simplified tooth -> 齿
    "\u2eef": "\u7adc",  # ⻯ J-simplified dragon -> 竜
    "\u2ef0": "\u9f99",  # ⻰ C-simplified dragon -> 龙
    "\u2ef1": "\u9f9c",  # ⻱ turtle -> 龜
    "\u2ef2": "\u4e80",  # ⻲ J-simplified turtle -> 亀
    "\u2ef3": "\u9f9f",  # ⻳ C-simplified turtle -> 龟
}


# Punctuation the SC faces draw with one glyph: in Chinese text a dash printed as the
# full-width 破折号 comes back as HORIZONTAL BAR (U+2015); it was an EM DASH (U+2014).
SHARED_PUNCTUATION = {"\u2015": "\u2014"}


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in _KANGXI:
        char = chr(code)
        if unicodedata.name(char, ""):  # every code point of the block is assigned
            table[code] = unicodedata.normalize("NFKC", char)
    table.update(_KANGXI_EXCEPTIONS)
    table.update({ord(radical): ideograph for radical, ideograph in RADICAL_SUPPLEMENT.items()})
    table.update({ord(shared): meant for shared, meant in SHARED_PUNCTUATION.items()})
    return table


_TABLE = _table()


def unify_radicals(text: str) -> str:
    """Radical code points that stand for ordinary characters become those characters,
    and a dash read back as U+2015 becomes the em dash it was.

    Everything else, full-width punctuation included, is returned unchanged.
    """
    return text.translate(_TABLE)
