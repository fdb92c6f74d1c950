"""The Chinese search's pure parts: tokens, the tsvector literal, queries, snippets."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from editorial import search
from editorial.sanitising import html_to_text
from editorial.search import (
    parse_query,
    snippet,
    tokens,
    tsvector_literal,
)


def lexemes(text):
    return [lexeme for lexeme, _position in tokens(text)[0]]


def test_cjk_runs_become_overlapping_bigrams_plus_the_last_character():
    assert tokens("大数据中心")[0] == [
        ("大数", 1), ("数据", 2), ("据中", 3), ("中心", 4), ("心", 4),
    ]


def test_latin_words_and_numbers_stay_whole_and_fold_case_and_width():
    assert lexemes("５G 网络 Wi-Fi 6 增长35.2%") == [
        "5g", "网络", "络", "wi", "fi", "6", "增长", "长", "35.2",
    ]
    assert lexemes("ＡＩ芯片") == ["ai", "芯片", "片"]


def test_punctuation_breaks_phrases_but_spaces_between_chinese_do_not():
    found, _next = tokens("数据，中心")
    positions = dict(found)
    assert positions["中心"] - positions["数据"] == 2  # a one-position gap
    assert "据中" not in positions
    assert "准覆" in lexemes("标准 覆盖")  # a space inside Chinese is typesetting


def test_tsvector_literal_has_weights_positions_and_field_gaps():
    literal = tsvector_literal([("数据中心", "A"), ("数据", "D")])
    assert "'数据':1A,6" in literal  # next field starts two positions on
    assert "'中心':3A" in literal
    assert literal.count("'数据'") == 1


def test_tsvector_literal_quotes_and_limits():
    assert tsvector_literal([("it's", "D")]) == "'it':1 's':3"
    long_text = "数" * 20000
    literal = tsvector_literal([(long_text, "D")])
    positions = re.findall(r"\d+", literal)
    assert len(positions) <= search.MAX_POSITIONS_PER_LEXEME + 1
    assert max(int(p) for p in positions) <= search.MAX_POSITION


def test_body_html_blocks_break_phrases():
    text = html_to_text("<p>数据</p><p>中心</p>", separator=search.BLOCK_BREAK)
    assert "据中" not in lexemes(text)
    assert html_to_text("<p>A&amp;B</p>") .strip() == "A&B"


@pytest.mark.parametrize(
    ("typed", "tsquery"),
    [
        ("数据", "'数据'"),
        ("数据中心", "('数据' <-> '据中' <-> '中心')"),
        ("数", "'数':*"),
        ("5G网络", "('5g' <-> '网络')"),
        ("网络5G", "('网络' <-> '5g')"),
        ("数据 中心", "'数据' & '中心'"),
        ("1.3以下", "('1.3' <-> '以下')"),
        ("1—10月", "('1' <2> '10' <-> '月':*)"),
        ("  ，。", ""),
    ],
)
def test_queries(typed, tsquery):
    assert parse_query(typed).tsquery == tsquery


def test_query_lexemes_and_needs_positions():
    query = parse_query("数据中心")
    assert query.lexemes == "'数据' & '据中' & '中心'"
    assert query.needs_positions
    single = parse_query("数据")
    assert single.lexemes == single.tsquery and not single.needs_positions


def test_query_length_is_bounded():
    query = parse_query("数据中心 " * 200)
    assert len(query.text) <= search.MAX_QUERY_LENGTH
    assert query.tsquery.count("'") // 2 <= 2 * search.MAX_QUERY_TOKENS


def test_highlight_marks_every_hit_and_escapes():
    marked = search.highlight("<b>数据</b>中心的数据", ("数据",))
    assert marked == "&lt;b&gt;<mark>数据</mark>&lt;/b&gt;中心的<mark>数据</mark>"


def test_highlight_is_case_and_width_insensitive():
    assert search.highlight("支持５Ｇ网络", ("5g",)) == "支持<mark>５Ｇ</mark>网络"


def test_snippet_is_a_window_around_the_first_hit():
    text = "甲" * 200 + "数据中心" + "乙" * 200
    result = snippet([text], ("数据中心",), width=60)
    assert "<mark>数据中心</mark>" in result
    assert result.startswith("…") and result.endswith("…")
    assert len(re.sub(r"<[^>]+>", "", result)) <= 62


def test_snippet_falls_back_to_the_start_of_the_first_text():
    assert snippet(["没有命中的摘要", "正文"], ("数据",)) == "没有命中的摘要"


# A reader's substring should be found exactly when it occurs: the property behind the
# design (PostgreSQL evaluates the same phrase; tests/integration checks it there).
ALPHABET = "数据中心网络芯片云"


def phrase_matches(document: str, query: str) -> bool:
    """Evaluate a one-term bigram phrase against a text the way the index does."""
    found, _ = tokens(document)
    by_lexeme: dict[str, set[int]] = {}
    for lexeme, position in found:
        by_lexeme.setdefault(lexeme, set()).add(position)
    if len(query) == 1:
        return any(lexeme.startswith(query) for lexeme in by_lexeme)
    grams = [query[i : i + 2] for i in range(len(query) - 1)]
    starts = by_lexeme.get(grams[0], set())
    return any(all(start + k in by_lexeme.get(g, set()) for k, g in enumerate(grams)) for start in starts)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=ALPHABET + "，", min_size=0, max_size=40),
    st.text(alphabet=ALPHABET, min_size=1, max_size=4),
)
def test_bigram_phrase_finds_exactly_the_substrings(document, query):
    assert phrase_matches(document, query) == (query in document)


class _FakeCursor:
    def __init__(self, row):
        self.row = row

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, params=None):
        pass

    def fetchone(self):
        return self.row


class _FakeConnection:
    def __init__(self, vendor, row=None):
        self.vendor = vendor
        self.row = row

    def cursor(self):
        return _FakeCursor(self.row)


@pytest.mark.parametrize(
    ("vendor", "row", "ids"),
    [
        ("postgresql", ("UTF8", "C.UTF-8", True), []),
        ("postgresql", ("UTF8", "C", True), ["editorial.I001"]),
        ("postgresql", ("SQL_ASCII", "C", False), ["editorial.E001", "editorial.I001"]),
        ("postgresql", ("UTF8", "en_US.UTF-8", False), ["editorial.E002"]),
        ("sqlite", None, ["editorial.W002"]),
        ("mysql", None, ["editorial.E003"]),
    ],
)
def test_startup_check_says_when_the_database_cannot_serve_chinese(vendor, row, ids):
    from editorial.checks import chinese_support_messages

    assert [m.id for m in chinese_support_messages(_FakeConnection(vendor, row))] == ids
