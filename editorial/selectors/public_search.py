"""The public search on PostgreSQL: hits counted and paged with bounded queries.

Hits are ranked in two tiers, title hits first, each newest issue first. Every step is
bounded whatever the number of hits:

count: candidates from the GIN index (all lexemes ANDed: exact, no tsvector read), the
  phrase checked on them, stopping at ``cap + 1``.
title tier: ``search_title`` is small and stored inline, so evaluating it costs no
  TOAST read and the planner's own choice is good (its GIN index for rare words, a
  walk down the newest issues for common ones).
body tier (only for pages past the title hits): candidates' ids sorted by issue date
  — a sort of narrow rows — then the phrase checked on the sorted rows only until the
  page is full (OFFSET 0 keeps the check above the sort, and PostgreSQL keeps the
  subquery's order), so a page reads about as many large tsvectors as it shows.

The planner cannot know that evaluating ``@@`` on search_document means reading a
TOASTed tsvector, and picks a sequential (or a plain index) scan for common words and
prefixes; both are turned off for the count and the body tier only, so their rows
always come from a bitmap scan of the GIN index.

The queries come from editorial.search.parse_query; which articles a reader may find is
editorial.selectors.public.PublicArticleSearch's to say, through ``states`` and
``filters``.
"""

from __future__ import annotations

from django.db import transaction

from editorial.search import ParsedQuery

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
    the rule of editorial.selectors.access.full_text_issue_q)."""
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
    """The rows of ``sql``; ``index_only``: with sequential and plain index scans off for
    this query alone, so the rows come from the GIN index (see the module's docstring)."""
    if not index_only:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
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


