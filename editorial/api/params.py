"""Query and path parameters the operations share, with the bounds the document states.

Bounds are part of the contract: a slug outside its pattern, a date that is not one or
an id beyond the database's range is refused with 422 before any query runs.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated

from ninja import Path, Query
from pydantic import BeforeValidator

from editorial.slugs import URL_SLUG_REGEX

MAX_ID = 2**63 - 1  # the largest id the database's bigint columns hold

BulletinSlug = Annotated[
    str | None,
    Query(None, description="Only this bulletin (its slug).", max_length=60,
          pattern=rf"^{URL_SLUG_REGEX}$"),
]
SectionSlug = Annotated[
    str | None,
    Query(None, description="Only this section (its slug).", max_length=60,
          pattern=rf"^{URL_SLUG_REGEX}$"),
]
IndicatorSlug = Annotated[
    str | None,
    Query(None, description="Only this indicator (its slug).", max_length=140,
          pattern=r"^[-\w]+$"),
]
IssueId = Annotated[
    int | None, Query(None, description="Only this issue (its id).", ge=1, le=MAX_ID)
]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value):
    # pydantic would also take a number of seconds since 1970 for a date; the document
    # promises YYYY-MM-DD, so that alone is accepted.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


DateFrom = Annotated[
    datetime.date | None,
    BeforeValidator(_iso_date_only),
    Query(None, description="Only issues dated on or after this day (YYYY-MM-DD)."),
]
DateTo = Annotated[
    datetime.date | None,
    BeforeValidator(_iso_date_only),
    Query(None, description="Only issues dated on or before this day (YYYY-MM-DD)."),
]


def path_id(what: str):
    """A row's id in the path, within the database's range."""
    return Annotated[int, Path(description=f"The {what}'s id.", ge=1, le=MAX_ID)]


IssuePathId = path_id("issue")
ArticlePathId = path_id("article")
IndicatorPathSlug = Annotated[
    str, Path(description="The indicator's slug.", max_length=140, pattern=r"^[-\w]+$")
]
