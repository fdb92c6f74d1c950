"""Radical code points in PDF text layers become the ideographs they stand for."""

from __future__ import annotations

import unicodedata

import pytest

from editorial.parsing.glyphs import RADICAL_SUPPLEMENT, unify_radicals


def _is_unified_ideograph(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


@pytest.mark.parametrize(("radical", "ideograph"), sorted(RADICAL_SUPPLEMENT.items()))
def test_each_supplement_entry_maps_to_a_unified_ideograph(radical, ideograph):
    assert 0x2E80 <= ord(radical) <= 0x2EF3
    assert unicodedata.name(radical).startswith("CJK RADICAL")
    assert _is_unified_ideograph(ideograph)
    assert unify_radicals(radical) == ideograph


@pytest.mark.parametrize("code", range(0x2F00, 0x2FD6))
def test_every_kangxi_radical_maps_to_a_unified_ideograph(code):
    assert _is_unified_ideograph(unify_radicals(chr(code)))


def test_kangxi_radicals_follow_nfkc_except_the_simplified_door():
    for code in range(0x2F00, 0x2FD6):
        if code != 0x2F3E:
            assert unify_radicals(chr(code)) == unicodedata.normalize("NFKC", chr(code))
    # 用户 in simplified text: the SC fonts draw ⼾ and 户 alike, NFKC would give 戶.
    assert unify_radicals("用\u2f3e") == "用户"


def test_the_forms_chromium_prints_with_noto_cjk():
    printed = "⼯业互联⽹⻓⾜发展 ⻋联⽹⻛电⻬头并进，⻔⼾与⻆⾊，⻘年⻚⾯，⻜机⻝品⻢匹⻥⻦⻨⻩⻮⻰⻳，⺠众⺟亲"
    assert unify_radicals(printed) == (
        "工业互联网长足发展 车联网风电齐头并进，门户与角色，青年页面，飞机食品马匹鱼鸟麦黄齿龙龟，民众母亲"
    )


def test_everything_else_is_left_alone():
    text = "１２３ＡＢＣ，。：；“”（）《》【】—…　全角标点与 ASCII text 12.5%，⺀⺌⺗ 部首本身"
    assert unify_radicals(text) == text


def test_the_table_has_no_entry_outside_the_supplement_block():
    assert all(0x2E80 <= ord(radical) <= 0x2EF3 for radical in RADICAL_SUPPLEMENT)
    assert len(set(RADICAL_SUPPLEMENT)) == len(RADICAL_SUPPLEMENT)


def test_the_dash_read_back_as_a_horizontal_bar_is_an_em_dash():
    assert unify_radicals("1\u20159月，同比增长") == "1\u20149月，同比增长"
    assert unify_radicals("\u2014\u2013-") == "\u2014\u2013-"  # other dashes stay as they are
