import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from editorial.parsing.keyfigures import KeyFigure, extract_key_figures

GOLD = Path(__file__).parent / "data" / "keyfigures_gold.json"


def D(text):
    return None if text is None else Decimal(text)


def only(text, **kwargs) -> KeyFigure:
    figures = extract_key_figures(text, **kwargs)
    assert len(figures) == 1, figures
    return figures[0]


def summary(f: KeyFigure):
    return f.indicator, f.value, f.unit, f.yoy, f.change_points, f.period


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    "text, expected",
    [
        # level, then 同比 change
        (
            "1—11月，电信业务收入累计完成12451亿元，同比增长3.5%。",
            ("电信业务收入", D("12451"), "亿元", D("3.5"), None, "1—11月"),
        ),
        # 增长 without 同比 is still year-on-year
        (
            "上半年，云计算市场规模增长32%。",
            ("云计算市场规模", D("32"), "%", D("32"), None, "上半年"),
        ),
        # verb before the object; change in points goes to change_points
        (
            "今年1—10月，全国软件和信息技术服务业完成软件业务收入65360亿元，同比增长12.6%，"
            "增速较1—9月提高0.3个百分点。",
            ("软件业务收入", D("65360"), "亿元", D("12.6"), D("0.3"), "今年1—10月"),
        ),
        # growth-rate noun
        (
            "1—11月，软件业利润总额增速为8.2%。",
            ("软件业利润总额", D("8.2"), "%", D("8.2"), None, "1—11月"),
        ),
        # a standalone change in points
        (
            "5G用户渗透率比上年末提高18个百分点。",
            ("5G用户渗透率", D("18"), "个百分点", None, D("18"), None),
        ),
        # change in points, then the level it reached
        (
            "固定通信业务收入占比提升1.4个百分点至29.9%。",
            ("固定通信业务收入占比", D("29.9"), "%", None, D("1.4"), None),
        ),
    ],
)
def test_common_shapes(text, expected):
    assert summary(only(text, year=2020)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("11月，全国移动电话出货量3150万部，同比下降4.8%。", D("-4.8")),
        ("前三季度，我国通信设备出口额达到1260亿美元，同比减少2.3%。", D("-2.3")),
        ("上半年，国内手机出货量下滑18.7%。", D("-18.7")),
        ("1—11月，出口交货值同比增长-0.8%。", D("-0.8")),
    ],
)
def test_decreases_give_a_negative_yoy(text, expected):
    assert only(text, year=2020).yoy == expected


def test_falls_in_points_are_negative():
    f = only("11月，规模以上工业增加值同比增长7.0%，增速较上月回落0.5个百分点。", year=2020)
    assert (f.value, f.yoy, f.change_points) == (D("7.0"), D("7.0"), D("-0.5"))


def test_a_narrower_decline_is_a_rise_in_points():
    f = only("上半年，交易额达到17.4万亿元，同比下降0.8%，降幅比一季度收窄5.2个百分点。")
    assert (f.yoy, f.change_points) == (D("-0.8"), D("5.2"))


def test_an_absolute_decrease_is_a_figure_named_after_it():
    level, change = extract_key_figures("固定电话用户总数1.8亿户，比上年末减少1200万户。")
    assert (level.indicator, level.value, level.unit) == ("固定电话用户总数", D("1.8"), "亿户")
    assert (change.indicator, change.value, change.unit) == ("固定电话用户减少", D("1200"), "万户")


def test_month_on_month_change_is_not_yoy():
    f = only("11月末，5G终端连接数达到1.8亿户，环比增长11.2%。")
    assert (f.value, f.unit, f.yoy) == (D("1.8"), "亿户", None)


def test_figures_paired_with_the_indicators_named_before_分别():
    figures = extract_key_figures(
        "截至11月末，移动电话用户和固定宽带用户分别达到15.9亿户和4.8亿户。"
    )
    assert [(f.indicator, f.value, f.unit) for f in figures] == [
        ("移动电话用户", D("15.9"), "亿户"),
        ("固定宽带用户", D("4.8"), "亿户"),
    ]


def test_three_figures_with_three_changes():
    figures = extract_key_figures(
        "1—11月，东部、中部、西部地区软件业务收入分别为52630亿元、4850亿元和7210亿元，"
        "同比分别增长12.3%、8.2%和13.5%。"
    )
    assert [(f.indicator, f.value, f.yoy) for f in figures] == [
        ("东部地区软件业务收入", D("52630"), D("12.3")),
        ("中部地区软件业务收入", D("4850"), D("8.2")),
        ("西部地区软件业务收入", D("7210"), D("13.5")),
    ]


def test_several_changes_without_levels():
    figures = extract_key_figures("电信业务收入和电信业务总量同比分别增长3.5%和20.6%。")
    assert [(f.indicator, f.value, f.yoy) for f in figures] == [
        ("电信业务收入", D("3.5"), D("3.5")),
        ("电信业务总量", D("20.6"), D("20.6")),
    ]


def test_share_of_a_total_is_named_after_the_figure_before_it():
    _, share = extract_key_figures("其中，信息技术服务收入41203亿元，占全行业收入的63.0%。")
    assert (share.indicator, share.value, share.unit) == (
        "信息技术服务收入占全行业收入比重",
        D("63.0"),
        "%",
    )


# --------------------------------------------------------------------------- numbers and units


@pytest.mark.parametrize(
    "text, value, unit, qualifier",
    [
        ("工业APP数量达到2万多个。", D("2"), "万个", "多"),  # value in the stated magnitude
        ("数字经济规模达到1.2万亿元。", D("1.2"), "万亿元", None),
        ("上云企业占比超6成。", D("60"), "%", "超"),  # 成 is tenths: converted to percent
        ("中小企业上云比例接近三成。", D("30"), "%", "接近"),
        ("5G用户数是上年同期的近3倍。", D("3"), "倍", "近"),
        ("数据中心机架规模增长两倍。", D("2"), "倍", None),
        ("平台连接工业设备逾7000万台（套）。", D("7000"), "万台", "逾"),
        ("预计市场规模将达到3000亿元左右。", D("3000"), "亿元", "左右"),
        ("软件业务收入12,451亿元。", D("12451"), "亿元", None),
        ("移动互联网累计流量达到745亿GB。", D("745"), "亿GB", None),
        ("网民规模达9.89亿，", D("9.89"), "亿", None),
    ],
)
def test_numbers_and_units(text, value, unit, qualifier):
    f = only(text)
    assert (f.value, f.unit, f.qualifier) == (value, unit, qualifier)


def test_full_width_input_is_normalised():
    f = only("１—１１月，互联网业务收入１２３４．５亿元，同比增长１２．６％。", year=2020)
    assert summary(f) == ("互联网业务收入", D("1234.5"), "亿元", D("12.6"), None, "1—11月")
    assert (f.period_start, f.period_end) == (date(2020, 1, 1), date(2020, 11, 30))


def test_numbers_broken_by_a_line_wrap():
    f = only("其中，嵌入式系统软件收入7492亿元，同比增长\n11.2%。")
    assert (f.value, f.yoy) == (D("7492"), D("11.2"))


# --------------------------------------------------------------------------- no false positives


@pytest.mark.parametrize(
    "text",
    [
        "12月14日，工业和信息化部召开全国工业和信息化工作会议。",
        "2020年12月3日，有关部门发布数据中心能效管理办法。",
        "工信部发布12项人工智能标准，自2021年1月1日起实施。",
        "华为、中兴等3家企业入选首批名单。",
        "据介绍，该平台已在20多个省份推广应用。",
        "©2020 仅供订阅单位内部参考，未经许可不得转载。咨询电话 010-0000-0000  2020.12.03",
        "Page 13",
        "第13页",
        "办法提出，平均电能利用效率不得高于1.3。",
        "Wi-Fi 6和5G将在工业场景中长期共存。",
        "3GPP R16标准于2020年7月冻结。",
        "iPhone 12系列于10月23日正式发售。",
        "《“十四五”信息通信行业发展规划》明确了未来五年的发展目标。",
        "这一成果标志着我国倍增计划进入新阶段。",
    ],
)
def test_no_figures_in_dates_counts_and_furniture(text):
    assert extract_key_figures(text, year=2020) == []


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    "text, label, start, end",
    [
        ("1—11月，收入完成100亿元。", "1—11月", date(2020, 1, 1), date(2020, 11, 30)),
        ("1-11月，收入完成100亿元。", "1—11月", date(2020, 1, 1), date(2020, 11, 30)),
        ("1~11月，收入完成100亿元。", "1—11月", date(2020, 1, 1), date(2020, 11, 30)),
        ("1～11月，收入完成100亿元。", "1—11月", date(2020, 1, 1), date(2020, 11, 30)),
        ("1至11月，收入完成100亿元。", "1—11月", date(2020, 1, 1), date(2020, 11, 30)),
        ("1月—2月，收入完成100亿元。", "1—2月", date(2020, 1, 1), date(2020, 2, 29)),
        ("前三季度，收入完成100亿元。", "前三季度", date(2020, 1, 1), date(2020, 9, 30)),
        ("第三季度，收入完成100亿元。", "第三季度", date(2020, 7, 1), date(2020, 9, 30)),
        ("三季度，收入完成100亿元。", "三季度", date(2020, 7, 1), date(2020, 9, 30)),
        ("上半年，收入完成100亿元。", "上半年", date(2020, 1, 1), date(2020, 6, 30)),
        ("下半年，收入完成100亿元。", "下半年", date(2020, 7, 1), date(2020, 12, 31)),
        ("全年收入完成100亿元。", "全年", date(2020, 1, 1), date(2020, 12, 31)),
        ("11月，收入完成100亿元。", "11月", date(2020, 11, 1), date(2020, 11, 30)),
        ("截至11月末，用户达到100万户。", "11月末", date(2020, 11, 30), date(2020, 11, 30)),
        ("今年前10个月，收入完成100亿元。", "今年前10个月", date(2020, 1, 1), date(2020, 10, 31)),
        ("今年以来，收入完成100亿元。", "今年以来", date(2020, 1, 1), None),
        ("去年1—11月，收入完成100亿元。", "去年1—11月", date(2019, 1, 1), date(2019, 11, 30)),
    ],
)
def test_periods_with_the_year_argument(text, label, start, end):
    f = only(text, year=2020)
    assert (f.period, f.period_start, f.period_end) == (label, start, end)


@pytest.mark.parametrize(
    "text, label, start, end",
    [
        ("2020年第三季度，出货量3.66亿部。", "2020年第三季度", date(2020, 7, 1), date(2020, 9, 30)),
        ("2019年前三季度，收入100亿元。", "2019年前三季度", date(2019, 1, 1), date(2019, 9, 30)),
        ("2020年，电信业务总量达到1.5万亿元。", "2020年", date(2020, 1, 1), date(2020, 12, 31)),
        ("2020年10月，设备总数7000万台。", "2020年10月", date(2020, 10, 1), date(2020, 10, 31)),
        ("截至2020年底，基站总数71.8万个。", "2020年底", date(2020, 12, 31), date(2020, 12, 31)),
        ("2019年，全国1—11月收入100亿元。", "1—11月", date(2019, 1, 1), date(2019, 11, 30)),
    ],
)
def test_a_year_in_the_sentence_beats_the_argument(text, label, start, end):
    f = only(text, year=2024)
    assert (f.period, f.period_start, f.period_end) == (label, start, end)


def test_without_a_year_the_label_is_kept_but_not_resolved():
    f = only("1—11月，收入完成100亿元。")
    assert (f.period, f.period_start, f.period_end) == ("1—11月", None, None)


def test_a_year_out_of_range_leaves_the_dates_open():
    f = only("去年1—11月，收入完成100亿元。", year=1)
    assert (f.period, f.period_start, f.period_end) == ("去年1—11月", None, None)


def test_a_comparison_period_is_not_the_figures_period():
    f = only("软件业务收入同比增长12.6%，增速较1—9月提高0.3个百分点。", year=2020)
    assert f.period is None


def test_the_period_carries_to_the_next_sentence_of_the_paragraph_only():
    text = "1—11月，营业收入11.3万亿元，同比增长8.1%；利润总额6255亿元。\n资产总额9000亿元。"
    first, second, third = extract_key_figures(text, year=2020)
    assert (first.period, second.period, third.period) == ("1—11月", "1—11月", None)


# --------------------------------------------------------------------------- sentences


def test_sentences_point_back_into_the_text():
    text = " 1—11月，收入完成100亿元。\n\n 其中，利润20亿元！用户达到3亿户；会议召开。"
    figures = extract_key_figures(text)
    assert [f.value for f in figures] == [D("100"), D("20"), D("3")]
    for f in figures:
        assert text[f.start : f.start + len(f.sentence)] == f.sentence
    assert [f.sentence for f in figures] == [
        "1—11月，收入完成100亿元。",
        "其中，利润20亿元！",
        "用户达到3亿户；",
    ]


def test_no_duplicates_within_a_sentence():
    figures = extract_key_figures("收入100亿元，收入100亿元。")
    assert len(figures) == 1


# ------------------------------------------------------------------ features and commentary


@pytest.mark.parametrize(
    "text, expected",
    [
        # a unit written once for a list of changes
        (
            "增速较1—10月和去年同期分别提高0.5个和2.2个百分点。",
            [],  # no level to attach to, and no indicator named: nothing to propose
        ),
        (
            "1—11月，云服务、电子商务平台技术服务收入分别增长21.3%和10.8%，"
            "增速分别比1—10月提高0.4个和0.6个百分点。",
            [("云服务收入", D("21.3"), "%", D("21.3"), D("0.4"), "1—11月"),
             ("电子商务平台技术服务收入", D("10.8"), "%", D("10.8"), D("0.6"), "1—11月")],
        ),
        # a growth rate, then the level it reached: one figure
        (
            "今年前三季度全球PC出货量同比增长11.3%，达到2.02亿台。",
            [("全球PC出货量", D("2.02"), "亿台", D("11.3"), None, "今年前三季度")],
        ),
        # the year before a 2020 figure is a year-on-year base
        (
            "2020年，信息通信业固定资产投资完成4072亿元，比2019年增长11%。",
            [("信息通信业固定资产投资", D("4072"), "亿元", D("11"), None, "2020年")],
        ),
        # the rate of decline reached
        (
            "今年前10个月，智能手机产量降幅收窄至5.2%。",
            [("智能手机产量", D("-5.2"), "%", D("-5.2"), None, "今年前10个月")],
        ),
        # 今年 and 去年 on their own are periods
        (
            "今年，全国新增5G基站超过60万个。",
            [("新增5G基站", D("60"), "万个", None, None, "今年")],
        ),
        # from one level to another: the level reached
        (
            "国产品牌在高端市场的份额从去年的不足10%上升到了今年的23%。",
            [("国产品牌在高端市场的份额", D("23"), "%", None, None, "今年")],
        ),
        # a share named after the number
        (
            "三星以21.9%的份额位居第一。",
            [("三星份额", D("21.9"), "%", None, None, None)],
        ),
        # a growth rate written as a noun after the number
        (
            "今年我国电子信息制造业有望实现8%左右的增长。",
            [("电子信息制造业", D("8"), "%", D("8"), None, "今年")],
        ),
        (
            "从用户规模看，60岁以上网民仅占10.3%。",
            [("60岁以上网民占比", D("10.3"), "%", None, None, None)],
        ),
    ],
)
def test_feature_sentences(text, expected):
    assert [summary(f) for f in extract_key_figures(text, year=2020)] == expected


@pytest.mark.parametrize(
    "text, unit",
    [
        ("光缆线路总长度达到5000万公里。", "万公里"),
        ("内部网络带宽达到1.6TB/s。", "TB/s"),
        ("全球储能电池出货量达到20.5GWh。", "GWh"),
        ("光伏装机容量达到12GW。", "GW"),
        ("数据中心耗电量超过2000亿千瓦时。", "亿千瓦时"),
        ("设计传输容量达到144Tbps。", "Tbps"),
        ("规模以上工业企业利润率比一季度提高2.2个\n百分点。", "个百分点"),
    ],
)
def test_units_are_kept_whole(text, unit):
    assert only(text).unit == unit


@pytest.mark.parametrize(
    "text",
    [
        # shares of a population and survey answers
        "调查显示，有63%的受访者表示愿意为更快的网速支付更高的月租。",
        "数据显示，93%的中小企业尚未建立专门的数据管理部门。",
        "值得一提的是，在全部5G基站中，有近七成部署在地级以上城市的城区。",
        "数据显示，转出用户中超6成来自中小城市。",
        "业内人士坦言，真正把核心业务搬上云端的不足一成。",
        # differences from another quantity
        "与华东地区相比，西部地区数据中心的平均电价要低30%左右。",
        "与华为相比，其增速高出约12个百分点。",
        "对运营商来说，5G网络的建设成本大约是4G的1.5倍。",
        "有的企业甚至开出了高于行业平均水平30%的薪酬。",
        "该芯片功耗较传统方案降低约40%。",
        # vague quantities and words pointing elsewhere
        "部分运营商甚至削减了数十亿美元的投资计划。",
        "某平台的付费会员数在过去一年增长了近一倍。",
        "数据显示，这一比例已高达93%，远高于全球平均水平。",
        "说起来，这已经是该公司连续第三年营收增速超过20%了。",
        "该省今年已完成全年目标的85%。",
        # a deal price is no measured quantity
        "该公司正考虑以约50亿美元的价格出售其服务器业务。",
    ],
)
def test_no_figures_in_loose_talk(text):
    assert extract_key_figures(text, year=2020) == []


@pytest.mark.parametrize(
    "text, indicator",
    [
        ("未来，到2025年，我国5G用户普及率预计将超过56%。", "5G用户普及率"),
        ("目前，光缆线路总长度达到5000万公里。", "光缆线路总长度"),
        ("在用数据中心机架总规模超过400万个。", "在用数据中心机架总规模"),
        ("软件业从业人员704万人。", "软件业从业人员"),
        ("国内数据中心每年的耗电量已超过2000亿千瓦时。", "国内数据中心耗电量"),
    ],
)
def test_names_lose_leading_function_and_time_words(text, indicator):
    assert only(text).indicator == indicator


def test_a_period_is_a_period():
    f = only("展望未来，2021年全球智能手机出货量预计将达到13.8亿部，同比增长9%左右。")
    assert (f.indicator, f.period) == ("全球智能手机出货量", "2021年")
    f = only("自2020年起，新建数据中心机架规模超过50万个。", year=2024)
    assert f.period is None
    f = only("与去年同期相比，5G手机出货量达到1.6亿部。", year=2020)
    assert f.period is None


# --------------------------------------------------------------------------- gold standard


def _gold_items(split: str | None = None) -> list[dict]:
    items = json.loads(GOLD.read_text(encoding="utf-8"))["items"]
    return [item for item in items if split is None or item["split"] == split]


def _indicator_agrees(predicted: str, gold: str) -> bool:
    a, b = predicted.replace("的", ""), gold.replace("的", "")
    return bool(a) and (a in b or b in a)


def _figure_key(f) -> tuple:
    if isinstance(f, KeyFigure):
        return f.value, f.unit, f.yoy, f.change_points
    return D(f["value"]), f["unit"], D(f["yoy"]), D(f["change_points"])


def _matches(predicted: KeyFigure, gold: dict, *, strict: bool) -> bool:
    """Same value, unit and changes; strictly, also the same period and an agreeing name."""
    if _figure_key(predicted) != _figure_key(gold):
        return False
    return not strict or (
        predicted.period == gold["period"]
        and _indicator_agrees(predicted.indicator, gold["indicator"])
    )


def _score(items: list[dict], *, strict: bool) -> tuple[int, int, int, list[str]]:
    """(found, predicted, gold, report lines): each gold figure matched at most once."""
    found = predicted_total = gold_total = 0
    lines = []
    for item in items:
        predicted = extract_key_figures(item["text"], year=item["year"])
        unmatched = list(predicted)
        problems = []
        for g in item["figures"]:
            match = next((p for p in unmatched if _matches(p, g, strict=strict)), None)
            if match is None:
                problems.append(f"  MISSED {g['indicator']} | {g['period']} | {g['value']} "
                                f"{g['unit']} yoy={g['yoy']} points={g['change_points']}")
            else:
                unmatched.remove(match)
                found += 1
        problems += [f"  EXTRA  {p.indicator} | {p.period} | {p.value} {p.unit} yoy={p.yoy} "
                     f"points={p.change_points}" for p in unmatched]
        if problems:
            lines += [item["text"], *problems]
        gold_total += len(item["figures"])
        predicted_total += len(predicted)
    return found, predicted_total, gold_total, lines


def test_the_gold_set_has_a_held_apart_part():
    items = _gold_items()
    assert {item["split"] for item in items} == {"tune", "held"}
    held, tune = _gold_items("held"), _gold_items("tune")
    assert len(held) >= 40 and len(tune) >= 100
    for part in (held, tune):
        assert sum(1 for item in part if not item["figures"]) >= 10
    assert len({item["text"] for item in items}) == len(items)


@pytest.mark.parametrize(
    "split, min_precision, min_recall",
    [
        # The rules were adjusted against these sentences.
        ("tune", 0.95, 0.95),
        # Written before any adjustment against them and never used for one: what an editor
        # can expect from text the rules were not fitted to.
        ("held", 0.90, 0.80),
    ],
)
def test_gold_standard_precision_and_recall(split, min_precision, min_recall):
    """A figure counts when value, unit, changes and period match and the names agree.

    The loose figures (value, unit and changes only) are reported alongside.
    """
    items = _gold_items(split)
    found, predicted, gold, lines = _score(items, strict=True)
    loose_found, _, _, _ = _score(items, strict=False)
    precision, recall = found / predicted, found / gold
    report = (
        f"{split} ({len(items)} sentences): precision {precision:.3f} ({found}/{predicted}), "
        f"recall {recall:.3f} ({found}/{gold}); value, unit and changes only: precision "
        f"{loose_found / predicted:.3f}, recall {loose_found / gold:.3f}\n" + "\n".join(lines)
    )
    print(report)
    assert precision >= min_precision and recall >= min_recall, report


# --------------------------------------------------------------------------- properties

INDICATORS = ["电信业务收入", "软件业务收入", "移动互联网累计流量", "5G手机出货量", "固定宽带用户",
              "集成电路产量", "通信设备出口额", "IPTV用户", "移动电话用户ARPU"]
# Characters that make up indicator names without being verbs, units, periods or connectives.
NAME_CHARS = (
    "移动电话用户固定宽带软件信息技术服务收入流量网络终端设备产品"
    "出口销售额营业利润互联数据心云算光纤接口芯存储传感器工智能"
)
UNITS = ["亿元", "万元", "元", "万户", "户", "亿GB", "万GB", "GB", "亿美元", "万台", "亿部", "部",
         "万人", "亿人", "万亿元", "万个", "家"]
VERBS = ["", "完成", "实现", "达到", "累计完成", "为", "达"]
FULLWIDTH = str.maketrans("0123456789.%", "０１２３４５６７８９．％")


def decimals(max_integer):
    return st.builds(lambda n, places: Decimal(n).scaleb(-places),
                     st.integers(1, max_integer), st.integers(0, 2))


@settings(max_examples=200, deadline=None)
@given(
    # 数据 and 数量 alone name nothing measured; the extractor rightly proposes no figure for them.
    indicator=st.one_of(st.sampled_from(INDICATORS), st.text(NAME_CHARS, min_size=2, max_size=8)
                        .filter(lambda name: name not in {"数据", "数量"})),
    verb=st.sampled_from(VERBS),
    value=decimals(10**7),
    unit=st.sampled_from(UNITS),
    rises=st.booleans(),
    change=decimals(9999),
    period=st.sampled_from(["", "1—11月，", "前三季度，", "2020年第三季度，", "上半年，"]),
    full_width=st.booleans(),
)
def test_generated_sentences_come_back_exactly(
    indicator, verb, value, unit, rises, change, period, full_width
):
    text = (f"{period}{indicator}{verb}{value:f}{unit}，"
            f"同比{'增长' if rises else '下降'}{change:f}%。")
    if full_width:
        text = text.translate(FULLWIDTH)
    f = only(text, year=2020)
    assert (f.indicator, f.value, f.unit) == (indicator, value, unit)
    assert f.yoy == (change if rises else -change)
    assert f.period == (period.rstrip("，") or None)


BULLETIN_CHARS = (
    "0123456789０１２３４５６７８９.．%％,，。；！？、：—-~～至万亿元户个百分点成倍同比环比增长下降"
    "减少回落分别和及占为达到完成累计年月日季度前第上下半全今去截末底约超近多余左右收入用户"
    "\n ABCGx的其中较比以来净增新增"
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.text(BULLETIN_CHARS, max_size=120)), st.one_of(st.none(),
       st.integers(1900, 2100)))
def test_never_raises_and_always_points_back(text, year):
    figures = extract_key_figures(text, year=year)
    starts = [f.start for f in figures]
    assert starts == sorted(starts)
    for f in figures:
        assert text[f.start : f.start + len(f.sentence)] == f.sentence
        assert f.unit and f.indicator
