"""The access log: one row per read beyond the public by a subscriber or an API token.

Who may read what is decided by editorial.selectors.access; this records that a client
read it (a download, a subscriber page, an API call), for the admin's access log.
"""

from __future__ import annotations

from editorial.models import AccessLogEntry, Issue
from editorial.selectors.access import Reader


def record_access(
    reader: Reader,
    *,
    channel: str,
    resource: str,
    issue: Issue | None = None,
    status_code: int = 200,
) -> None:
    """Keep one access-log row for a read beyond the public by a subscriber or a token.

    Staff and anonymous reads are not logged here: the log answers "which client read
    what", and the retention sweep deletes rows after BULLETIN_ACCESS_LOG_DAYS.
    """
    if not reader.is_subscriber:
        return
    AccessLogEntry.objects.create(
        channel=channel,
        organisation=reader.organisation,
        subscriber=reader.subscriber,
        api_token=reader.api_token,
        issue=issue,
        resource=resource[:200],
        status_code=status_code,
    )
