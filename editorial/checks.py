"""Can this database serve Chinese? Checked at startup and by ``manage.py check``.

The search (editorial.search) builds its bigram tsvectors in Python and casts them from
literals, so it does not depend on the server's parser or ctype. What it does need:
a database encoding that can store Chinese (UTF8), and tsvector/GIN working on CJK
lexemes — verified by a round trip. The ctype is reported because everything that
*does* use the server's character classes (to_tsvector, pg_trgm, upper()/lower()) sees
Chinese as "not letters" under C/POSIX.
"""

from __future__ import annotations

import logging

from django.core.checks import Error, Info, Warning, register
from django.db import connections
from django.db.backends.signals import connection_created

logger = logging.getLogger("editorial.search")

_reported: set[str] = set()

PROBE_SQL = (
    "SELECT pg_encoding_to_char(d.encoding), d.datctype, "
    "       %s::tsvector @@ %s::tsquery "
    "FROM pg_database d WHERE d.datname = current_database()"
)
PROBE_VECTOR = "'数据':1 '据中':2 '中心':3 '心':3"
PROBE_QUERY = "'数据' <-> '据中' <-> '中心'"


def chinese_support_messages(connection) -> list:
    """System-check messages about Chinese search on one database connection."""
    if connection.vendor == "sqlite":
        return [
            Warning(
                "SQLite: Chinese search uses a plain substring match without an index "
                "(fine for the demo, slow on a large archive). Use PostgreSQL in production.",
                id="editorial.W002",
            )
        ]
    if connection.vendor != "postgresql":
        return [
            Error(
                f"Chinese search supports PostgreSQL (and SQLite for the demo), not {connection.vendor}.",
                id="editorial.E003",
            )
        ]
    with connection.cursor() as cursor:
        cursor.execute(PROBE_SQL, [PROBE_VECTOR, PROBE_QUERY])
        encoding, ctype, probe_ok = cursor.fetchone()
    messages = []
    if encoding.upper() not in ("UTF8", "UTF-8"):
        messages.append(
            Error(
                f"The database encoding is {encoding}: it cannot store Chinese text. "
                "Create the database with ENCODING 'UTF8' (e.g. createdb -E UTF8 -T template0).",
                id="editorial.E001",
            )
        )
    elif not probe_ok:
        messages.append(
            Error(
                "This PostgreSQL cannot match Chinese bigram phrases (tsvector round trip "
                "failed); Chinese search will not find anything.",
                id="editorial.E002",
            )
        )
    if ctype.upper() in ("C", "POSIX"):
        messages.append(
            Info(
                f"Database ctype is {ctype}: PostgreSQL's own text search and pg_trgm see no "
                "words in Chinese under it. This project's search does not use them "
                "(character bigrams are built in Python), so Chinese search still works.",
                id="editorial.I001",
            )
        )
    return messages


@register("database")
def check_chinese_search(app_configs=None, databases=None, **kwargs):
    """Run by ``migrate`` and ``check --database default``."""
    messages = []
    for alias in databases or []:
        messages.extend(chinese_support_messages(connections[alias]))
    return messages


def report_on_first_connection(sender, connection, **kwargs):
    """Say clearly in the log, once per process, when this database cannot serve Chinese.

    Runs at a process's first database connection (runserver, gunicorn workers, Celery),
    where system checks tagged "database" are not run.
    """
    if connection.alias in _reported or connection.alias.startswith("__"):
        return  # once per alias; "__no_db__" is Django's maintenance connection
    _reported.add(connection.alias)
    try:
        messages = chinese_support_messages(connection)
    except Exception:  # never break a connection over a diagnostic
        logger.exception("Could not check whether the database can serve Chinese")
        return
    for message in messages:
        level = logging.ERROR if message.is_serious() else logging.INFO
        if isinstance(message, Warning):
            level = logging.WARNING
        logger.log(level, "%s (%s)", message.msg, message.id)


def connect() -> None:
    connection_created.connect(report_on_first_connection, dispatch_uid="editorial-chinese-check")
