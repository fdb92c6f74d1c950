"""Chinese search: character-bigram tokens, the stored tsvector, and the query.

PostgreSQL's stock parser makes a whole run of Chinese characters one token, and
pg_trgm extracts nothing from Chinese under a C ctype, so neither finds "数据" inside
"大数据中心". Word segmenters (jieba) miss substrings readers expect to find. Here the
text is cut in Python into overlapping character bigrams — Latin words and numbers stay
whole — and stored as a ready-made ``tsvector`` literal (no server-side parser, so the
database's ctype and text-search configuration do not matter). A query becomes a
phrase of the same bigrams, which the GIN index answers with the hits a substring
search would give.

Tokens of a run of CJK characters c1…cn: the bigrams c1c2 … c(n-1)cn at consecutive
positions, plus cn alone at the position of the last bigram. The lone last character
lets a one-character query be a prefix match (``'数':*``) that finds every occurrence
of the character through the same index; sharing the last bigram's position keeps the
phrase "网络" <-> "5g" true for "网络5G". Punctuation leaves a one-position gap, so no
phrase matches across it; whitespace between two CJK characters is ignored (Chinese does
not space words; a space there is typesetting). Fields are two positions apart.

See docs/search.md for the measurements and the limits.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.db.models import BooleanField, Case, F, Func, Q, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# tsvector limits (PostgreSQL): positions 1..16383, at most 256 positions per lexeme.
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 256
FIELD_GAP = 2
# A query is cut to this many tokens: enough for any real phrase, and bounds the work.
MAX_QUERY_TOKENS = 32
MAX_QUERY_LENGTH = 100

WEIGHT_TITLE = "A"
WEIGHT_SOURCE = "B"
WEIGHT_SUMMARY = "B"
WEIGHT_BODY = "D"  # D is PostgreSQL's default and is not written out


def is_cjk(char: str) -> bool:
    """Characters written without spaces between words: Han, kana, hangul, 〇 and 々."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= code <= 0x4DBF  # Extension A
        or 0x20000 <= code <= 0x3134F  # Extensions B–G
        or 0xF900 <= code <= 0xFAFF  # Compatibility Ideographs
        or 0x3040 <= code <= 0x30FF  # Hiragana, Katakana
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or code in (0x3005, 0x3007)  # 々 〇
    )


def normalise(text: str) -> str:
    """Full-width Latin and digits to ASCII, compatibility forms folded, case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class Segment:
    """A run of one kind of text: ``cjk`` characters or one Latin ``word``."""

    kind: str  # "cjk" | "word"
    text: str
    gap_before: bool  # punctuation stood between this segment and the one before


def segments(text: str) -> Iterator[Segment]:
    """Split normalised text into CJK runs and Latin words/numbers, noting punctuation."""
    text = normalise(text)
    length = len(text)
    i = 0
    gap = False
    while i < length:
        char = text[i]
        if is_cjk(char):
            run = [char]
            i += 1
            while i < length:
                if is_cjk(text[i]):
                    run.append(text[i])
                    i += 1
                    continue
                # Whitespace between two CJK characters is typesetting, not a break.
                j = i
                while j < length and text[j].isspace():
                    j += 1
                if j > i and j < length and is_cjk(text[j]):
                    i = j
                    continue
                break
            yield Segment("cjk", "".join(run), gap)
            gap = False
        elif char.isalnum():
            start = i
            i += 1
            while i < length:
                if text[i].isalnum() and not is_cjk(text[i]):
                    i += 1
                elif (
                    text[i] == "."
                    and text[i - 1].isdigit()
                    and i + 1 < length
                    and text[i + 1].isdigit()
                ):
                    i += 1  # a decimal: 1.3, 35.2
                else:
                    break
            yield Segment("word", text[start:i], gap)
            gap = False
        else:
            if not char.isspace():
                gap = True
            i += 1


def tokens(text: str, start: int = 1) -> tuple[list[tuple[str, int]], int]:
    """(lexeme, position) pairs of a text, and the next free position."""
    out: list[tuple[str, int]] = []
    position = start
    first = True
    for segment in segments(text):
        if segment.gap_before and not first:
            position += 1
        first = False
        if segment.kind == "word":
            out.append((segment.text, position))
            position += 1
            continue
        run = segment.text
        if len(run) == 1:
            out.append((run, position))
            position += 1
            continue
        for offset in range(len(run) - 1):
            out.append((run[offset : offset + 2], position + offset))
        out.append((run[-1], position + len(run) - 2))
        position += len(run) - 1
    return out, position


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(fields: Iterable[tuple[str, str]]) -> str:
    """A tsvector in PostgreSQL's input syntax from (text, weight) pairs, in order.

    Positions and weights are written out, so the server stores it without parsing.
    """
    positions: dict[str, list[str]] = {}
    position = 1
    for text, weight in fields:
        if not text:
            continue
        found, position = tokens(text, position)
        suffix = "" if weight == "D" else weight
        for lexeme, pos in found:
            if pos > MAX_POSITION:
                break
            entry = positions.setdefault(lexeme, [])
            if len(entry) < MAX_POSITIONS_PER_LEXEME:
                entry.append(f"{pos}{suffix}")
        position += FIELD_GAP
    return " ".join(f"{_quote(lexeme)}:{','.join(pos)}" for lexeme, pos in positions.items())


class _TextExtractor(HTMLParser):
    """The text of sanitised body HTML; block ends become line breaks (phrase breaks)."""

    BLOCKS = {"p", "h3", "h4", "li", "td", "th", "tr", "figcaption", "blockquote", "br", "figure"}

    def __init__(self, separator: str):
        super().__init__(convert_charrefs=True)
        self.separator = separator
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append(self.separator)

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append(self.separator)


def html_text(body_html: str, *, separator: str = "\n") -> str:
    """The text of body HTML, each block ending in ``separator``."""
    if not body_html:
        return ""
    extractor = _TextExtractor(separator)
    extractor.feed(body_html)
    extractor.close()
    return html.unescape("".join(extractor.parts))


# Block boundaries must break phrases; the tokeniser takes punctuation as a break, while
# a newline inside a paragraph is only whitespace (hard-wrapped text joins up again).
BLOCK_BREAK = " | "


def article_document(article) -> str:
    """The search_document of an article: title and subtitle above source and summary,
    above the body text."""
    return tsvector_literal(
        [
            (article.title, WEIGHT_TITLE),
            (article.subtitle, WEIGHT_TITLE),
            (article.source, WEIGHT_SOURCE),
            (article.summary, WEIGHT_SUMMARY),
            (html_text(article.body, separator=BLOCK_BREAK), WEIGHT_BODY),
        ]
    )


def article_title_document(article) -> str:
    """The search_title of an article: what ranks a hit first."""
    return tsvector_literal([(article.title, WEIGHT_TITLE), (article.subtitle, WEIGHT_TITLE)])


def fill_search_columns(article) -> None:
    """Called by Article.save(): keep the search columns in step with the text."""
    article.search_document = article_document(article)
    article.search_title = article_title_document(article)


# --- Queries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    terms: tuple[str, ...] = ()  # what the reader typed, split on spaces and punctuation
    tsquery: str = ""  # PostgreSQL tsquery literal; "" when nothing searchable is left
    # Every lexeme of the query ANDed: the GIN index answers it exactly (no positions),
    # so it finds the candidates without reading a single tsvector.
    lexemes: str = ""
    highlight: tuple[str, ...] = field(default=())  # normalised strings to mark in snippets

    def __bool__(self) -> bool:
        return bool(self.tsquery)

    @property
    def needs_positions(self) -> bool:
        """True when matching needs the tsvectors themselves (phrases), not just the index."""
        return self.tsquery != self.lexemes


_TERM_SPLIT = re.compile(r"[\s,，、;；。!！?？:：\"“”'‘’()（）《》【】\[\]<>|&+]+")


def term_tsquery(term: str, lexemes: list[str] | None = None) -> str:
    """One typed term as a phrase of tokens; a lone CJK character is a prefix.

    The lexemes used are appended to ``lexemes`` when given.
    """
    parts: list[str] = []
    previous_end_gap = False
    for segment in segments(term):
        if segment.gap_before and parts:
            previous_end_gap = True
        if segment.kind == "word":
            piece = [_quote(segment.text)]
        elif len(segment.text) == 1:
            piece = [_quote(segment.text) + ":*"]
        else:
            piece = [_quote(segment.text[i : i + 2]) for i in range(len(segment.text) - 1)]
        if parts:
            parts.append("<2>" if previous_end_gap else "<->")
        previous_end_gap = False
        for index, token in enumerate(piece):
            if index:
                parts.append("<->")
            parts.append(token)
            if lexemes is not None and token not in lexemes:
                lexemes.append(token)
    return " ".join(parts)


def parse_query(text: str) -> ParsedQuery:
    text = (text or "").strip()[:MAX_QUERY_LENGTH]
    terms: list[str] = []
    phrases: list[str] = []
    lexemes: list[str] = []
    for raw in _TERM_SPLIT.split(text):
        if not raw:
            continue
        found: list[str] = []
        phrase = term_tsquery(raw, found)
        if not phrase:
            continue
        if len(set(lexemes) | set(found)) > MAX_QUERY_TOKENS:
            break
        lexemes.extend(token for token in found if token not in lexemes)
        terms.append(raw)
        phrases.append(f"({phrase})" if " " in phrase else phrase)
    highlight = tuple(sorted({normalise(t) for t in terms}, key=len, reverse=True))
    tsquery = " & ".join(phrases)
    all_lexemes = " & ".join(lexemes)
    # Without phrases the two are the same query; keep them textually equal then.
    if " " not in tsquery.replace(" & ", "&"):
        all_lexemes = tsquery
    return ParsedQuery(
        text=text, terms=tuple(terms), tsquery=tsquery, lexemes=all_lexemes, highlight=highlight
    )


class _TsQueryLiteral(Value):
    def as_sql(self, compiler, connection):
        return "%s::tsquery", [self.value]


class TsMatches(Func):
    """``column @@ 'literal'::tsquery`` as a boolean expression (PostgreSQL only).

    The query is cast from a literal rather than built with to_tsquery(), which would
    run the server's parser over the bigrams.
    """

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, tsquery: str):
        super().__init__(F(column), _TsQueryLiteral(tsquery))


def _substring_match(term: str, prefix: str = "") -> Q:
    fields = ("title", "subtitle", "summary", "body", "source")
    q = Q()
    for name in fields:
        q |= Q(**{f"{prefix}{name}__icontains": term})
    return q


def uses_index(connection=None) -> bool:
    from django.db import connection as default_connection

    return (connection or default_connection).vendor == "postgresql"


def filter_articles(queryset, query: ParsedQuery, *, connection=None):
    """Articles of ``queryset`` that match, with ``title_hit`` annotated (for ranking).

    PostgreSQL: the bigram tsvector through its GIN index. Elsewhere (the SQLite demo):
    a plain case-insensitive substring match of each term in title, subtitle, summary,
    body and source — slow on a large archive, but the same idea.
    """
    if not query:
        return queryset.none()
    if uses_index(connection):
        return queryset.filter(TsMatches("search_document", query.tsquery)).annotate(
            title_hit=TsMatches("search_title", query.tsquery)
        )
    condition = Q()
    title_condition = Q()
    for term in query.terms:
        condition &= _substring_match(term)
        title_condition &= Q(title__icontains=term) | Q(subtitle__icontains=term)
    return queryset.filter(condition).annotate(
        title_hit=Case(When(title_condition, then=Value(True)), default=Value(False))
    )


# --- The public search on PostgreSQL -----------------------------------------------------------
#
# Hits are ranked in two tiers, title hits first, each newest issue first. Every step is
# bounded whatever the number of hits:
#
# count: candidates from the GIN index (all lexemes ANDed: exact, no tsvector read), the
#   phrase checked on them, stopping at ``cap + 1``.
# title tier: ``search_title`` is small and stored inline, so evaluating it costs no
#   TOAST read and the planner's own choice is good (its GIN index for rare words, a
#   walk down the newest issues for common ones).
# body tier (only for pages past the title hits): candidates' ids sorted by issue date
#   — a sort of narrow rows — then the phrase checked on the sorted rows only until the
#   page is full (OFFSET 0 keeps the check above the sort, and PostgreSQL keeps the
#   subquery's order), so a page reads about as many large tsvectors as it shows.
#
# The planner cannot know that evaluating ``@@`` on search_document means reading a
# TOASTed tsvector, and picks a sequential (or a plain index) scan for common words and
# prefixes; both are turned off for the count and the body tier only, so their rows
# always come from a bitmap scan of the GIN index.

_PG_FILTERS = {
    "bulletin_id": "i.bulletin_id = %s",
    "section_id": "a.section_id = %s",
    "date_from": "i.issue_date >= %s",
    "date_to": "i.issue_date <= %s",
}
_PG_FROM = (
    "FROM editorial_article a "
    "JOIN editorial_issue i ON i.id = a.issue_id "
    "JOIN editorial_section s ON s.id = a.section_id "
)
_PG_ORDER = "ORDER BY i.issue_date DESC, i.number DESC, s.position, a.position, a.id"


DOCUMENT_MATCH = "a.search_document @@ %s::tsquery"
TITLE_MATCH = "a.search_title @@ %s::tsquery"


def _pg_where(
    states, filters: dict, *, match: str, tsquery: str, full_text: bool = False
) -> tuple[str, list]:
    """The WHERE of a tier. ``full_text``: the tier matches more than titles, so only
    issues the reader may read in full count (``filters["full_text"]``: None for a reader
    who reads everything, else the ids of bulletins public by default and subscribed;
    the rule of editorial.services.access.full_text_issue_q)."""
    clauses = ["i.state = ANY(%s)", "i.published_at IS NOT NULL", match]
    params: list = [list(states), tsquery]
    for name, clause in _PG_FILTERS.items():
        if filters.get(name) is not None:
            clauses.append(clause)
            params.append(filters[name])
    readable = filters.get("full_text")
    if full_text and readable is not None:
        public_bulletins, subscribed = readable
        clauses.append(
            "(i.access_level = 'public' OR i.bulletin_id = ANY(%s) "
            "OR (i.access_level = '' AND i.bulletin_id = ANY(%s)))"
        )
        params += [list(subscribed), list(public_bulletins)]
    return " AND ".join(clauses), params


def _run(connection, sql: str, params: list, *, index_only: bool = False) -> list[tuple]:
    if not index_only:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    from django.db import transaction

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'), "
            "set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)"
        )
        previous = cursor.fetchone()[:2]
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.execute(
                "SELECT set_config('enable_seqscan', %s, true), "
                "set_config('enable_indexscan', %s, true)",
                list(previous),
            )


def pg_count(connection, query: ParsedQuery, *, states, filters: dict, cap: int) -> int:
    """How many public articles match, counting no further than ``cap + 1``.

    Title hits are counted first (cheap: inline vectors); only the rest needs the large
    vectors read, and only as many as the cap leaves.
    """
    titles = pg_title_count(connection, query, states=states, filters=filters, limit=cap + 1)
    if titles > cap:
        return titles
    where, params = _pg_where(
        states, filters, match=DOCUMENT_MATCH, tsquery=query.lexemes, full_text=True
    )
    where += f" AND NOT ({TITLE_MATCH})"
    params.append(query.tsquery)
    if query.needs_positions:
        where += f" AND {DOCUMENT_MATCH}"
        params.append(query.tsquery)
    # The clauses are constants and every value is a parameter (bandit B608 reviewed).
    sql = f"SELECT count(*) FROM (SELECT 1 {_PG_FROM}WHERE {where} LIMIT %s) hits"  # nosec B608
    return titles + _run(connection, sql, [*params, cap + 1 - titles], index_only=True)[0][0]


def pg_title_count(connection, query: ParsedQuery, *, states, filters: dict, limit: int) -> int:
    """How many public title hits there are, counting no further than ``limit``."""
    where, params = _pg_where(states, filters, match=TITLE_MATCH, tsquery=query.tsquery)
    # The clauses are constants and every value is a parameter (bandit B608 reviewed).
    sql = f"SELECT count(*) FROM (SELECT 1 {_PG_FROM}WHERE {where} LIMIT %s) hits"  # nosec B608
    return _run(connection, sql, [*params, limit])[0][0]


def pg_page_ids(
    connection, query: ParsedQuery, *, states, filters: dict, offset: int, limit: int
) -> list[int]:
    """The ids of one page of public hits: title hits first, then the others; each tier
    newest issue first, in reading order within an issue."""
    stop = offset + limit
    titles = pg_title_count(connection, query, states=states, filters=filters, limit=stop)
    ids: list[int] = []
    if offset < titles:
        where, params = _pg_where(states, filters, match=TITLE_MATCH, tsquery=query.tsquery)
        sql = f"SELECT a.id {_PG_FROM}WHERE {where} {_PG_ORDER} LIMIT %s OFFSET %s"
        ids += [row[0] for row in _run(connection, sql, [*params, min(stop, titles) - offset, offset])]
    if stop > titles:
        body_offset = max(0, offset - titles)
        body_limit = stop - max(offset, titles)
        where, params = _pg_where(
            states, filters, match=DOCUMENT_MATCH, tsquery=query.lexemes, full_text=True
        )
        where += f" AND NOT ({TITLE_MATCH})"
        params.append(query.tsquery)
        if query.needs_positions:
            sql = (
                f"SELECT sorted.id FROM (SELECT a.id, a.search_document AS document "  # nosec B608
                f"{_PG_FROM}WHERE {where} {_PG_ORDER} OFFSET 0) sorted "
                "WHERE sorted.document @@ %s::tsquery LIMIT %s OFFSET %s"
            )
            params += [query.tsquery, body_limit, body_offset]
        else:
            sql = f"SELECT a.id {_PG_FROM}WHERE {where} {_PG_ORDER} LIMIT %s OFFSET %s"
            params += [body_limit, body_offset]
        ids += [row[0] for row in _run(connection, sql, params, index_only=True)]
    return ids


def naive_filter_articles(queryset, text: str):
    """The baseline the bench compares with: icontains over the four fields, no index."""
    condition = Q()
    for term in _TERM_SPLIT.split(text.strip()):
        if term:
            condition &= _substring_match(term)
    return queryset.filter(condition)


# --- Snippets -------------------------------------------------------------------------------


def _normalised_with_offsets(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index in ``text``."""
    out: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        folded = normalise(char) if not char.isascii() else char.lower()
        out.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(out), offsets


def _match_spans(text: str, needles: Iterable[str]) -> list[tuple[int, int]]:
    """Where any needle occurs in ``text`` (after normalising both), non-overlapping."""
    folded, offsets = _normalised_with_offsets(text)
    spans: list[tuple[int, int]] = []
    for needle in needles:
        if not needle:
            continue
        start = 0
        while True:
            found = folded.find(needle, start)
            if found < 0:
                break
            end = found + len(needle)
            spans.append((offsets[found], offsets[end - 1] + 1))
            start = end
    spans.sort()
    merged: list[tuple[int, int]] = []
    for span in spans:
        if merged and span[0] < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span[1]))
        else:
            merged.append(span)
    return merged


def highlight(text: str, needles: Iterable[str]) -> SafeString:
    """``text`` escaped, with each occurrence of a needle in <mark>."""
    spans = _match_spans(text, needles)
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(escape(text[last:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    parts.append(escape(text[last:]))
    # Escaped (bandit B308, B703 reviewed).
    return mark_safe("".join(parts))  # nosec B308 B703


def snippet(texts: Iterable[str], needles: tuple[str, ...], *, width: int = 110) -> SafeString:
    """A window of about ``width`` characters around the first hit in the first text that
    has one, hits marked; the start of the first text when none has one."""
    texts = [re.sub(r"\s+", " ", t).strip() for t in texts if t and t.strip()]
    for text in texts:
        spans = _match_spans(text, needles)
        if not spans:
            continue
        first = spans[0][0]
        start = max(0, first - width // 3)
        end = min(len(text), start + width)
        start = max(0, min(start, end - width))
        window = text[start:end]
        marked = highlight(window, needles)
        # Escaped (bandit B308, B703 reviewed).
        return mark_safe(("…" if start else "") + marked + ("…" if end < len(text) else ""))  # nosec B308 B703
    if not texts:
        # Escaped (bandit B308, B703 reviewed).
        return mark_safe("")  # nosec B308 B703
    text = texts[0]
    # Escaped (bandit B308, B703 reviewed).
    return mark_safe(escape(text[:width]) + ("…" if len(text) > width else ""))  # nosec B308 B703
