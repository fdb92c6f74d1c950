"""The render model: sanitised body HTML → blocks, and the content hash. No database."""

from __future__ import annotations

import pytest

from editorial.typesetting.blocks import blocks_text, html_to_blocks
from editorial.typesetting.render_data import (
    content_hash,
    data_uri,
    data_uri_bytes,
    issue_number_label,
    labels_for,
)


def runs_text(block):
    return "".join(run["text"] for run in block["runs"])


def test_paragraphs_keep_inline_styles_as_runs():
    blocks = html_to_blocks(
        '<p>11月30日，<strong>有关部门</strong>发布<a href="https://example.org/a">办法</a>，'
        "<em>全文</em>见m<sup>2</sup>。</p>"
    )
    assert [b["type"] for b in blocks] == ["paragraph"]
    runs = blocks[0]["runs"]
    assert runs_text(blocks[0]) == "11月30日，有关部门发布办法，全文见m2。"
    assert {"text": "有关部门", "bold": True, "italic": False, "link": None, "script": None} in runs
    assert any(r["text"] == "办法" and r["link"] == "https://example.org/a" for r in runs)
    assert any(r["text"] == "全文" and r["italic"] for r in runs)
    assert any(r["text"] == "2" and r["script"] == "sup" for r in runs)


def test_adjacent_runs_with_the_same_style_are_merged_and_whitespace_collapsed():
    blocks = html_to_blocks("<p>\n  第一句，\n  第二句。<span>第三句。</span>\n</p>")
    assert blocks[0]["runs"] == [
        {"text": "第一句， 第二句。第三句。", "bold": False, "italic": False, "link": None,
         "script": None}
    ]


def test_line_break_inside_a_paragraph_is_kept():
    blocks = html_to_blocks("<p>第一行<br>第二行</p>")
    assert runs_text(blocks[0]) == "第一行\n第二行"


def test_kicker_and_heading_become_one_subheading():
    blocks = html_to_blocks('<p class="kicker">一、</p><h3>市场规模</h3><h4>细分</h4>')
    assert blocks == [
        {"type": "subheading", "text": "市场规模", "kicker": "一、", "level": 3},
        {"type": "subheading", "text": "细分", "kicker": None, "level": 4},
    ]


def test_a_kicker_without_heading_stays_a_paragraph():
    blocks = html_to_blocks('<p class="kicker">附：</p><p>正文</p>')
    assert [runs_text(b) for b in blocks] == ["附：", "正文"]


def test_figure_placeholders_take_the_figure_rows_in_place_and_leftovers_follow():
    figures = {
        1: {"caption": "图1 收入", "source": "资料来源：工信部", "image_data_uri": "data:image/png;base64,AA=="},
        2: {"caption": "图2 未在正文中标出", "source": "", "image_data_uri": None},
    }
    blocks = html_to_blocks('<p>前</p><figure class="figure-1"></figure><p>后</p>', figures)
    assert [b["type"] for b in blocks] == ["paragraph", "figure", "paragraph", "figure"]
    assert blocks[1] == {
        "type": "figure", "caption": "图1 收入", "source": "资料来源：工信部",
        "image_data_uri": "data:image/png;base64,AA==", "chart": False,
        "number": None, "label": "",
    }
    assert blocks[3]["caption"] == "图2 未在正文中标出"


def test_a_placeholder_for_a_missing_figure_is_dropped_but_a_figcaption_is_kept():
    blocks = html_to_blocks(
        '<figure class="figure-9"></figure><figure><figcaption>图3 说明</figcaption></figure>'
    )
    assert blocks == [
        {"type": "figure", "caption": "图3 说明", "source": "", "image_data_uri": None,
         "chart": False, "number": None, "label": ""}
    ]


def test_tables_are_rows_of_text_padded_to_the_widest_row():
    blocks = html_to_blocks(
        "<table><thead><tr><th>企业</th><th>收入</th></tr></thead>"
        "<tbody><tr><td>甲<strong>公司</strong></td><td>1</td></tr><tr><td>乙</td></tr></tbody></table>"
    )
    assert blocks == [
        {"type": "table", "header": True, "rows": [["企业", "收入"], ["甲公司", "1"], ["乙", ""]]}
    ]


def test_a_table_without_header_cells_has_no_header():
    blocks = html_to_blocks("<table><tr><td>a</td><td>b</td></tr></table>")
    assert blocks[0]["header"] is False


def test_lists_keep_order_and_nested_items_are_flattened():
    blocks = html_to_blocks("<ol><li>一</li><li><b>二</b><ul><li>二之一</li></ul></li></ol>")
    assert len(blocks) == 1 and blocks[0]["type"] == "list" and blocks[0]["ordered"] is True
    assert [[r["text"] for r in item] for item in blocks[0]["items"]] == [["一"], ["二"], ["二之一"]]
    assert blocks[0]["items"][1][0]["bold"] is True


def test_bare_text_and_blockquotes_become_paragraphs():
    blocks = html_to_blocks("纯文本<blockquote><p>引文</p></blockquote>尾巴")
    assert [runs_text(b) for b in blocks] == ["纯文本", "引文", "尾巴"]


def test_unsafe_links_lose_their_target_but_keep_the_text():
    blocks = html_to_blocks('<p><a href="javascript:alert(1)">点我</a></p>')
    assert blocks[0]["runs"][0]["link"] is None
    assert runs_text(blocks[0]) == "点我"


def test_markup_characters_are_plain_text_in_blocks():
    blocks = html_to_blocks("<p>#set text(red) $x$ *粗* &lt;tag&gt; @ref ] &amp;</p>")
    assert runs_text(blocks[0]) == "#set text(red) $x$ *粗* <tag> @ref ] &"


def test_empty_and_whitespace_bodies_give_no_blocks():
    assert html_to_blocks("") == []
    assert html_to_blocks("  \n <p> </p>") == []


def test_blocks_text_reads_every_kind():
    blocks = html_to_blocks(
        '<p class="kicker">一、</p><h3>标题</h3><p>段落</p><ul><li>项</li></ul>'
        "<table><tr><td>格</td></tr></table>",
        {},
    )
    assert blocks_text(blocks).splitlines() == ["一、 标题", "段落", "项", "格"]


def test_content_hash_is_canonical_and_salted():
    a = {"b": [1, 2], "a": "中文"}
    b = {"a": "中文", "b": [1, 2]}
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash({"a": "中文", "b": [2, 1]})
    assert content_hash(a, salt="template-1") != content_hash(a, salt="template-2")
    assert len(content_hash(a)) == 64


def test_data_uri_round_trip():
    uri = data_uri(b"<svg/>", mime="image/svg+xml")
    assert uri.startswith("data:image/svg+xml;base64,")
    assert data_uri_bytes(uri) == ("image/svg+xml", b"<svg/>")
    assert data_uri_bytes("data:image/svg+xml,%3Csvg%2F%3E") == ("image/svg+xml", b"<svg/>")


@pytest.mark.parametrize(
    ("volume", "language", "expected"),
    [
        (2020, "zh-hans", "2020年第47期"),
        (12, "zh-hans", "第12卷第47期"),
        (None, "zh-hans", "第47期"),
        (2020, "en", "2020 No. 47"),
    ],
)
def test_issue_number_label(volume, language, expected):
    assert issue_number_label(number=47, volume=volume, labels=labels_for(language)) == expected


def test_charts_get_stable_ids_so_the_same_series_hashes_the_same():
    from editorial.typesetting.charts import ChartPoint, indicator_chart_svg
    from editorial.typesetting.render_data import stable_chart_ids

    points = [ChartPoint(f"{m}月", m * 10) for m in range(1, 6)]
    first = stable_chart_ids(indicator_chart_svg(points, title="收入"))
    second = stable_chart_ids(indicator_chart_svg(points, title="收入"))
    assert first == second
    assert first != stable_chart_ids(indicator_chart_svg(points[:4], title="收入"))


def test_issue_numbering_replaces_the_number_a_caption_brings_and_skips_bare_captions():
    from editorial.typesetting.blocks import caption_text, figure_block
    from editorial.typesetting.render_data import LABELS, number_figures

    assert caption_text("图1 区域分布") == "区域分布"
    assert caption_text("图 2-1：5G基站数量") == "5G基站数量"
    assert caption_text("Figure 4. Revenue") == "Revenue"
    assert caption_text("图像识别市场规模") == "图像识别市场规模"  # 图 starting a word stays
    assert caption_text("图3") == "图3"  # nothing else to say: kept as it is
    sections = [
        {"articles": [{"blocks": [
            figure_block(caption="收入", image_data_uri="data:image/png;base64,AA=="),
            figure_block(caption="图9 仅有说明"),  # a body caption with nothing to show
        ]}]},
        {"articles": [{"blocks": [
            figure_block(caption="走势", image_data_uri="data:image/svg+xml;base64,AA==",
                         chart=True),
        ]}]},
    ]
    assert number_figures(sections, LABELS["zh-hans"]) == 2
    first, bare = sections[0]["articles"][0]["blocks"]
    chart = sections[1]["articles"][0]["blocks"][0]
    assert (first["number"], first["label"]) == (1, "图1")
    assert (bare["number"], bare["label"]) == (None, "")
    assert (chart["number"], chart["label"]) == (2, "图2")
    number_figures(sections, LABELS["en"])
    assert chart["label"] == "Figure 2"
