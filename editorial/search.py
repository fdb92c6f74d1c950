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

How the public search counts and pages its hits on PostgreSQL with bounded queries is
editorial.selectors.public_search's. See docs/search.md for the measurements and the
limits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection as default_connection
from django.db.models import BooleanField, Case, F, Func, Q, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from editorial.sanitising import html_to_text

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
            (html_to_text(article.body, separator=BLOCK_BREAK), WEIGHT_BODY),
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
    """Whether the search runs on the bigram index here (PostgreSQL), not substrings."""
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
