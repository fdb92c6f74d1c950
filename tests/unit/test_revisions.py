from hypothesis import given
from hypothesis import strategies as st

from editorial.revisions import as_text, field_changes, inline_diff_html


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
