"""Which migration statements would lock a big table on a live PostgreSQL database.

A migration runs while the site serves. Most DDL is quick, but some statements hold a
lock that blocks reads or writes for as long as they scan or rewrite the table, which on
the big tables (articles, metrics, deliveries, the history tables, the access log) is
an outage. ``blocking_statements`` reads the SQL ``sqlmigrate`` prints and names those:

- ``ADD COLUMN … NOT NULL`` without a default (fails on a filled table, or forces a
  backfill under lock); ``ADD COLUMN … DEFAULT`` with a volatile default (PostgreSQL 11+
  adds a column with a *constant* default without rewriting; ``now()`` or a random value
  rewrites every row);
- ``CREATE INDEX`` without ``CONCURRENTLY`` (blocks writes while it builds);
- ``ALTER COLUMN … TYPE`` (rewrites, under an exclusive lock) and ``SET NOT NULL``
  (scans under an exclusive lock);
- ``ADD CONSTRAINT`` of a foreign key or check without ``NOT VALID`` (validates every row
  under lock), and of a unique or primary key (builds an index under lock).

A table the same migration creates is empty, so nothing on it counts. Pure functions:
tests/integration/test_migration_safety.py runs them over every migration of the app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BIG_TABLES = re.compile(
    r"^editorial_(article|metric|delivery|accesslogentry|historical\w+)$"
)
# Functions whose value differs per row or per call: a default of one rewrites the table.
VOLATILE_DEFAULT = re.compile(
    r"\bDEFAULT\s*\(?\s*(now|clock_timestamp|statement_timestamp|transaction_timestamp|"
    r"random|gen_random_uuid|uuid_generate_v\d|nextval|timeofday)\s*\(",
    re.IGNORECASE,
)
_CREATE_TABLE = re.compile(r'^CREATE TABLE "(?P<table>[^"]+)"', re.IGNORECASE)
_ALTER_TABLE = re.compile(r'^ALTER TABLE (?:ONLY )?"(?P<table>[^"]+)"\s+(?P<rest>.*)$',
                          re.IGNORECASE | re.DOTALL)
_CREATE_INDEX = re.compile(
    r'^CREATE (?:UNIQUE )?INDEX (?P<concurrently>CONCURRENTLY )?(?:IF NOT EXISTS )?'
    r'"?[^"\s]+"? ON (?:ONLY )?"(?P<table>[^"]+)"',
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BlockingStatement:
    table: str
    rule: str
    sql: str


def statements(sql: str) -> list[str]:
    """The SQL statements of ``sqlmigrate`` output, without its comments."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    text = "\n".join(lines)
    return [part.strip() for part in text.split(";\n") if part.strip().rstrip(";")]


def _alter_rules(rest: str) -> list[str]:
    found = []
    upper = rest.upper()
    if upper.startswith("ADD COLUMN"):
        if " NOT NULL" in upper and " DEFAULT " not in upper:
            found.append("add-not-null-column-without-default")
        if VOLATILE_DEFAULT.search(rest):
            found.append("add-column-with-volatile-default")
    if re.search(r"ALTER COLUMN \"[^\"]+\" TYPE ", rest, re.IGNORECASE):
        found.append("change-column-type")
    if re.search(r"ALTER COLUMN \"[^\"]+\" SET NOT NULL", rest, re.IGNORECASE):
        found.append("set-not-null")
    if upper.startswith("ADD CONSTRAINT"):
        if (" FOREIGN KEY " in upper or " CHECK " in upper) and "NOT VALID" not in upper:
            found.append("add-constraint-without-not-valid")
        if " UNIQUE " in upper or " PRIMARY KEY " in upper:
            found.append("add-unique-constraint")
    return found


def blocking_statements(sql: str, big_tables=BIG_TABLES) -> list[BlockingStatement]:
    """The statements of one migration's SQL that would lock a big, existing table."""
    parts = statements(sql)
    created = {m["table"] for part in parts if (m := _CREATE_TABLE.match(part))}
    found: list[BlockingStatement] = []

    def note(table: str, rule: str, part: str) -> None:
        if table not in created and big_tables.match(table):
            found.append(BlockingStatement(table, rule, part))

    for part in parts:
        if m := _ALTER_TABLE.match(part):
            table = m["table"]
            for rule in _alter_rules(m["rest"]):
                note(table, rule, part)
            # A foreign key also locks the table it points at while it is validated.
            ref = re.search(r'FOREIGN KEY .*? REFERENCES "(?P<target>[^"]+)"', m["rest"])
            if ref and "NOT VALID" not in part.upper() and table not in created:
                note(ref["target"], "add-constraint-without-not-valid", part)
        elif m := _CREATE_INDEX.match(part):
            if not m["concurrently"]:
                note(m["table"], "create-index-without-concurrently", part)
    return found
