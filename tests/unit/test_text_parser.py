"""The plain-text bulletin parser on the format page's example, the sample bulletin and
the awkward cases in between (see shared/formats/plain-text-bulletin.md)."""

import codecs
import json
import time
from datetime import date
from pathlib import Path

import pytest

from editorial.parsing.accounting import content_characters, input_characters
from editorial.parsing.text import parse_bulletin_bytes, parse_text
from editorial.parsing.tree import BulletinParseError, FigureCaption, Subheading, Table

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bulletins"
SECTIONS = ["产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴"]

# The format page's invented example, line for line, spaces and blank lines included.
EXAMPLE_LINES = (
    " 产业环境 ",
    " ",
    "",
    "数据中心能效新规出台 12 项指标纳入考核 ",
    "",
    "11月30日，有关部门发布数据中心能效管理办法，自明年起对新建大型数据中",
    "",
    "心实行能效准入，平均电能利用效率不得高于1.3。 ",
    "",
    "办法提出，到2023年，全国新建大型数据中心平均能效水平再提升10%，可再生",
    "",
    "能源使用比例逐年提高。 ",
    "",
    "月度数据 ",
    "",
    "1—10 月软件业务收入同比增长 12.6% ",
    "",
    "今年1—10月，全国软件和信息技术服务业完成软件业务收入65360亿元，同比增长",
    "",
    "12.6%，增速较1—9月提高0.3个百分点。 ",
    "",
    "信息产业观察周刊 ",
    "",
    "©2020 仅供订阅单位内部参考，未经许可不得转载。咨询电话 010-0000-0000  2020.12.03 ",
    "",
    " ",
    "",
    "Page 7 ",
    "",
    "其中，信息技术服务收入41203亿元，同比增长14.1%，占全行业收入的63.0%。 ",
    "",
    " 企业情报 ",
    " ",
    "",
    "算力租赁走热？云厂商加码 GPU 集群 ",
    "",
    "近期多家云服务商宣布扩建算力集群。 ",
    "",
    "需求侧：训练任务排队 ",
    "",
    "据业内人士介绍，部分企业的模型训练任务需要排队两到三周。 ",
    "",
    "供给侧：新机房加速投产 ",
    "",
    "多家厂商表示，新建机房将于明年一季度陆续投产。 ",
    "",
    "2020年前三季度主要云厂商资本开支 ",
    "",
    "资料来源：公司公告",
)
EXAMPLE = "\n".join(EXAMPLE_LINES) + "\n"


def outline(parsed):
    return [
        (section.title, [(article.title, article.subheadings) for article in section.articles])
        for section in parsed.sections
    ]


def all_paragraphs(parsed):
    return [text for article in parsed.articles for text in article.paragraphs]


def assert_nothing_lost(text, parsed):
    assert content_characters(parsed) == input_characters(text, parsed.furniture)


# ---------------------------------------------------------------- the format page's example


@pytest.fixture(scope="module")
def example():
    return parse_text(EXAMPLE, sections=SECTIONS)


def test_example_sections_titles_and_subheadings(example):
    assert outline(example) == [
        (
            "产业环境",
            [
                ("数据中心能效新规出台12项指标纳入考核", []),
                ("1—10月软件业务收入同比增长12.6%", ["月度数据"]),
            ],
        ),
        (
            "企业情报",
            [
                (
                    "算力租赁走热？云厂商加码GPU集群",
                    ["需求侧：训练任务排队", "供给侧：新机房加速投产"],
                )
            ],
        ),
    ]


def test_example_paragraphs_are_rebuilt(example):
    first, software, cloud = example.articles
    assert first.paragraphs == [
        "11月30日，有关部门发布数据中心能效管理办法，自明年起对新建大型数据中心实行能效准入，"
        "平均电能利用效率不得高于1.3。",
        "办法提出，到2023年，全国新建大型数据中心平均能效水平再提升10%，可再生能源使用比例逐年提高。",
    ]
    # The paragraph after the page break continues the software-revenue article.
    assert (
        software.paragraphs[-1]
        == "其中，信息技术服务收入41203亿元，同比增长14.1%，占全行业收入的63.0%。"
    )
    assert software.paragraphs[0].endswith("同比增长12.6%，增速较1—9月提高0.3个百分点。")
    assert cloud.paragraphs[0] == "近期多家云服务商宣布扩建算力集群。"


def test_example_figure_caption_and_source(example):
    cloud = example.articles[-1]
    assert cloud.figures == [
        FigureCaption("2020年前三季度主要云厂商资本开支", "资料来源：公司公告", line=47)
    ]
    assert isinstance(cloud.blocks[-1], FigureCaption)


def test_example_furniture_is_removed_and_read(example):
    assert example.furniture == [
        "信息产业观察周刊",
        "©2020 仅供订阅单位内部参考，未经许可不得转载。咨询电话 010-0000-0000  2020.12.03",
        "Page 7",
    ]
    assert example.bulletin_name == "信息产业观察周刊"
    assert example.issue_date == date(2020, 12, 3)
    for paragraph in all_paragraphs(example):
        assert "Page" not in paragraph and "©" not in paragraph and "周刊" not in paragraph


def test_example_monthly_data_label_is_reported_not_dropped(example):
    [warning] = [w for w in example.warnings if w.text == "月度数据"]
    assert warning.line == 14
    assert warning.code == "unsure-subheading"
    assert [w.text for w in example.warnings] == ["月度数据"]


def test_example_loses_nothing(example):
    assert_nothing_lost(EXAMPLE, example)


def test_example_without_configured_sections_guesses_and_warns():
    parsed = parse_text(EXAMPLE)
    assert outline(parsed) == outline(parse_text(EXAMPLE, sections=SECTIONS))
    guessed = [(w.line, w.text) for w in parsed.warnings if w.code == "guessed-section"]
    assert guessed == [(1, "产业环境"), (32, "企业情报")]


# ---------------------------------------------------------------- the sample bulletin


@pytest.fixture(scope="module")
def fixture_text():
    return (FIXTURES / "xxcy-2020-48.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def expected():
    return json.loads((FIXTURES / "xxcy-2020-48.expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample(fixture_text):
    return parse_text(fixture_text, sections=SECTIONS)


def _no_spaces(text):
    return "".join(text.split())


def test_sample_has_every_section(sample, expected):
    assert [s.title for s in sample.sections] == [s["title"] for s in expected["sections"]]


def test_sample_titles_are_right(sample, expected):
    wanted = [_no_spaces(a["title"]) for s in expected["sections"] for a in s["articles"]]
    got = [_no_spaces(a.title) for a in sample.articles]
    right = sum(1 for title in wanted if title in got)
    assert right / len(wanted) >= 0.95, set(wanted) ^ set(got)
    assert len(got) == len(wanted)
    assert len(wanted) >= 14


def test_sample_titles_exactly_as_cleaned(sample, expected):
    """Stricter than the 95 % bar: every title exactly, spaces included."""
    assert [a.title for a in sample.articles] == [
        a["title"] for s in expected["sections"] for a in s["articles"]
    ]


def test_sample_subheadings_in_the_right_articles(sample, expected):
    for section, wanted in zip(sample.sections, expected["sections"], strict=True):
        got = {a.title: a.subheadings for a in section.articles}
        for article in wanted["articles"]:
            assert got[article["title"]] == article["subheadings"], article["title"]


def test_sample_kicker_and_heading_pair(sample):
    edge = next(a for a in sample.articles if a.title == "边缘计算迈入规模商用期")
    pairs = [b for b in edge.blocks if isinstance(b, Subheading)]
    assert [(p.kicker, p.text) for p in pairs] == [
        ("从概念到实践", "边云协同进入新阶段"),
        ("从单点到体系", "标准与开源生态逐步完善"),
    ]


def test_sample_figures(sample, expected):
    for section, wanted in zip(sample.sections, expected["sections"], strict=True):
        for article, gold in zip(section.articles, wanted["articles"], strict=True):
            figures = [{"caption": f.caption, "source": f.source} for f in article.figures]
            assert figures == gold.get("figures", []), article.title


def test_sample_furniture_never_reaches_a_paragraph(sample):
    furniture = sample.furniture
    assert sum(1 for line in furniture if line.startswith("©2020")) == 4
    assert [line for line in furniture if "Page" in line or "-" in line[:2]] == [
        "Page 1",
        "- 2 -",
        "Page 3",
        "- 4 -",
    ]
    assert furniture.count("信息产业监测") == 5  # the cover, then the top of pages 1 to 4
    for paragraph in all_paragraphs(sample):
        for marker in ("©", "版权所有", "咨询电话", "信息产业监测", "Page", "- 2 -", "- 4 -"):
            assert marker not in paragraph


def test_sample_cover_and_contents_are_set_aside(sample):
    [warning] = [w for w in sample.warnings if w.code == "front-matter"]
    assert warning.text == "2020年第48期（总第1236期）"
    assert "目  录" in sample.furniture
    assert sum(1 for line in sample.furniture if line.endswith(("1", "2", "3", "5", "7"))) >= 16
    assert [w.code for w in sample.warnings] == [
        "front-matter",
        "unsure-subheading",
        "unsure-subheading",
    ]


def test_sample_name_and_date(sample, expected):
    assert sample.bulletin_name == expected["bulletin"]
    assert sample.issue_date.isoformat() == expected["date"]


def test_sample_paragraph_interrupted_by_a_page_break_is_joined(sample):
    assert any("营业收入856亿元，同比增长9.8%；实现归属" in p for p in all_paragraphs(sample))


def test_sample_full_line_ending_in_full_stop_does_not_break_the_paragraph(sample):
    paragraphs = all_paragraphs(sample)
    assert any("硅基光电子集成芯片。该芯片单片集成" in p for p in paragraphs)
    assert any("均已获得中标。公司累计中标2万多个5G基站设备" in p for p in paragraphs)


def test_sample_latin_words_split_by_a_line_break_keep_one_space(sample):
    assert any("10G PON端口数" in p for p in all_paragraphs(sample))


def test_sample_attribution_line_stays_with_its_article(sample):
    eu = sample.articles[-1]
    assert eu.paragraphs[0] == "来源：本刊综合整理"
    assert eu.paragraphs[1].startswith("欧盟委员会12月15日公布")


def test_sample_loses_nothing(fixture_text, sample):
    assert_nothing_lost(fixture_text, sample)


def _encoded_variants(text):
    yield "gb18030", text.encode("gb18030")
    yield "utf-16-le", codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    yield "utf-16-be", codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    yield "utf-8-sig", codecs.BOM_UTF8 + text.encode("utf-8")
    yield "utf-8", text.replace("\n", "\r\n").encode("utf-8")
    yield "utf-8", text.replace("\n", "\r").encode("utf-8")


def test_sample_in_every_encoding_and_line_end_gives_the_same_tree(fixture_text, sample):
    for encoding, data in _encoded_variants(fixture_text):
        parsed = parse_bulletin_bytes(data, sections=SECTIONS)
        assert parsed.encoding == encoding
        assert parsed.sections == sample.sections
        assert parsed.furniture == sample.furniture
        assert parsed.warnings == sample.warnings


def test_a_150_kb_bulletin_parses_fast(fixture_text):
    body = fixture_text
    while len(body.encode("utf-8")) < 150_000:
        body += fixture_text
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        parsed = parse_text(body, sections=SECTIONS)
        timings.append(time.perf_counter() - started)
    assert len(parsed.articles) >= 14 * 10
    assert min(timings) < 0.5


# ---------------------------------------------------------------- furniture in detail


def parse(text, **kwargs):
    return parse_text(text, sections=SECTIONS, **kwargs)


def _paragraph(*lines):
    """A bulletin with one article whose paragraph is given as printed lines."""
    return "\n\n".join(["产业环境", "工信部发布 12 项 AI 标准", *lines]) + "\n"


FULL = "有关部门发布数据中心能效管理办法，自明年起对新建大型数据中心实行能效准入，"


@pytest.mark.parametrize(
    "page_number",
    ["Page 13", "- 13 -", "— 13 —", "第13页", "第 13 页", "13", "13/40", "Ｐａｇｅ１３"],
)
def test_page_numbers_mid_paragraph_are_removed_and_the_paragraph_joined(page_number):
    parsed = parse(_paragraph(FULL, page_number, "平均电能利用效率不得高于1.3。"))
    assert parsed.furniture == [page_number]
    assert parsed.articles[0].paragraphs == [FULL + "平均电能利用效率不得高于1.3。"]


def test_notice_mid_paragraph_gives_the_issue_date():
    notice = "仅供内部参考 咨询电话 010-12345678 2020-12-24"
    parsed = parse(_paragraph(FULL, notice, "平均电能利用效率不得高于1.3。"))
    assert parsed.furniture == [notice]
    assert parsed.issue_date == date(2020, 12, 24)
    assert len(parsed.articles[0].paragraphs) == 1


def test_repeated_running_header_is_found_without_a_known_name():
    pages = []
    for number in range(1, 4):
        pages += [f"段落第{number}页的内容，" + FULL, "结束。", f"- {number} -", "数字经济观察"]
    parsed = parse(_paragraph(*pages))
    assert parsed.bulletin_name == "数字经济观察"
    assert parsed.furniture.count("数字经济观察") == 3
    assert not any("数字经济观察" in p for p in all_paragraphs(parsed))


def test_known_bulletin_name_is_furniture_even_once():
    parsed = parse(
        _paragraph(FULL, "产业周评", "平均电能利用效率不得高于1.3。"), known_names=["产业周评"]
    )
    assert parsed.furniture == ["产业周评"]
    assert parsed.bulletin_name == "产业周评"


def test_article_text_about_copyright_is_not_furniture():
    line = "国家版权局表示，将加大网络版权保护力度，未经授权不得转载。"
    parsed = parse(_paragraph(line))
    assert parsed.furniture == []
    assert parsed.articles[0].paragraphs == [line]


def test_bare_numbers_among_table_cells_are_kept():
    text = _paragraph(
        "12月1日，工信部发布数据。",
        "主要指标",
        "指标",
        "数值",
        "用户",
        "12",
        "基站",
        "35",
        "终端",
        "7",
    )
    parsed = parse(text)
    assert parsed.furniture == []
    [table] = parsed.articles[0].tables
    assert isinstance(table, Table)
    assert ["12"] in table.rows and ["35"] in table.rows
    assert any(w.code == "unsure-table" for w in parsed.warnings)
    assert_nothing_lost(text, parsed)


def test_running_section_name_in_the_page_header_is_furniture():
    text = _paragraph(FULL, "- 3 -", "产业环境", "平均电能利用效率不得高于1.3。")
    parsed = parse_text(text, sections=SECTIONS)
    assert parsed.furniture == ["- 3 -", "产业环境"]
    assert [s.title for s in parsed.sections] == ["产业环境"]


def test_contents_without_section_names_ends_at_its_last_dot_leader():
    text = "\n".join(
        [
            "目录",
            "工信部发布12项AI标准 ........ 1",
            "运营商公布11月数据……2",
            "产业环境",
            "工信部发布 12 项 AI 标准",
            "12月1日，工信部发布标准。",
        ]
    )
    parsed = parse(text)
    assert parsed.furniture == ["目录", "工信部发布12项AI标准 ........ 1", "运营商公布11月数据……2"]
    assert outline(parsed) == [("产业环境", [("工信部发布12项AI标准", [])])]


def test_contents_with_guessed_sections():
    text = "\n".join(
        [
            "目 录",
            "产业环境",
            "工信部发布12项AI标准",
            "企业情报",
            "海川科技营收增长",
            "产业环境",
            "工信部发布 12 项 AI 标准",
            "12月1日，工信部发布标准。",
            "企业情报",
            "海川科技营收增长",
            "10月29日，海川科技发布财报。",
        ]
    )
    parsed = parse_text(text)
    assert parsed.furniture[:5] == [
        "目 录",
        "产业环境",
        "工信部发布12项AI标准",
        "企业情报",
        "海川科技营收增长",
    ]
    assert [a.title for a in parsed.articles] == ["工信部发布12项AI标准", "海川科技营收增长"]


def test_cover_without_contents_gives_name_and_date():
    text = "\n".join(
        [
            "信息产业监测",
            "2020年第48期",
            "2020年12月3日",
            "产业环境",
            "工信部发布 12 项 AI 标准",
            "12月1日，工信部发布标准。",
        ]
    )
    parsed = parse(text)
    assert parsed.furniture == ["信息产业监测", "2020年第48期", "2020年12月3日"]
    assert (parsed.bulletin_name, parsed.issue_date) == ("信息产业监测", date(2020, 12, 3))


def test_article_before_the_first_section_is_not_a_cover():
    text = "\n".join(
        [
            "工信部发布 12 项 AI 标准",
            "12月1日，工信部发布标准。",
            "产业环境",
            "运营商公布 11 月数据",
            "12月2日，运营商公布数据。",
        ]
    )
    parsed = parse(text)
    assert parsed.furniture == []
    assert [s.title for s in parsed.sections] == ["", "产业环境"]


# ---------------------------------------------------------------- structure in detail


def test_latin_words_split_across_lines_are_joined_with_one_space():
    parsed = parse(
        _paragraph(
            "12月1日，多家设备商在本周举行的发布会上表示，将全面支持开放式无线网络标准 Open",
            "RAN，并在 2021 年推出商用产品。",
        )
    )
    assert parsed.articles[0].paragraphs == [
        "12月1日，多家设备商在本周举行的发布会上表示，将全面支持开放式无线网络标准 Open"
        " RAN，并在 2021 年推出商用产品。"
    ]


def test_line_cut_short_by_a_long_number_still_continues():
    # "12451亿元" did not fit, so the line stops early without punctuation.
    parsed = parse(
        _paragraph(
            "1—10月，电信业务收入累计完成，按照上年不变价计算的电信业务总量共计",
            "124512345678亿元，同比增长3.5%。",
        )
    )
    assert len(parsed.articles[0].paragraphs) == 1


def test_english_sentence_end_closes_the_paragraph():
    parsed = parse(
        _paragraph(
            "12月1日，工信部副部长在新闻发布会上用英文回答记者提问时表示：",
            "The standards take effect in March.",
            "运营商公布 11 月数据",
            "12月2日，运营商公布数据。",
        )
    )
    assert [a.title for a in parsed.articles] == ["工信部发布12项AI标准", "运营商公布11月数据"]
    assert parsed.articles[0].paragraphs[0].endswith("表示：The standards take effect in March.")


FULL_SENTENCE = "12月4日，某高校联合研究团队对外宣布，已成功研制出一款新型的硅基光电子集成芯片。"


def test_full_line_ending_a_sentence_continues_the_paragraph():
    parsed = parse(_paragraph(FULL_SENTENCE, "该芯片单片集成了超过1000个光学元件。"))
    assert parsed.articles[0].paragraphs == [FULL_SENTENCE + "该芯片单片集成了超过1000个光学元件。"]


def test_indented_line_starts_a_paragraph():
    parsed = parse(
        _paragraph(
            "\u3000\u3000" + FULL_SENTENCE, "\u3000\u3000该芯片单片集成了超过1000个光学元件。"
        )
    )
    assert parsed.articles[0].paragraphs == [FULL_SENTENCE, "该芯片单片集成了超过1000个光学元件。"]


def test_article_before_any_section_goes_in_an_untitled_section():
    parsed = parse_text("工信部发布 12 项 AI 标准\n\n12月1日，工信部发布标准。\n")
    assert [s.title for s in parsed.sections] == [""]
    assert parsed.articles[0].title == "工信部发布12项AI标准"
    assert any(w.code == "no-section" for w in parsed.warnings)


def test_source_line_without_a_caption_is_a_figure_with_an_empty_caption():
    text = _paragraph("12月1日，工信部发布标准。", "资料来源：工业和信息化部")
    parsed = parse(text)
    assert parsed.articles[0].figures == [FigureCaption("", "资料来源：工业和信息化部", 7)]
    assert any(w.code == "orphan-source" for w in parsed.warnings)


def test_numbered_caption_without_a_source():
    parsed = parse(
        _paragraph("12月1日，工信部发布标准。", "图1 标准体系框架", "标准分为四个层面。")
    )
    assert parsed.articles[0].figures == [FigureCaption("图1标准体系框架", None, 7)]


def test_one_paragraph_per_line_text_is_not_merged():
    long_one = (
        "12月1日，工业和信息化部发布人工智能芯片基准测试等12项行业标准，" * 3 + "自明年起实施。"
    )
    long_two = "据介绍，12项标准中有5项涉及芯片与计算设施，4项涉及算法与模型评测。" * 3
    text = "\n".join(["产业环境", "工信部发布 12 项 AI 标准", long_one, long_two] * 3)
    parsed = parse_text(text, sections=SECTIONS)
    assert [a.paragraphs for a in parsed.articles] == [[long_one, long_two]] * 3


def test_dangling_short_line_is_kept_and_warned():
    parsed = parse(_paragraph("12月1日，工信部发布标准。", "责任编辑 李明"))
    assert parsed.articles[0].paragraphs[-1] == "责任编辑 李明"
    assert [(w.code, w.text) for w in parsed.warnings] == [("unknown-line", "责任编辑 李明")]


def test_end_mark_closes_the_article():
    parsed = parse(
        _paragraph(
            "12月1日，工信部发布标准。",
            "一、总体要求",
            "标准分为四个层面。",
            "二、重点任务",
            "加快制定基础标准。（完）",
            "韩国运营商探索专网模式",
            "在用户增长放缓的背景下，运营商转向专网。",
        )
    )
    assert [a.title for a in parsed.articles] == ["工信部发布12项AI标准", "韩国运营商探索专网模式"]
    assert parsed.articles[0].subheadings == ["一、总体要求", "二、重点任务"]


# ---------------------------------------------------------------- editor overrides


def test_override_label_as_body():
    parsed = parse_text(EXAMPLE, sections=SECTIONS, overrides={14: "body"})
    assert "月度数据" in parsed.articles[0].paragraphs
    assert not [w for w in parsed.warnings if w.text == "月度数据"]
    assert parsed.articles[1].subheadings == []


def test_override_label_as_furniture():
    parsed = parse_text(EXAMPLE, sections=SECTIONS, overrides={14: "furniture"})
    assert "月度数据" in parsed.furniture
    assert_nothing_lost(EXAMPLE, parsed)


def test_override_label_as_section():
    parsed = parse_text(EXAMPLE, sections=SECTIONS, overrides={14: "section"})
    assert [s.title for s in parsed.sections] == ["产业环境", "月度数据", "企业情报"]
    assert parsed.sections[1].articles[0].title == "1—10月软件业务收入同比增长12.6%"


def test_override_subheading_as_title():
    parsed = parse_text(EXAMPLE, sections=SECTIONS, overrides={39: "title"})
    demand = next(a for a in parsed.articles if a.title == "需求侧：训练任务排队")
    assert demand.paragraphs[0].startswith("据业内人士介绍")
    # Its sibling is now a lone short line: whatever the parser makes of it, it says so.
    assert [w.code for w in parsed.warnings if w.line == 43] in (
        ["unsure-title"],
        ["unsure-subheading"],
    )


def test_override_title_as_subheading_and_caption():
    parsed = parse_text(EXAMPLE, sections=SECTIONS, overrides={16: "subheading", 43: "caption"})
    assert [a.title for a in parsed.articles][:2] == [
        "数据中心能效新规出台12项指标纳入考核",
        "算力租赁走热？云厂商加码GPU集群",
    ]
    # With its sibling made a caption, "需求侧：…" is a lone colon line: no series, so the
    # parser may take it either way, and must say it is unsure.
    assert [w.code for w in parsed.warnings if w.line == 39] in (
        ["unsure-title"],
        ["unsure-subheading"],
    )
    assert "1—10月软件业务收入同比增长12.6%" in parsed.articles[0].subheadings
    assert FigureCaption("供给侧：新机房加速投产", None, 43) in [
        figure for article in parsed.articles for figure in article.figures
    ]
    assert_nothing_lost(EXAMPLE, parsed)


def test_override_furniture_line_as_body_keeps_it():
    parsed = parse_text(EXAMPLE, sections=SECTIONS, overrides={28: "body"})
    assert "Page 7" not in parsed.furniture
    assert any("Page 7" in p for p in all_paragraphs(parsed))


def test_override_on_a_blank_line_is_reported():
    parsed = parse_text(EXAMPLE, sections=SECTIONS, overrides={2: "title", 999: "body"})
    assert [(w.line, w.code) for w in parsed.warnings if w.code == "bad-override"] == [
        (2, "bad-override"),
        (999, "bad-override"),
    ]


def test_unknown_override_role_is_a_programming_error():
    with pytest.raises(ValueError, match="headline"):
        parse_text(EXAMPLE, overrides={4: "headline"})


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("text", ["", "   ", "\n \n\t\n", "\ufeff"])
def test_empty_text(text):
    with pytest.raises(BulletinParseError) as caught:
        parse_text(text)
    assert caught.value.code == "empty"


@pytest.mark.parametrize(
    "data, code",
    [
        (b"", "empty"),
        (b" \r\n \r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary"),
        (b"\xff\xff\xff\x80\x80 text", "encoding"),
    ],
)
def test_bad_bytes(data, code):
    with pytest.raises(BulletinParseError) as caught:
        parse_bulletin_bytes(data)
    assert caught.value.code == code


def test_text_without_structure_is_refused():
    sentence = "有关部门发布数据中心能效管理办法，自明年起对新建大型数据中心实行能效准入，"
    lines = [(sentence * 3)[i : i + 40] for i in range(0, 40 * 30, 40)]
    text = "\n\n".join(lines) + "完。\n"
    with pytest.raises(BulletinParseError) as caught:
        parse_text(text, sections=SECTIONS)
    assert caught.value.code == "no-structure"


def test_end_marks_next_to_page_furniture_are_not_running_headers():
    """"（完）" closes every article and so repeats, often right before a page break; it
    is still the article's text, not a running header."""
    body = "有关部门发布数据中心能效管理办法，自明年起对新建大型数据中心实行能效准入。"
    lines = [" 产业环境 ", ""]
    for n in range(3):
        lines += [f"数据中心能效新规出台第{n}项 ", "", f"12月{n + 1}日，{body} ", "", "（完） ", ""]
        lines += ["信息产业监测 ", "", "©2020 版权所有 未经许可不得转载 2020.12.03 ", "", f"Page {n + 1} ", ""]
    text = "\n".join(lines)
    parsed = parse_text(text, sections=SECTIONS)
    assert "（完）" not in parsed.furniture
    assert all("（完）" in "".join(article.paragraphs) for article in parsed.articles)
    assert_nothing_lost(text, parsed)
