"""No migration takes a long lock on a big table of a live database.

Every migration of the editorial app is turned into SQL (``sqlmigrate``, on PostgreSQL)
and read by editorial.operations.migration_safety. Statements that would lock a big table are
refused unless listed below, each with the reason it is acceptable.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from editorial.operations.migration_safety import blocking_statements

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# (migration, table, rule): why it is acceptable.
ALLOWED = {
    ("0011_subscriber_access_and_figures", "editorial_historicalfigure",
     "create-index-without-concurrently"):
        "The index of the new historical indicator_id column. Figure history holds a few "
        "rows per figure (tens of thousands at most): the build takes well under a second, "
        "during which only saving a figure waits; nothing that readers use is blocked.",
}


def migration_sql(name: str) -> str:
    out = io.StringIO()
    call_command("sqlmigrate", "editorial", name, stdout=out, no_color=True)
    return out.getvalue()


def editorial_migrations() -> list[str]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return sorted(name for app, name in loader.disk_migrations if app == "editorial")


def test_no_migration_locks_a_big_table():
    assert connection.vendor == "postgresql"
    found = {}
    for name in editorial_migrations():
        for statement in blocking_statements(migration_sql(name)):
            found[(name, statement.table, statement.rule)] = statement.sql
    unexplained = {key: sql for key, sql in found.items() if key not in ALLOWED}
    assert not unexplained, (
        "These statements would lock a big table while the site runs. Split the migration "
        "(add the column nullable, backfill in batches, then constrain with NOT VALID and "
        "VALIDATE; AddIndexConcurrently in a non-atomic migration), or, if the table is "
        "small, add an entry with the reason to ALLOWED:\n"
        + "\n".join(f"{key}: {sql[:200]}" for key, sql in unexplained.items())
    )
    stale = set(ALLOWED) - set(found)
    assert not stale, f"ALLOWED entries no migration needs any more: {stale}"


def test_migration_0011_adds_its_columns_with_constant_defaults():
    # PostgreSQL 11+ adds a column with a constant default without rewriting the table:
    # the history tables' new NOT NULL columns in 0011 are metadata-only changes.
    sql = migration_sql("0011_subscriber_access_and_figures")
    assert (
        'ALTER TABLE "editorial_historicalissue" ADD COLUMN "access_level" varchar(12) '
        "DEFAULT '' NOT NULL" in sql
    )
    rules = {s.rule for s in blocking_statements(sql)}
    assert "add-not-null-column-without-default" not in rules
    assert "add-column-with-volatile-default" not in rules


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ('ALTER TABLE "editorial_article" ADD COLUMN "x" integer NOT NULL;',
         "add-not-null-column-without-default"),
        ('ALTER TABLE "editorial_metric" ADD COLUMN "seen" timestamptz DEFAULT now() NOT NULL;',
         "add-column-with-volatile-default"),
        ('CREATE INDEX "d_idx" ON "editorial_delivery" ("state");',
         "create-index-without-concurrently"),
        ('ALTER TABLE "editorial_article" ALTER COLUMN "title" TYPE varchar(500);',
         "change-column-type"),
        ('ALTER TABLE "editorial_historicalarticle" ALTER COLUMN "title" SET NOT NULL;',
         "set-not-null"),
        ('ALTER TABLE "editorial_delivery" ADD CONSTRAINT "fk" FOREIGN KEY ("x_id") '
         'REFERENCES "editorial_issue" ("id") DEFERRABLE INITIALLY DEFERRED;',
         "add-constraint-without-not-valid"),
        ('ALTER TABLE "editorial_accesslogentry" ADD CONSTRAINT "u" UNIQUE ("at");',
         "add-unique-constraint"),
        # A new small table pointing at a big one still locks the big one to validate.
        ('ALTER TABLE "editorial_note" ADD CONSTRAINT "fk" FOREIGN KEY ("a_id") '
         'REFERENCES "editorial_article" ("id") DEFERRABLE INITIALLY DEFERRED;',
         "add-constraint-without-not-valid"),
    ],
)
def test_the_scanner_flags_each_blocking_operation(sql, rule):
    assert [s.rule for s in blocking_statements(sql)] == [rule]


@pytest.mark.parametrize(
    "sql",
    [
        'CREATE INDEX CONCURRENTLY "d_idx" ON "editorial_delivery" ("state");',
        'ALTER TABLE "editorial_article" ADD COLUMN "note" text NULL;',
        'ALTER TABLE "editorial_article" ADD COLUMN "n" integer DEFAULT 0 NOT NULL;',
        'ALTER TABLE "editorial_delivery" ADD CONSTRAINT "fk" FOREIGN KEY ("x_id") '
        'REFERENCES "editorial_issue" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;',
        # Small tables are not the scanner's concern.
        'CREATE INDEX "b_idx" ON "editorial_bulletin" ("name");',
        # A table made in the same migration is empty.
        'CREATE TABLE "editorial_historicalnote" ("id" bigint NOT NULL PRIMARY KEY);\n'
        'CREATE INDEX "n_idx" ON "editorial_historicalnote" ("id");',
    ],
)
def test_the_scanner_lets_safe_operations_pass(sql):
    assert blocking_statements(sql) == []
