"""The Word (.docx) bulletin reader: round-trips, style names, inference, bad input."""

from __future__ import annotations

import io
import itertools
import struct
import zipfile
import zlib
from datetime import date

import pytest
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.shared import Pt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from editorial.parsing.docx import Role, parse_docx, section_key, style_role
from editorial.parsing.normalise import clean_title
from editorial.parsing.tree import (
    BulletinParseError,
    FigureCaption,
    Paragraph,
    ParsedArticle,
    ParsedBulletin,
    ParsedSection,
    Subheading,
    Table,
)
from tests.docx_builder import build_docx, tree_outline

SECTIONS = ["产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴"]


def _sample_tree() -> ParsedBulletin:
    return ParsedBulletin(
        bulletin_name="信息产业观察周刊",
        issue_date=date(2020, 12, 3),
        sections=[
            ParsedSection(
                "产业环境",
                articles=[
                    ParsedArticle(
                        "数据中心能效新规出台12项指标纳入考核",
                        blocks=[
                            Paragraph("11月30日，有关部门发布数据中心能效管理办法，自明年起实行。"),
                            Subheading("边云协同进入新阶段", kicker="从概念到实践"),
                            Paragraph("办法提出，到2023年，全国新建大型数据中心能效再提升10%。"),
                            FigureCaption("2020年前三季度主要云厂商资本开支", "资料来源：公司公告"),
                            Table([["厂商", "资本开支"], ["甲公司", "12亿元"]]),
                            Paragraph("其中，信息技术服务收入41203亿元，同比增长14.1%。"),
                        ],
                    ),
                    ParsedArticle(
                        "1—10月软件业务收入同比增长12.6%",
                        blocks=[
                            Paragraph("今年1—10月，全国软件业务收入65360亿元，同比增长12.6%。"),
                            Subheading("需求侧：训练任务排队"),
                            Paragraph("据业内人士介绍，部分企业的模型训练任务需要排队两到三周。"),
                            Subheading("供给侧：新机房加速投产"),
                            Paragraph("多家厂商表示，新建机房将于明年一季度陆续投产。"),
                        ],
                    ),
                ],
            ),
            ParsedSection(
                "运营竞争",
                articles=[
                    ParsedArticle(
                        "多方发力 新一轮建设提速",
                        blocks=[Paragraph("12月14日，三家运营商公布了新一轮集中采购结果。")],
                    ),
                ],
            ),
            ParsedSection(
                "企业情报",
                articles=[
                    ParsedArticle(
                        "算力租赁走热？云厂商加码GPU集群",
                        blocks=[
                            Paragraph("近期多家云服务商宣布扩建算力集群，租赁价格随之上涨。"),
                            FigureCaption("主要云厂商GPU集群规模", "数据来源：公开资料整理"),
                        ],
                    ),
                    ParsedArticle(
                        "AI PC出货量创新高",
                        blocks=[Paragraph("第三季度，全球AI PC出货量环比增长超过三成。")],
                    ),
                ],
            ),
        ],
    )


def _docx(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _codes(parsed: ParsedBulletin) -> set[str]:
    return {warning.code for warning in parsed.warnings}


# --------------------------------------------------------------------------- round-trips


@pytest.mark.parametrize("use_styles", [True, False], ids=["styles", "font-only"])
def test_round_trip_gives_the_same_tree(use_styles):
    tree = _sample_tree()
    parsed = parse_docx(build_docx(tree, use_styles=use_styles), sections=SECTIONS)
    assert tree_outline(parsed) == tree_outline(tree)


def test_styled_document_needs_no_inference():
    parsed = parse_docx(build_docx(_sample_tree()), sections=SECTIONS)
    assert parsed.warnings == []
    assert parsed.furniture == []


def test_font_only_document_reports_every_inferred_heading():
    parsed = parse_docx(build_docx(_sample_tree(), use_styles=False), sections=SECTIONS)
    assert _codes(parsed) == {"inferred-heading"}
    inferred = {warning.text for warning in parsed.warnings}
    assert {"信息产业观察周刊", "产业环境", "AI PC出货量创新高", "从概念到实践"} <= inferred
    first = parsed.warnings[0]
    assert (first.line, first.text) == (1, "信息产业观察周刊")  # lines are 1-based


@pytest.mark.parametrize("configured", [None, ["别的栏目"]], ids=["no-config", "other-config"])
def test_font_only_sections_are_found_by_size_without_matching_config(configured):
    tree = _sample_tree()
    parsed = parse_docx(build_docx(tree, use_styles=False), sections=configured)
    assert tree_outline(parsed) == tree_outline(tree)
    unknown = [w.text for w in parsed.warnings if w.code == "unknown-heading"]
    assert unknown == ([] if configured is None else ["产业环境", "运营竞争", "企业情报"])


def test_line_numbers_count_paragraphs_and_tables():
    parsed = parse_docx(build_docx(_sample_tree()), sections=SECTIONS)
    section = parsed.sections[0]
    article = section.articles[0]
    # 1 Title, 2 section, 3 article title, 4 paragraph, 5 kicker (H4), 6 heading (H3) ...
    assert (section.line, article.line) == (2, 3)
    assert [block.line for block in article.blocks] == [4, 5, 7, 8, 10, 11]


def test_kicker_is_a_heading_4_above_a_heading_3():
    document = Document()
    document.add_heading("产业环境", 1)
    document.add_heading("边缘计算", 2)
    document.add_heading("从概念到实践", 4)
    document.add_heading("边云协同进入新阶段", 3)
    document.add_paragraph("正文。")
    document.add_heading("单独的四级标题", 4)
    document.add_paragraph("正文。")
    blocks = parse_docx(_docx(document)).articles[0].blocks
    assert blocks[0] == Subheading("边云协同进入新阶段", line=3, kicker="从概念到实践")
    assert blocks[2] == Subheading("单独的四级标题", line=6)


# --------------------------------------------------------------------------- style names


@pytest.mark.parametrize(
    "name, style_id, role",
    [
        ("Heading 1", None, Role.SECTION),
        ("heading 2", None, Role.ARTICLE),
        ("标题 1", None, Role.SECTION),
        ("标题2", None, Role.ARTICLE),
        ("标题 3", None, Role.SUBHEADING),
        ("Heading 4", None, Role.MINOR_SUBHEADING),
        ("Heading 5", None, Role.SUBHEADING),
        ("Custom", "Heading3", Role.SUBHEADING),
        (None, "Heading2", Role.ARTICLE),
        ("Title", None, Role.BULLETIN_NAME),
        ("标题", None, Role.BULLETIN_NAME),
        ("Caption", None, Role.CAPTION),
        ("题注", None, Role.CAPTION),
        ("TOC 1", None, Role.FRONT_MATTER),
        ("目录 2", None, Role.FRONT_MATTER),
        ("Subtitle", None, Role.FRONT_MATTER),
        ("Normal", "Normal", None),
        ("正文", "a", None),
        ("Heading", None, None),
        ("List Paragraph", None, None),
    ],
)
def test_style_role(name, style_id, role):
    assert style_role(name, style_id) is role


def _localised_document():
    """Headings in styles named the way a Chinese Word names them."""
    document = Document()
    styles = document.styles
    for name in ("标题 1", "标题 2", "标题 3", "标题"):
        styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("信息产业观察周刊", style="标题")
    document.add_paragraph("产业环境", style="标题 1")
    document.add_paragraph("工信部发布 12 项 AI 标准", style="标题 2")
    document.add_paragraph("标准涵盖训练、推理等环节。")
    document.add_paragraph("适用范围", style="标题 3")
    document.add_paragraph("标准适用于各类企业。")
    return document


def test_localised_style_names():
    parsed = parse_docx(_docx(_localised_document()))
    assert parsed.bulletin_name == "信息产业观察周刊"
    assert [s.title for s in parsed.sections] == ["产业环境"]
    article = parsed.articles[0]
    assert article.title == "工信部发布12项AI标准"  # titles are cleaned
    assert article.subheadings == ["适用范围"]
    assert article.paragraphs == ["标准涵盖训练、推理等环节。", "标准适用于各类企业。"]
    assert parsed.warnings == []


def test_style_ids_and_base_styles_and_outline_levels():
    document = Document()
    styles = document.styles
    # Chinese Word saves the built-in heading styles with digit ids ("1", "2").
    styles["Heading 1"].element.styleId = "1"
    custom = styles.add_style("我的标题", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = styles["Heading 2"]
    outline_only = styles.add_style("小节", WD_STYLE_TYPE.PARAGRAPH)
    outline_only.element.get_or_add_pPr().append(
        outline_only.element.makeelement(qn("w:outlineLvl"), {qn("w:val"): "2"})
    )
    document.add_paragraph("产业环境", style=styles["Heading 1"])
    document.add_paragraph("基于二级标题的自定义样式", style="我的标题")
    document.add_paragraph("大纲级别三", style="小节")
    document.add_paragraph("正文。")
    parsed = parse_docx(_docx(document))
    assert parsed.sections[0].title == "产业环境"
    assert parsed.articles[0].title == "基于二级标题的自定义样式"
    assert parsed.articles[0].subheadings == ["大纲级别三"]


# --------------------------------------------------------------------------- sections


def test_configured_section_names_match_bold_normal_lines():
    document = Document()
    for text in ("产业 环境", "５Ｇ专题"):
        document.add_paragraph().add_run(text).bold = True
        document.add_heading("工信部发布新标准", 2)
        document.add_paragraph("正文。")
    parsed = parse_docx(_docx(document), sections=["产业环境", "5G专题"])
    assert [s.title for s in parsed.sections] == ["产业环境", "5G专题"]  # configured spelling
    assert [w.line for w in parsed.warnings if w.code == "inferred-heading"] == [1, 4]


def test_section_key_ignores_spaces_and_width():
    assert section_key(" 产业\u3000环 境 ") == section_key("产业环境")
    assert section_key("５Ｇ专题") == section_key("5g专题")


def test_unconfigured_heading_1_is_still_a_section_but_reported():
    document = Document()
    document.add_heading("月度数据", 1)
    document.add_heading("软件业务收入增长", 2)
    parsed = parse_docx(_docx(document), sections=SECTIONS)
    assert parsed.sections[0].title == "月度数据"
    assert "unknown-heading" in _codes(parsed)


def test_text_before_the_first_article_is_kept_and_reported():
    document = Document()
    document.add_paragraph("2020年第45期")
    document.add_paragraph("主办单位：某研究院  2020年12月3日")
    document.add_heading("产业环境", 1)
    document.add_paragraph("本期导读。")
    document.add_heading("软件业务收入增长", 2)
    parsed = parse_docx(_docx(document))
    assert parsed.furniture == ["2020年第45期", "主办单位：某研究院  2020年12月3日"]
    assert parsed.issue_date == date(2020, 12, 3)  # from the masthead, no header here
    untitled, titled = parsed.sections[0].articles
    assert (untitled.title, untitled.paragraphs) == ("", ["本期导读。"])
    assert titled.title == "软件业务收入增长"
    assert "text-outside-article" in _codes(parsed)


# --------------------------------------------------------------------------- tables, figures


def test_tables_stay_in_place_between_paragraphs():
    document = Document()
    document.add_heading("产业环境", 1)
    document.add_heading("主要指标", 2)
    document.add_paragraph("前文。")
    first = document.add_table(rows=2, cols=2)
    for cell, text in zip(first._cells, ["指标", "数值", "收入", "12451亿元"], strict=True):
        cell.text = text
    document.add_paragraph("中间。")
    document.add_table(rows=1, cols=1).cell(0, 0).text = "单格"
    document.add_paragraph("后文。")
    blocks = parse_docx(_docx(document)).articles[0].blocks
    assert [type(b).__name__ for b in blocks] == [
        "Paragraph",
        "Table",
        "Paragraph",
        "Table",
        "Paragraph",
    ]
    assert blocks[1].rows == [["指标", "数值"], ["收入", "12451亿元"]]
    assert blocks[3] == Table(rows=[["单格"]], line=6)


def test_merged_cells_are_not_duplicated():
    document = Document()
    document.add_heading("产业环境", 1)
    document.add_heading("主要指标", 2)
    table = document.add_table(rows=3, cols=3)
    for r in range(3):
        for c in range(3):
            table.cell(r, c).text = "ABCDEFGHI"[r * 3 + c]
    table.cell(0, 0).merge(table.cell(0, 1)).text = "横"
    table.cell(1, 2).merge(table.cell(2, 2)).text = "纵"
    [block] = parse_docx(_docx(document)).articles[0].blocks
    assert block.rows == [["横", "", "C"], ["D", "E", "纵"], ["G", "H", ""]]


def test_short_line_before_a_source_line_is_a_caption():
    document = Document()
    document.add_heading("产业环境", 1)
    document.add_heading("云厂商资本开支", 2)
    document.add_paragraph("这是一段很长的正文，以句号结尾，后面虽然跟着来源，但不是图注。")
    document.add_paragraph("资料来源：公司公告")
    document.add_paragraph("主要云厂商资本开支")
    document.add_paragraph("来源: 公司公告")
    document.add_paragraph("题注样式的来源行", style="Caption")
    document.add_paragraph("数据来源：某机构", style="Caption")
    blocks = parse_docx(_docx(document)).articles[0].blocks
    assert blocks == [
        Paragraph("这是一段很长的正文，以句号结尾，后面虽然跟着来源，但不是图注。", line=3),
        Paragraph("资料来源：公司公告", line=4),
        FigureCaption("主要云厂商资本开支", "来源: 公司公告", line=5),
        FigureCaption("题注样式的来源行", "数据来源：某机构", line=7),
    ]


def _tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_inline_images_are_ignored():
    document = Document()
    document.add_heading("产业环境", 1)
    document.add_heading("云厂商资本开支", 2)
    document.add_picture(io.BytesIO(_tiny_png()))
    mixed = document.add_paragraph("图前文字")
    mixed.add_run().add_picture(io.BytesIO(_tiny_png()))
    document.add_paragraph("资料来源：公司公告")
    blocks = parse_docx(_docx(document)).articles[0].blocks
    assert blocks == [FigureCaption("图前文字", "资料来源：公司公告", line=4)]


def test_content_controls_are_read_in_place():
    document = Document()
    document.add_heading("产业环境", 1)
    heading = document.add_heading("包在内容控件里的标题", 2)
    document.add_paragraph("正文。")
    sdt = heading._p.makeelement(qn("w:sdt"), {})
    content = sdt.makeelement(qn("w:sdtContent"), {})
    sdt.append(content)
    heading._p.addprevious(sdt)
    content.append(heading._p)
    parsed = parse_docx(_docx(document))
    assert parsed.articles[0].title == "包在内容控件里的标题"
    assert parsed.articles[0].paragraphs == ["正文。"]


# --------------------------------------------------------------------------- header/footer


def test_name_and_date_from_the_header():
    tree = _sample_tree()
    tree.bulletin_name, tree.issue_date = None, None
    data = build_docx(tree, header_text="信息产业观察周刊\t2020年12月3日\n内部资料")
    parsed = parse_docx(data, sections=SECTIONS)
    assert parsed.bulletin_name == "信息产业观察周刊"
    assert parsed.issue_date == date(2020, 12, 3)
    assert "内部资料" not in str(tree_outline(parsed))  # header text is not body


def test_title_paragraph_wins_over_header_and_footer_gives_the_date():
    tree = _sample_tree()
    tree.issue_date = date(2020, 12, 24)
    data = build_docx(tree, header_text="某某周刊 - 12 -")
    parsed = parse_docx(data, sections=SECTIONS)
    assert parsed.bulletin_name == "信息产业观察周刊"
    assert parsed.issue_date == date(2020, 12, 24)


@pytest.mark.parametrize(
    "header, expected",
    [
        ("©2020 未经同意，不得转载 2020.12.24", date(2020, 12, 24)),
        ("周刊 2020-01-05", date(2020, 1, 5)),
        ("周刊 ２０２０．１２．２４", date(2020, 12, 24)),
        ("咨询电话 010-0000-0000", None),
        ("周刊 2020.13.45", None),
    ],
)
def test_issue_date_formats(header, expected):
    tree = _sample_tree()
    tree.issue_date = None
    parsed = parse_docx(build_docx(tree, header_text=header), sections=SECTIONS)
    assert parsed.issue_date == expected


# --------------------------------------------------------------------------- bad input


def _real_docx() -> bytes:
    return build_docx(_sample_tree())


def _rezipped(drop: str | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_real_docx())) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            if info.filename == drop:
                continue
            target.writestr(info.filename, (replace or {}).get(info.filename, source.read(info)))
    return out.getvalue()


def _expect_error(data: bytes, code: str) -> BulletinParseError:
    with pytest.raises(BulletinParseError) as caught:
        parse_docx(data, sections=SECTIONS)
    assert caught.value.code == code
    return caught.value


def test_empty_bytes():
    _expect_error(b"", "empty")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"not a zip", id="not-a-zip"),
        pytest.param(_real_docx()[: len(_real_docx()) // 2], id="truncated"),
        pytest.param(_rezipped(drop="word/document.xml"), id="no-document-xml"),
        pytest.param(_rezipped(replace={"word/document.xml": b"<w:document"}), id="bad-xml"),
        pytest.param(_rezipped(replace={"word/document.xml": b"<foo/>"}), id="wrong-root"),
        pytest.param(_rezipped(drop="[Content_Types].xml"), id="no-content-types"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), id="old-doc"),
    ],
)
def test_broken_files(data):
    _expect_error(data, "docx-broken")


def test_old_doc_files_get_a_hint():
    error = _expect_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "docx-broken")
    assert ".doc" in str(error)


def test_a_document_without_headings_has_no_structure():
    document = Document()
    document.add_paragraph("只有正文，没有任何标题。")
    document.add_paragraph("第二段正文。")
    _expect_error(_docx(document), "no-structure")


def test_a_title_alone_is_no_structure():
    document = Document()
    document.add_paragraph("信息产业观察周刊", style="Title")
    document.add_paragraph("正文。")
    _expect_error(_docx(document), "no-structure")


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_only_raise_parse_errors(data):
    with pytest.raises(BulletinParseError) as caught:
        parse_docx(data)
    assert caught.value.code in {"empty", "docx-broken"}


_SAMPLE_DOCX = _real_docx()


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_corrupted_docx_never_raises_anything_else(data):
    corrupted = bytearray(_SAMPLE_DOCX)
    for _ in range(data.draw(st.integers(1, 5))):
        position = data.draw(st.integers(0, len(corrupted) - 1))
        corrupted[position] = data.draw(st.integers(0, 255))
    try:
        parse_docx(bytes(corrupted), sections=SECTIONS)
    except BulletinParseError as error:
        assert error.code in {"docx-broken", "no-structure"}


# --------------------------------------------------------------------------- property

_HAN = (
    "数据中心能效新规出台指标纳入考核软件业务收入同比增长云厂商加码集群算力租赁走热多方发力建设提速"
)
_SECTION_KEYS = {section_key(name) for name in SECTIONS}


def _clean(text: str) -> str:
    return clean_title(text)


def _heading_text(max_size: int):
    alphabet = _HAN + "0123456789AIGP？ "
    return (
        st.text(alphabet=alphabet, min_size=2, max_size=max_size)
        .map(_clean)
        .filter(lambda t: len(t) >= 2 and _clean(t) == t and section_key(t) not in _SECTION_KEYS)
    )


_PARAGRAPH_TEXT = st.text(alphabet=_HAN + "，。、0123456789%", min_size=20, max_size=80)
_CELL_TEXT = st.text(alphabet=_HAN + "0123456789.%", min_size=1, max_size=8)
_SOURCE = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["资料来源：", "数据来源：", "来源："]),
    st.text(alphabet=_HAN, min_size=1, max_size=12),
)


def _table():
    return (
        st.integers(1, 3)
        .flatmap(
            lambda columns: st.lists(
                st.lists(_CELL_TEXT, min_size=columns, max_size=columns), min_size=1, max_size=3
            )
        )
        .map(Table)
    )


def _blocks(use_styles: bool):
    source = _SOURCE if not use_styles else st.none() | _SOURCE
    block = st.one_of(
        _PARAGRAPH_TEXT.map(Paragraph),
        st.builds(Subheading, _heading_text(16), kicker=st.none() | _heading_text(10)),
        st.builds(FigureCaption, _heading_text(20), source),
        _table(),
    )
    blocks = st.lists(block, max_size=6)
    if use_styles:
        return blocks
    # Without styles two subheadings in a row read as kicker + heading, and body text must
    # outweigh headings for the body size to be recognised: lead with a paragraph.
    return (
        st.tuples(_PARAGRAPH_TEXT, blocks)
        .map(lambda pair: [Paragraph(pair[0]), *pair[1]])
        .filter(_no_adjacent_subheadings)
    )


def _no_adjacent_subheadings(blocks) -> bool:
    return not any(
        isinstance(a, Subheading) and isinstance(b, Subheading)
        for a, b in itertools.pairwise(blocks)
    )


def _trees(use_styles: bool):
    article = st.builds(ParsedArticle, _heading_text(16), blocks=_blocks(use_styles))
    min_articles = 0 if use_styles else 1
    section = st.builds(
        ParsedSection,
        st.sampled_from(SECTIONS),
        articles=st.lists(article, min_size=min_articles, max_size=3),
    )
    return st.builds(
        ParsedBulletin,
        bulletin_name=st.none() | _heading_text(12),
        issue_date=st.none() | st.dates(date(2000, 1, 1), date(2099, 12, 31)),
        sections=st.lists(section, min_size=1, max_size=4),
    )


_PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_PROPERTY_SETTINGS
@given(_trees(use_styles=True))
def test_round_trip_property_with_styles(tree):
    parsed = parse_docx(build_docx(tree), sections=SECTIONS)
    assert tree_outline(parsed) == tree_outline(tree)


@_PROPERTY_SETTINGS
@given(_trees(use_styles=False))
def test_round_trip_property_font_only(tree):
    parsed = parse_docx(build_docx(tree, use_styles=False), sections=SECTIONS)
    assert tree_outline(parsed) == tree_outline(tree)


def test_heading_styles_with_larger_fonts_do_not_confuse_inference():
    # Titles styled, subheadings hand-formatted: only the unstyled level is inferred.
    document = Document()
    document.add_heading("产业环境", 1)
    document.add_heading("软件业务收入增长", 2)
    document.add_paragraph("正文第一段，介绍总体情况。" * 3)
    document.add_paragraph().add_run("月度数据").bold = True
    document.add_paragraph("一句加粗的强调也不是标题。").runs[0].bold = True
    big = document.add_paragraph().add_run("较大字号的一句话")
    big.font.size = Pt(20)
    document.add_paragraph("正文第二段，介绍细分情况。" * 3)
    parsed = parse_docx(_docx(document))
    assert len(parsed.sections) == len(parsed.articles) == 1
    assert parsed.articles[0].subheadings == ["月度数据", "较大字号的一句话"]
    assert "一句加粗的强调也不是标题。" in parsed.articles[0].paragraphs
