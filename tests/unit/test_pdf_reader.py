"""The PDF bulletin reader, on PDFs made here with Typst and with Chromium.

Each test PDF is printed from a bulletin written as data (``Doc``), so the tree the
reader should give back is known exactly: sections, titles, subheadings, paragraphs
(wrapped over lines, columns and pages, with running headers and footers between),
figures with their caption and source lines, and ruled tables. "Nothing lost" is
checked against the PDF's text layer read independently with pdfplumber.
"""

from __future__ import annotations

import io
import random
import re
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pdfplumber
import pytest
import typst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from editorial.parsing.accounting import content_characters, input_characters
from editorial.parsing.glyphs import unify_radicals
from editorial.parsing.normalise import clean_title
from editorial.parsing.pdf import PDF_WARNING_CODES, parse_pdf
from editorial.parsing.pdf import document as pdf_document
from editorial.parsing.text import OVERRIDE_ROLES
from editorial.parsing.tree import (
    EVIDENCE_CODES,
    BulletinParseError,
    FigureCaption,
    Paragraph,
    ParsedBulletin,
    Subheading,
    Table,
)
from tests.chromium import CHROMIUM
from tests.corpus.generator import pdf_via_chromium
from tests.service_probe import services_required

FONT_DIR = "/usr/share/fonts/opentype/noto"
NAME = "信息产业观察周刊"
SECTIONS = ["产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴"]


# ============================================================================ bulletins as data


@dataclass
class Doc:
    """A bulletin: ("section", name) | ("title", text) | ("p", text) | ("sub", text)
    | ("kicker", kicker, text) | ("figure", caption, source) | ("table", rows)
    | ("columns", [paragraphs], [paragraphs][, breakable])."""

    blocks: list[tuple]
    cover: bool = True
    furniture: bool = True


def outline(parsed: ParsedBulletin) -> list:
    out = []
    for section in parsed.sections:
        articles = []
        for article in section.articles:
            blocks = []
            for block in article.blocks:
                if isinstance(block, Paragraph):
                    blocks.append(("p", block.text))
                elif isinstance(block, Subheading):
                    blocks.append(("sub", block.text, block.kicker))
                elif isinstance(block, FigureCaption):
                    blocks.append(("figure", block.caption, block.source))
                elif isinstance(block, Table):
                    blocks.append(("table", block.rows))
            articles.append((article.title, blocks))
        out.append((section.title, articles))
    return out


def expected_outline(doc: Doc) -> list:
    out: list = []
    for block in doc.blocks:
        kind = block[0]
        if kind == "section":
            out.append((block[1], []))
        elif kind == "title":
            out[-1][1].append((clean_title(block[1]), []))
        else:
            blocks = out[-1][1][-1][1]
            if kind == "p":
                blocks.append(("p", block[1]))
            elif kind == "sub":
                blocks.append(("sub", clean_title(block[1]), None))
            elif kind == "kicker":
                blocks.append(("sub", clean_title(block[2]), clean_title(block[1])))
            elif kind == "figure":
                blocks.append(("figure", block[1], block[2]))
            elif kind == "table":
                blocks.append(("table", block[1]))
            elif kind == "columns":
                blocks.extend(("p", text) for text in block[1] + block[2])
    return out


def text_layer(pdf: bytes) -> str:
    """Every character pdfplumber reads from the PDF, radicals unified."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return "".join(unify_radicals(c["text"]) for page in document.pages for c in page.chars)


def assert_nothing_lost(pdf: bytes, parsed: ParsedBulletin) -> None:
    assert content_characters(parsed) == input_characters(text_layer(pdf), parsed.furniture)


def tiny_png(width: int = 90, height: int = 60) -> bytes:
    """A small solid-colour RGB PNG, written by hand (zlib and struct only)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes((40, 110, 190)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# ============================================================================ Typst


def _typst_string(text: str) -> str:
    """Text as a Typst string literal: printed as is, no markup or smart quotes."""
    return '#"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_TYPST_PREAMBLE = """
#set page(paper: "a4", margin: (x: 2.2cm, top: 2.6cm, bottom: 2.6cm),
  header: context { if FURNITURE and counter(page).get().first() > 1 [
    #set text(size: 9pt); NAME #h(1fr) 2020年第48期 ] },
  footer: context { if FURNITURE and counter(page).get().first() > 1 [
    #set text(size: 8pt); ©2020 NAME 版权所有 未经许可不得转载 咨询电话 010-6800-0000 2020.12.24
    #h(1fr) 第#counter(page).display()页 ] })
#set text(font: "Noto Serif CJK SC", size: 10.5pt, lang: "zh", region: "cn")
#set par(first-line-indent: (amount: 2em, all: true), justify: true, leading: 0.8em, spacing: 0.8em)
#let heading-font = "Noto Sans CJK SC"
"""


def typst_source(doc: Doc) -> str:
    out = [
        _TYPST_PREAMBLE.replace("NAME", NAME).replace(
            "FURNITURE", "true" if doc.furniture else "false"
        )
    ]
    if doc.cover:
        out.append(
            f'#align(center)[#text(size: 26pt, weight: "bold")[{NAME}]\n\n'
            "#text(size: 12pt)[2020年第48期（总第1234期）]\n\n2020年12月24日]\n#pagebreak()\n"
        )
    for block in doc.blocks:
        kind = block[0]
        if kind == "section":
            out.append(
                f'#block(above: 1.6em, below: 1.2em)[#text(size: 18pt, weight: "bold", '
                f"font: heading-font)[{_typst_string(block[1])}]]\n"
            )
        elif kind == "title":
            out.append(
                f'#block(above: 1.4em, below: 1em)[#text(size: 14pt, weight: "bold", '
                f"font: heading-font)[{_typst_string(block[1])}]]\n"
            )
        elif kind == "p":
            out.append(_typst_string(block[1]) + "\n")
        elif kind == "sub":
            out.append(f'#text(weight: "bold")[{_typst_string(block[1])}]\n')
        elif kind == "kicker":
            out.append(
                f'#text(weight: "bold")[{_typst_string(block[1])}]\n\n'
                f'#text(weight: "bold")[{_typst_string(block[2])}]\n'
            )
        elif kind == "figure":
            out.append(
                '#figure(image("fig.png", width: 40%), supplement: none, numbering: none, '
                f"gap: 0.8em, caption: [{_typst_string(block[1])}])\n"
                f"#par(first-line-indent: 0em)[#text(size: 9pt)[{_typst_string(block[2])}]]\n"
            )
        elif kind == "table":
            cells = ", ".join(f"[{_typst_string(cell)}]" for row in block[1] for cell in row)
            out.append(f"#table(columns: {len(block[1][0])}, inset: 5pt, {cells})\n")
        elif kind == "columns":
            left = "\n\n".join(_typst_string(text) for text in block[1])
            right = "\n\n".join(_typst_string(text) for text in block[2])
            # Kept on one page unless asked: a column block cut after its first line
            # is one printed line holding two columns' text, which no reader can split.
            breakable = "true" if len(block) > 3 and block[3] else "false"
            out.append(
                f"#block(breakable: {breakable})[#columns(2, gutter: 2em)[\n{left}\n"
                f"#colbreak()\n{right}\n]]\n"
            )
        out.append("\n")
    return "".join(out)


def typst_pdf(doc: Doc, tmp: Path) -> bytes:
    (tmp / "fig.png").write_bytes(tiny_png())
    source = tmp / "bulletin.typ"
    source.write_text(typst_source(doc), encoding="utf-8")
    return typst.compile(str(source), format="pdf", font_paths=[FONT_DIR])


# ============================================================================ the sample


LONG = (
    "从产业链看，上游芯片与光模块厂商订单饱满，中游设备商加快交付，下游运营商持续扩大集采规模，"
    "整个链条呈现量价齐升的态势。业内人士指出，随着新一轮建设周期开启，相关企业的营收与利润有望"
    "同步改善，但也要警惕阶段性产能过剩带来的价格压力。与此同时，地方政府出台配套政策，"
    "在用地、用电、人才等方面给予支持，推动项目尽快落地见效。"
)

SAMPLE = Doc(
    [
        ("section", "产业环境"),
        ("title", "数据中心能效新规出台 12 项指标纳入考核"),
        (
            "p",
            "11月30日，有关部门发布数据中心能效管理办法，自明年起对新建大型数据中心实行能效准入，"
            "平均电能利用效率不得高于1.3。",
        ),
        (
            "p",
            "办法提出，到2023年，全国新建大型数据中心平均能效水平再提升10%，可再生能源使用比例"
            "逐年提高。Open RAN and cloud native deployments accelerate worldwide.",
        ),
        ("sub", "新增装机规模突破3GW"),
        ("p", "今年前三季度，储能新增装机规模突破3GW，同比增长超过一倍。" + LONG),
        ("figure", "2020年前三季度主要云厂商资本开支", "资料来源：公司公告"),
        ("p", "其中，信息技术服务收入41203亿元，同比增长14.1%，占全行业收入的63.0%。" + LONG * 2),
        ("p", LONG * 6),
        ("title", "1—10月软件业务收入同比增长12.6%"),
        ("p", "今年1—10月，全国软件和信息技术服务业完成软件业务收入65360亿元，同比增长12.6%。"),
        ("table", [["指标", "1—10月", "同比"], ["软件业务收入", "65360亿元", "12.6%"]]),
        ("p", "增速较1—9月提高0.3个百分点，" + LONG),
        ("section", "企业情报"),
        ("title", "算力租赁走热？云厂商加码 GPU 集群"),
        ("kicker", "从概念到实践", "边云协同进入新阶段"),
        (
            "columns",
            ["近期多家云服务商宣布扩建算力集群。" + LONG, "需求侧方面，训练任务排队现象明显。"],
            ["供给侧方面，新建机房将于明年一季度陆续投产。" + LONG],
        ),
        ("p", "据业内人士介绍，部分企业的模型训练任务需要排队两到三周。"),
    ]
)


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory) -> bytes:
    return typst_pdf(SAMPLE, tmp_path_factory.mktemp("typst"))


@pytest.fixture(scope="module")
def sample(sample_pdf) -> ParsedBulletin:
    return parse_pdf(sample_pdf, sections=SECTIONS)


def test_sample_tree_is_exact(sample):
    assert outline(sample) == expected_outline(SAMPLE)


def test_sample_metadata_comes_from_the_furniture(sample):
    assert sample.bulletin_name == NAME
    assert sample.issue_date == date(2020, 12, 24)
    assert (sample.issue_number, sample.total_number) == (48, 1234)


def test_sample_furniture_is_headers_footers_and_cover(sample):
    pages = [int(n) for text in sample.furniture for n in re.findall(r"第(\d+)页", text)]
    assert pages == list(range(2, 2 + len(pages))) and len(pages) >= 2
    for text in sample.furniture:
        assert text.startswith((NAME, "©2020", "2020年", "第")), text
    assert not sample.warnings or {w.code for w in sample.warnings} <= {"front-matter"}


def test_sample_loses_nothing(sample_pdf, sample):
    assert_nothing_lost(sample_pdf, sample)


def test_paragraph_interrupted_by_a_page_break_is_joined(sample_pdf, sample):
    """Some page starts in the middle of a paragraph (its first body line is no
    paragraph's start), and that paragraph still comes back whole."""
    with pdfplumber.open(io.BytesIO(sample_pdf)) as document:
        firsts = []
        for page in document.pages[1:]:
            lines = page.extract_text_lines()
            body = [ln for ln in lines if abs(ln["chars"][0]["size"] - 10.5) < 0.1]
            if body:
                firsts.append(unify_radicals(body[0]["text"]).replace(" ", ""))
    paragraphs = [p for a in sample.articles for p in a.paragraphs]
    continued = [first for first in firsts if not any(p.startswith(first[:12]) for p in paragraphs)]
    assert continued, "no page break fell inside a paragraph: lengthen the sample"
    for first in continued:
        assert any(first[:12] in p for p in paragraphs)


def test_decisions_cover_every_line_with_known_evidence(sample):
    numbers = [d.line for d in sample.decisions]
    assert numbers == list(range(1, len(numbers) + 1))
    roles = {d.role for d in sample.decisions}
    assert roles <= {"section", "title", "subheading", "body", "caption", "source", "table",
                     "furniture"}  # fmt: skip
    assert {"section", "title", "subheading", "body", "caption", "source", "table",
            "furniture"} <= roles  # fmt: skip
    for decision in sample.decisions:
        assert set(decision.evidence) <= set(EVIDENCE_CODES)
    by_role = {d.role: d for d in sample.decisions}
    assert "font-size" in by_role["title"].evidence
    assert "bold" in by_role["subheading"].evidence
    assert "configured-section" in by_role["section"].evidence
    assert by_role["source"].evidence[0] == "source-line"
    assert by_role["furniture"].evidence == ("furniture",)


def test_warning_codes_are_listed(sample):
    assert {w.code for w in sample.warnings} <= set(PDF_WARNING_CODES)


# ============================================================================ overrides


def _decision(parsed: ParsedBulletin, role: str, text: str = ""):
    return next(d for d in parsed.decisions if d.role == role and text in d.text)


def test_override_turns_a_subheading_into_a_title(sample_pdf, sample):
    line = _decision(sample, "subheading", "新增装机").line
    parsed = parse_pdf(sample_pdf, sections=SECTIONS, overrides={line: "title"})
    titles = [a.title for a in parsed.articles]
    assert "新增装机规模突破3GW" in titles
    decision = next(d for d in parsed.decisions if d.line == line)
    assert (decision.role, decision.evidence, decision.sure) == ("title", ("editor",), True)
    assert_nothing_lost(sample_pdf, parsed)


def test_override_moves_lines_to_and_from_the_furniture(sample_pdf, sample):
    body = _decision(sample, "body", "11月30日")
    header = next(d for d in sample.decisions if d.role == "furniture" and d.text == NAME)
    parsed = parse_pdf(
        sample_pdf, sections=SECTIONS, overrides={body.line: "furniture", header.line: "body"}
    )
    assert body.text in parsed.furniture
    assert parsed.furniture.count(NAME) == sample.furniture.count(NAME) - 1
    assert not any(p.startswith("11月30日") for a in parsed.articles for p in a.paragraphs)
    assert_nothing_lost(sample_pdf, parsed)


def test_override_of_a_table_row_and_a_caption(sample_pdf, sample):
    row = _decision(sample, "table", "软件业务收入")
    caption = _decision(sample, "caption")
    parsed = parse_pdf(
        sample_pdf, sections=SECTIONS, overrides={row.line: "body", caption.line: "subheading"}
    )
    article = parsed.articles[1]
    assert article.tables[0].rows == [["指标", "1—10月", "同比"]]
    assert "软件业务收入 65360亿元 12.6%" in article.paragraphs
    assert "2020年前三季度主要云厂商资本开支" in parsed.articles[0].subheadings
    assert parsed.articles[0].figures[0].caption == ""
    assert_nothing_lost(sample_pdf, parsed)


def test_bad_overrides(sample_pdf):
    parsed = parse_pdf(sample_pdf, sections=SECTIONS, overrides={99999: "body"})
    assert [w.code for w in parsed.warnings if w.line == 99999] == ["bad-override"]
    with pytest.raises(ValueError):
        parse_pdf(sample_pdf, overrides={1: "headline"})
    assert {"section", "title", "subheading", "body", "caption", "furniture"} == OVERRIDE_ROLES


# ============================================================================ no sections configured


def test_sections_guessed_from_known_names(sample_pdf):
    parsed = parse_pdf(sample_pdf)
    assert [s.title for s in parsed.sections] == ["产业环境", "企业情报"]
    assert "guessed-section" in {w.code for w in parsed.warnings}
    assert outline(parsed) == expected_outline(SAMPLE)


def test_sections_guessed_from_font_size(tmp_path):
    doc = Doc(
        [
            ("section", "本周焦点"),
            ("title", "光纤到户用户突破五亿"),
            ("p", "截至十月底，全国光纤接入用户总数达到五亿户。" + LONG),
            ("title", "千兆宽带加快普及"),
            ("p", "千兆宽带用户数持续增长，占比进一步提高。"),
            ("section", "海外观察"),
            ("title", "多国推进频谱拍卖"),
            ("p", "多个国家启动新一轮频谱拍卖，竞价总额创下新高。"),
        ]
    )
    pdf = typst_pdf(doc, tmp_path)
    parsed = parse_pdf(pdf)
    assert outline(parsed) == expected_outline(doc)
    assert {w.code for w in parsed.warnings} >= {"guessed-section"}


def test_unknown_section_name_is_a_section_with_a_warning(tmp_path):
    doc = Doc(
        [
            ("section", "产业环境"),
            ("title", "光纤到户用户突破五亿"),
            ("p", "截至十月底，全国光纤接入用户总数达到五亿户。"),
            ("section", "国际动态"),
            ("title", "多国推进频谱拍卖"),
            ("p", "多个国家启动新一轮频谱拍卖，竞价总额创下新高。"),
        ]
    )
    parsed = parse_pdf(typst_pdf(doc, tmp_path), sections=SECTIONS)
    assert [s.title for s in parsed.sections] == ["产业环境", "国际动态"]
    assert [w.code for w in parsed.warnings if w.text == "国际动态"] == ["unknown-heading"]


def test_two_columns_continue_on_the_next_page(tmp_path):
    left = [LONG * 2, "需求侧方面，训练任务排队现象明显。" + LONG]
    right = [LONG * 3 + "供给侧方面，新建机房将于明年一季度陆续投产。"]
    doc = Doc(
        [
            ("section", "企业情报"),
            ("title", "算力租赁走热"),
            ("p", LONG * 5),
            ("columns", left, right, True),
            ("p", "据业内人士介绍，部分企业的模型训练任务需要排队两到三周。"),
        ]
    )
    pdf = typst_pdf(doc, tmp_path)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 3  # cover, and the columns over two pages
    parsed = parse_pdf(pdf, sections=SECTIONS)
    assert outline(parsed) == expected_outline(doc)
    assert_nothing_lost(pdf, parsed)


# ============================================================================ Chromium


RADICAL_TEXT = (
    "工业和信息化部表示，长期以来车联网、风电、门户网站、用户规模、青年人才、页面设计、"
    "飞机制造、食品安全、马上落地、鱼类养殖、鸟类保护、麦田、黄色预警、齐头并进、齿轮、"
    "龙头企业、见闻、角色、贝壳、民众、母公司持续发展，工作长度车门都在变化。"
)

CHROMIUM_DOC = Doc(
    [
        ("section", "产业环境"),
        ("title", "工业互联网长足发展 车联网风电齐头并进"),
        ("p", RADICAL_TEXT),
        ("sub", "门户与用户"),
        ("p", "第二段文字，" + RADICAL_TEXT + LONG),
        ("figure", "图1 长三角风电装机规模", "数据来源：行业协会"),
        ("p", LONG * 4),
        ("table", [["地区", "风电装机", "同比"], ["华东", "12GW", "8.5%"]]),
        ("section", "技术情报"),
        ("title", "飞机发动机关键技术取得突破"),
        (
            "columns",
            ["长期攻关的团队表示，" + LONG, "门户网站的用户反馈良好。"],
            ["马上进入工程化验证阶段，" + LONG],
        ),
    ],
    cover=False,
    furniture=False,
)


def chromium_html(doc: Doc) -> str:
    import base64

    png = base64.b64encode(tiny_png()).decode("ascii")
    parts = [
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
        "@page { size: A4; margin: 2cm }"
        'body { font-family: "Noto Sans CJK SC"; font-size: 14px; margin: 0 }'
        "h1 { font-size: 26px; margin: 18px 0 } h2 { font-size: 20px; margin: 14px 0 }"
        "h3 { font-size: 14px; font-weight: bold; margin: 8px 0 }"
        "p { text-indent: 2em; margin: 0; line-height: 1.6; text-align: justify }"
        "figure { margin: 12px 0; text-align: center } figcaption { margin-top: 6px }"
        "p.source { text-indent: 0; font-size: 12px }"
        "table { border-collapse: collapse; margin: 10px 0 }"
        "td { border: 1px solid #000; padding: 4px 8px }"
        ".columns { column-count: 2; column-gap: 2em }"
        "</style></head><body>"
    ]
    for block in doc.blocks:
        kind = block[0]
        if kind == "section":
            parts.append(f"<h1>{block[1]}</h1>")
        elif kind == "title":
            parts.append(f"<h2>{block[1]}</h2>")
        elif kind == "sub":
            parts.append(f"<h3>{block[1]}</h3>")
        elif kind == "p":
            parts.append(f"<p>{block[1]}</p>")
        elif kind == "figure":
            parts.append(
                f'<figure><img src="data:image/png;base64,{png}" width="240">'
                f"<figcaption>{block[1]}</figcaption></figure>"
                f'<p class="source">{block[2]}</p>'
            )
        elif kind == "table":
            rows = "".join(
                "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in block[1]
            )
            parts.append(f"<table>{rows}</table>")
        elif kind == "columns":
            left = "".join(f"<p>{text}</p>" for text in block[1])
            right = "".join(f"<p>{text}</p>" for text in block[2])
            parts.append(
                f'<div class="columns">{left}<p style="break-before: column">{right[3:]}</div>'
            )
    parts.append("</body></html>")
    return "".join(parts)


@pytest.fixture(scope="module")
def chromium_sample(tmp_path_factory) -> bytes:
    if not Path(CHROMIUM).exists():
        reason = f"needs chromium at {CHROMIUM} (apt-get install chromium)"
        if services_required():
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return pdf_via_chromium(chromium_html(CHROMIUM_DOC))


def test_chromium_pdf_uses_radical_code_points(chromium_sample):
    with pdfplumber.open(io.BytesIO(chromium_sample)) as document:
        raw = "".join(c["text"] for page in document.pages for c in page.chars)
    assert "\u2f2f" in raw and "\u2ed3" in raw  # ⼯ and ⻓: what the test is about


def test_chromium_pdf_tree_is_exact_with_radicals_unified(chromium_sample):
    parsed = parse_pdf(chromium_sample, sections=SECTIONS)
    assert outline(parsed) == expected_outline(CHROMIUM_DOC)
    everything = "".join(d.text for d in parsed.decisions)
    assert not any(0x2E80 <= ord(c) <= 0x2FDF for c in everything)
    assert_nothing_lost(chromium_sample, parsed)


# ============================================================================ the corpus


def _corpus():
    try:
        from tests import corpus
    except ImportError:  # pragma: no cover - the corpus generator is part of the tests
        pytest.skip("tests/corpus is not there")
    return corpus


@pytest.mark.parametrize("family", ["mixed", "kickers"])
def test_corpus_bulletins_printed_by_chromium_come_back_whole(chromium_sample, family):
    """Bulletins from the corpus generator (truth known), printed by Chromium with the
    name, notice and page numbers in the margins."""
    corpus = _corpus()
    bulletin = corpus.generate(3, family)
    pdf = corpus.pdf_via_chromium(bulletin.render_html())
    parsed = parse_pdf(pdf, sections=bulletin.section_names)
    result = corpus.score(parsed, bulletin)
    assert result.title_f1 == 1.0, result.examples
    assert result.subheadings_share == 1.0, result.examples
    assert result.paragraphs_share >= 0.98, result.examples
    assert (result.characters_lost, result.characters_extra) == (0, 0)
    assert result.date_read and result.name_read
    assert_nothing_lost(pdf, parsed)


def test_corpus_bulletin_typeset_by_the_project_template_comes_back_whole():
    """The PDFs this CMS makes itself (cover digest, contents page with leaders, running
    header and footer) read back into the same issue."""
    corpus = _corpus()
    bulletin = corpus.generate(3, "labelled")
    pdf = corpus.pdf_via_typst(bulletin.render_data())
    parsed = parse_pdf(pdf, sections=bulletin.section_names)
    result = corpus.score(parsed, bulletin)
    assert result.title_f1 == 1.0, result.examples
    assert result.subheadings_share == 1.0, result.examples
    assert result.paragraphs_share >= 0.97, result.examples
    assert result.characters_lost == 0
    assert result.date_read and result.name_read
    assert parsed.issue_number == bulletin.issue_number
    assert_nothing_lost(pdf, parsed)


# ============================================================================ bad input


def test_empty_file():
    with pytest.raises(BulletinParseError) as error:
        parse_pdf(b"")
    assert error.value.code == "empty"


@pytest.mark.parametrize(
    "data",
    [b"not a pdf at all", b"%PDF-1.7\n" + bytes(range(256)) * 20, b"%PDF-1.4\n%%EOF\n"],
)
def test_garbage_is_pdf_broken(data):
    with pytest.raises(BulletinParseError) as error:
        parse_pdf(data)
    assert error.value.code == "pdf-broken"


def test_truncated_pdf_is_pdf_broken(sample_pdf):
    for length in (len(sample_pdf) // 3, len(sample_pdf) - 200):
        with pytest.raises(BulletinParseError) as error:
            parse_pdf(sample_pdf[:length])
        assert error.value.code == "pdf-broken"


def test_image_only_pdf_is_a_scan(tmp_path):
    (tmp_path / "fig.png").write_bytes(tiny_png(200, 280))
    (tmp_path / "scan.typ").write_text(
        '#set page(paper: "a4")\n#image("fig.png", width: 100%)\n#pagebreak()\n'
        '#image("fig.png", width: 100%)\n',
        encoding="utf-8",
    )
    pdf = typst.compile(str(tmp_path / "scan.typ"), format="pdf", font_paths=[FONT_DIR])
    with pytest.raises(BulletinParseError) as error:
        parse_pdf(pdf)
    assert error.value.code == "scanned-pdf"


def test_too_many_pages(monkeypatch, sample_pdf):
    monkeypatch.setattr(pdf_document, "MAX_PAGES", 2)
    with pytest.raises(BulletinParseError) as error:
        parse_pdf(sample_pdf)
    assert error.value.code == "too-large"


def test_huge_content_stream_is_refused_before_it_is_read(monkeypatch, sample_pdf):
    monkeypatch.setattr(pdf_document, "MAX_PAGE_CONTENT_BYTES", 1000)
    with pytest.raises(BulletinParseError) as error:
        parse_pdf(sample_pdf)
    assert error.value.code == "too-large"


def test_no_structure(tmp_path):
    doc = Doc([("p", LONG), ("p", LONG)], cover=False, furniture=False)
    source = typst_source(doc)
    (tmp_path / "plain.typ").write_text(source, encoding="utf-8")
    pdf = typst.compile(str(tmp_path / "plain.typ"), format="pdf", font_paths=[FONT_DIR])
    with pytest.raises(BulletinParseError) as error:
        parse_pdf(pdf)
    assert error.value.code == "no-structure"


# ============================================================================ generated bulletins

_HAN = (
    "数据中心能效新规出台项指标纳入考核有关部门发布管理办法自明年起对新建大型实行准入平均电利用"
    "率不得高于提到全国水再升可生源使用比例逐软件业务收同比增长技术服完成速较个百分点企业云商宣扩"
    "集群算力租赁走热加码需求训练任排队供给机房投产主要资本开支网络用户流量宽带固定移动互联市场"
)
_LATIN = ["AI", "GPU", "5G", "Wi-Fi", "Open RAN", "IDC", "ARPU", "10G PON"]


def _words(rnd: random.Random, low: int, high: int) -> str:
    return "".join(rnd.choices(_HAN, k=rnd.randint(low, high)))


def _sentence(rnd: random.Random) -> str:
    parts = []
    for _ in range(rnd.randint(2, 5)):
        kind = rnd.random()
        if kind < 0.7:
            parts.append(_words(rnd, 2, 8))
        elif kind < 0.85:
            parts.append(f"{rnd.randint(1, 9999)}{rnd.choice(['亿元', '%', '万户'])}")
        else:
            parts.append(rnd.choice(_LATIN))
    return "，".join(parts) + "。"


def _paragraph(rnd: random.Random) -> str:
    return "".join(_sentence(rnd) for _ in range(rnd.randint(1, 6)))


def _long_paragraph(rnd: random.Random, chars: int = 80) -> str:
    """Three lines of a column at least (a one-line column cannot be told apart)."""
    text = _paragraph(rnd)
    while len(text) < chars:
        text += _sentence(rnd)
    return text


def generated_doc(seed: int) -> Doc:
    rnd = random.Random(seed)
    blocks: list[tuple] = []
    for name in rnd.sample(SECTIONS, rnd.randint(1, 3)):
        blocks.append(("section", name))
        for _ in range(rnd.randint(1, 3)):
            blocks.append(
                ("title", _words(rnd, 6, 14) + rnd.choice(["", f" {rnd.randint(2, 99)} 项"]))
            )
            for _ in range(rnd.randint(1, 4)):
                roll = rnd.random()
                if roll < 0.12 and blocks[-1][0] != "sub":  # two in a row: a kicker
                    blocks.append(("sub", _words(rnd, 4, 12)))
                elif roll < 0.2:
                    blocks.append(("figure", _words(rnd, 6, 16), "资料来源：" + _words(rnd, 3, 6)))
                elif roll < 0.26:
                    rows = [[_words(rnd, 2, 4) for _ in range(3)] for _ in range(rnd.randint(2, 4))]
                    blocks.append(("table", rows))
                elif roll < 0.3:
                    left = [_long_paragraph(rnd) for _ in range(rnd.randint(1, 2))]
                    blocks.append(("columns", left, [_long_paragraph(rnd)]))
                    # Two column blocks in a row read as one two-column flow, and a
                    # one-line paragraph right below reads as the left column's last.
                    blocks.append(("p", _long_paragraph(rnd, 50)))
                else:
                    blocks.append(("p", _paragraph(rnd)))
            blocks.append(("p", _paragraph(rnd)))
    return Doc(blocks, cover=rnd.random() < 0.5)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32))
def test_generated_bulletins_lose_nothing_and_come_back_whole(tmp_path_factory, seed):
    doc = generated_doc(seed)
    pdf = typst_pdf(doc, tmp_path_factory.mktemp("generated"))
    parsed = parse_pdf(pdf, sections=SECTIONS)
    assert_nothing_lost(pdf, parsed)
    assert outline(parsed) == expected_outline(doc)
    assert {w.code for w in parsed.warnings} <= set(PDF_WARNING_CODES)


# ============================================================================ speed


def long_doc(articles: int = 118) -> Doc:
    rnd = random.Random(7)
    blocks: list[tuple] = []
    for name in SECTIONS:
        blocks.append(("section", name))
        for _ in range(articles // len(SECTIONS)):
            blocks.append(("title", _words(rnd, 8, 14)))
            blocks.append(("p", _paragraph(rnd) + _paragraph(rnd)))
            blocks.append(("sub", _words(rnd, 5, 10)))
            blocks += [("p", _paragraph(rnd) + _paragraph(rnd)) for _ in range(2)]
    return Doc(blocks)


def iter_pages(pdf: bytes) -> Iterator[int]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        yield len(document.pages)


def test_a_full_issue_parses_well_inside_the_time_bar(tmp_path):
    doc = long_doc()
    pdf = typst_pdf(doc, tmp_path)
    pages = next(iter_pages(pdf))
    assert 36 <= pages <= 40
    started = time.perf_counter()
    parsed = parse_pdf(pdf, sections=SECTIONS)
    seconds = time.perf_counter() - started
    assert seconds < 15, f"{pages} pages took {seconds:.1f} s"
    assert outline(parsed) == expected_outline(doc)
    assert_nothing_lost(pdf, parsed)


# ============================================================================ helpers here


def test_tiny_png_is_a_png():
    data = tiny_png(3, 2)
    assert data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
