import re

from hypothesis import given
from hypothesis import strategies as st

from editorial.admin.revisions import as_text, field_changes, inline_diff_html, paragraph_rows


def test_inline_diff_marks_chinese_changes():
    diff = inline_diff_html("收入同比增长3.5%", "收入同比下降2.1%")
    assert "<del>" in diff and "<ins>" in diff
    assert "收入同比" in diff


def test_markup_is_dropped_and_escaped():
    assert as_text("<p>A &amp; B</p><p>C</p>") == "A & B\nC"
    assert "<script>" not in inline_diff_html("", "<script>")


def test_only_changed_fields_are_listed():
    changes = field_changes(
        {"title": "旧标题", "body": "<p>正文</p>"},
        {"title": "新标题", "body": "<p>正文</p>"},
        {"title": "标题", "body": "正文"},
    )
    assert [c.field for c in changes] == ["title"]


@given(st.text(), st.text())
def test_diff_keeps_both_sides(before, after):
    import html
    import re

    diff = inline_diff_html(before, after).replace("<br>", "\n")
    kept_before = re.sub(r"<ins>.*?</ins>", "", diff, flags=re.S)
    kept_after = re.sub(r"<del>.*?</del>", "", diff, flags=re.S)
    strip = lambda s: html.unescape(re.sub(r"</?(del|ins)>", "", s))  # noqa: E731
    assert strip(kept_before) == before
    assert strip(kept_after) == after


# --- Paragraph by paragraph -------------------------------------------------------------

BODY_BEFORE = (
    "<p>11月20日，工业和信息化部公布数据。</p>"
    "<h3>收入稳步增长</h3>"
    "<p>1—10月电信业务收入累计完成12451亿元，同比增长3.8%。</p>"
    "<p>移动互联网流量保持较快增长。</p>"
    '<figure class="figure-1"></figure>'
)
BODY_AFTER = (
    "<p>11月20日，工业和信息化部公布数据。</p>"
    "<h3>收入稳步增长</h3>"
    "<p>1—10月电信业务收入累计完成<strong>12480</strong>亿元，同比增长4.1%。</p>"
    "<p>三家基础电信企业5G套餐用户合计超3亿户。</p>"
    '<figure class="figure-1"></figure>'
)


def _body_change():
    from django.utils import translation

    with translation.override("zh-hans"):
        (change,) = field_changes({"body": BODY_BEFORE}, {"body": BODY_AFTER}, {"body": "正文"})
        return change, change.rows


def test_a_body_is_compared_paragraph_by_paragraph():
    change, rows = _body_change()
    assert change.multiline
    kinds = [row.kind for row in rows]
    assert kinds == ["equal", "equal", "changed", "removed", "added", "equal"]
    assert rows[1].before_html == "收入稳步增长"  # the subheading, as text
    changed = rows[2]
    assert "<del>51</del>" in changed.before_html and "<ins>80</ins>" in changed.after_html
    assert "<del>3.8</del>" in changed.before_html and "<ins>4.1</ins>" in changed.after_html
    assert "移动互联网流量" in rows[3].before_html and rows[3].after_html == ""
    assert "5G套餐" in rows[4].after_html and rows[4].before_html == ""
    # The figure placeholder is named (〔图1〕), not dropped.
    assert rows[5].before_html.startswith("〔") and "1" in rows[5].before_html


def test_the_compare_shows_text_not_tags():
    _change, rows = _body_change()
    every = "".join(row.before_html + row.after_html for row in rows)
    assert "<strong>" not in every and "<p>" not in every and "<h3>" not in every
    assert set(re.findall(r"</?(\w+)", every)) <= {"del", "ins", "br"}


def test_markup_typed_as_text_stays_escaped_in_a_paragraph_compare():
    before = ("<p>第一段。</p><p>第二段。</p>", "<p>第一段。</p><p>第二段&lt;script&gt;。</p>")
    (change,) = field_changes({"body": before[0]}, {"body": before[1]}, {"body": "正文"})
    changed = [row for row in change.rows if row.kind == "changed"]
    assert "&lt;script&gt;" in changed[0].after_html
    assert "<script>" not in changed[0].after_html


def test_one_character_islands_fold_into_the_change():
    diff = inline_diff_html("同比增长3.5%", "同比下降2.1%")
    assert diff == "同比<del>增长3.5</del><ins>下降2.1</ins>%"


def test_a_dissimilar_paragraph_is_removed_and_added_not_changed():
    rows = paragraph_rows(["数据中心能效新规出台。"], ["携号转网服务满一周年。"])
    assert [row.kind for row in rows] == ["removed", "added"]


def test_long_unchanged_runs_fold_around_the_change():
    same = [f"第{n}段保持不变。" for n in range(1, 9)]
    rows = paragraph_rows([*same, "收入同比增长3.5%。"], [*same, "收入同比下降2.1%。"])
    assert [row.kind for row in rows] == ["folded", "equal", "changed"]
    assert rows[0].folded == 7
