"""The one answer to "may this reader read this in full?", for pages, files, search, feeds and the API.

A reader is whoever is asking: anonymous, staff (signed in to the admin), a signed-in
subscriber, or an organisation's API token. Whether an issue is *published* at all is the
public selectors' business; this module decides only what a published issue shows beyond
its open part (cover, contents, titles, first paragraphs) to each reader.

A subscriber or token reads a subscriber-only issue in full when its organisation is
active and holds an active subscription to the issue's bulletin today (any of its people's
subscriptions counts: the organisation buys the bulletin; subscriptions say who receives it).
A deactivated subscriber, organisation or ended subscription loses access on the next
request, because nothing of the decision is cached beyond one request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from editorial.models import (
    AccessLevel,
    ApiToken,
    Bulletin,
    Issue,
    Organisation,
    Subscriber,
)
from editorial.selectors.subscriptions import active_subscriptions_of_organisation

# The session key under which the signed-in subscriber's id is kept.
SESSION_SUBSCRIBER_KEY = "editorial_subscriber_id"


@dataclass
class Reader:
    """Who is asking. Build with ``reader_for_request`` or ``reader_for_token``."""

    user: object | None = None
    subscriber: Subscriber | None = None
    organisation: Organisation | None = None
    api_token: ApiToken | None = None
    _bulletin_ids: frozenset[int] | None = field(default=None, repr=False)

    @property
    def is_staff(self) -> bool:
        user = self.user
        return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)

    @property
    def is_subscriber(self) -> bool:
        return self.organisation is not None

    @property
    def is_anonymous(self) -> bool:
        return not self.is_staff and not self.is_subscriber

    def subscribed_bulletin_ids(self, *, on: date | None = None) -> frozenset[int]:
        """Bulletins this reader's organisation holds an active subscription to (memoised)."""
        if self.organisation is None:
            return frozenset()
        if self._bulletin_ids is None or on is not None:
            ids = frozenset(_active_bulletin_ids(self.organisation, on=on))
            if on is not None:
                return ids
            self._bulletin_ids = ids
        return self._bulletin_ids


ANONYMOUS = Reader()


def _active_bulletin_ids(organisation: Organisation, *, on: date | None = None) -> set[int]:
    return set(
        active_subscriptions_of_organisation(organisation_id=organisation.pk, on=on)
        .order_by()  # the default ordering's joins would widen the DISTINCT
        .values_list("bulletin_id", flat=True)
        .distinct()
    )


def active_subscriber(subscriber_id) -> Subscriber | None:
    """The subscriber with this id if they and their organisation are still active."""
    if not subscriber_id:
        return None
    return (
        Subscriber.objects.select_related("organisation")
        .filter(pk=subscriber_id, active=True, organisation__active=True)
        .first()
    )


def reader_for_request(request) -> Reader:
    """The reader behind a web request: staff, a signed-in subscriber, or anonymous.

    Memoised on the request, so a page that asks several times costs one look-up.
    """
    cached = getattr(request, "_editorial_reader", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    subscriber = None
    session = getattr(request, "session", None)
    if session is not None:
        subscriber = active_subscriber(session.get(SESSION_SUBSCRIBER_KEY))
    reader = Reader(
        user=user,
        subscriber=subscriber,
        organisation=subscriber.organisation if subscriber else None,
    )
    request._editorial_reader = reader
    return reader


def reader_for_token(token: ApiToken) -> Reader:
    """The reader behind an API token (already checked as not revoked)."""
    return Reader(organisation=token.organisation, api_token=token)


def issue_access_level(issue: Issue) -> str:
    """The access level in force: the issue's own, else its bulletin's."""
    return issue.access_level or issue.bulletin.access_level


def is_subscriber_only(issue: Issue) -> bool:
    return issue_access_level(issue) == AccessLevel.SUBSCRIBERS


def may_read_in_full(reader: Reader, issue: Issue) -> bool:
    """May this reader read the issue's full text, files and data?"""
    if not is_subscriber_only(issue):
        return True
    if reader.is_staff:
        return True
    return issue.bulletin_id in reader.subscribed_bulletin_ids()


def full_text_issue_q(reader: Reader, *, prefix: str = "") -> Q:
    """A filter on Issue (or on a relation to it, via ``prefix`` like "issue__") for the
    issues this reader may read in full: for search, feeds, sitemaps and API lists."""
    if reader.is_staff:
        return Q()
    p = prefix
    public = Q(**{f"{p}access_level": AccessLevel.PUBLIC}) | Q(
        **{f"{p}access_level": "", f"{p}bulletin__access_level": AccessLevel.PUBLIC}
    )
    ids = reader.subscribed_bulletin_ids()
    if ids:
        return public | Q(**{f"{p}bulletin_id__in": sorted(ids)})
    return public


def full_text_bulletin_ids(reader: Reader) -> tuple[list[int], list[int]] | None:
    """For raw SQL (search): None when the reader reads everything in full, else the ids
    of the bulletins public by default and of those the reader subscribes to. An issue
    is readable when its own level is public, or its bulletin is subscribed, or its
    level is empty and its bulletin is public (the same rule as ``full_text_issue_q``)."""
    if reader.is_staff:
        return None
    public = list(
        Bulletin.objects.filter(access_level=AccessLevel.PUBLIC).values_list("pk", flat=True)
    )
    return public, sorted(reader.subscribed_bulletin_ids())


def open_blocks(blocks: list[dict]) -> list[dict]:
    """The part of an article body anyone may read: its first paragraph."""
    first = next((block for block in blocks if block.get("type") == "paragraph"), None)
    return [first] if first is not None else []


def gate_refusal(reader: Reader) -> str:
    """Why the reader sees only the open part: "sign-in" (nobody signed in) or
    "not-subscribed" (a subscriber whose organisation holds no subscription to it)."""
    return "not-subscribed" if reader.is_subscriber else "sign-in"


def client_address(request) -> str | None:
    """The client's address as the web server saw it (REMOTE_ADDR; a proxy must set it)."""
    return request.META.get("REMOTE_ADDR") or None
