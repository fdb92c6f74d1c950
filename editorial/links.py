"""Signed links: the tokens in the URLs the product hands out, made and read in one place.

Every token is Django's ``signing`` (HMAC of SECRET_KEY) made by ``_sign`` with a salt of
its own, so a token made for one purpose never opens another, and read back by ``_load``.
What a token carries is an id, never a secret. Reading a token re-reads the rows it names;
nothing here writes to the database.

Issue previews
    Staff share an unpublished issue as the public will see it; the link expires after
    PREVIEW_LINK_MAX_AGE seconds.

Subscriber links
    The subscriber page, downloads and unsubscribing, mailed with every delivery. The page
    and downloads expire after SUBSCRIBER_LINK_MAX_AGE_DAYS; unsubscribe links do not
    (RFC 8058 wants them to keep working). A cancelled or ended subscription, a deactivated
    subscriber or organisation, or a withdrawn issue refuse the link.

``absolute_url`` is the one way a path becomes a URL on the site (SITE_URL), for e-mails,
feeds, exports and the API.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from editorial.models import Issue, Subscriber, Subscription
from editorial.selectors.subscriptions import subscription_issues, subscription_refusal
from editorial.services.errors import ServiceError

PREVIEW_SALT = "editorial.issue-preview"
SALT_PAGE = "editorial.subscriber.page"
SALT_DOWNLOAD = "editorial.subscriber.download"
SALT_UNSUBSCRIBE = "editorial.subscriber.unsubscribe"

DOWNLOAD_KINDS = ("pdf", "html", "metrics")


def absolute_url(path: str) -> str:
    """``path`` on the site (SITE_URL); a URL that is already absolute (a file in a
    bucket) is returned as it is."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}/{path.lstrip('/')}"


# --- The token scheme ------------------------------------------------------------------------


class LinkRefused(ServiceError):
    """A signed link that cannot be used; ``code`` is invalid, expired, revoked or gone."""


def _sign(payload: dict, *, salt: str) -> str:
    # compress only when it makes the token shorter, which small payloads never are.
    return signing.dumps(payload, salt=salt, compress=True)


def _load(token: str, *, salt: str, max_age: timedelta | int | None) -> dict:
    """The payload of a genuine token of this salt; LinkRefused (expired or invalid)."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkRefused(
            _("This link has expired. Ask for a new one below."), code="expired"
        ) from exc
    except signing.BadSignature as exc:
        raise LinkRefused(_("This link is not valid."), code="invalid") from exc
    if not isinstance(payload, dict):
        raise LinkRefused(_("This link is not valid."), code="invalid")
    return payload


# --- Issue previews ----------------------------------------------------------------------------


def preview_max_age() -> int:
    return int(getattr(settings, "PREVIEW_LINK_MAX_AGE", 7 * 24 * 3600))


def preview_token_for(issue: Issue) -> str:
    return _sign({"issue": issue.pk}, salt=PREVIEW_SALT)


def issue_from_preview_token(token: str) -> Issue:
    """The issue a preview token names; 404 when the token is forged, expired or stale."""
    try:
        data = _load(token, salt=PREVIEW_SALT, max_age=preview_max_age())
    except LinkRefused as exc:
        if exc.code == "expired":
            raise Http404("This preview link has expired") from exc
        raise Http404("Not a valid preview link") from exc
    try:
        return Issue.objects.select_related("bulletin").get(pk=data["issue"])
    except (Issue.DoesNotExist, KeyError, TypeError) as exc:
        raise Http404("No such issue") from exc


# --- Subscriber links: making them ---------------------------------------------------------------


def link_max_age() -> timedelta:
    return timedelta(days=getattr(settings, "SUBSCRIBER_LINK_MAX_AGE_DAYS", 30))


def _email_fingerprint(email: str) -> str:
    # A page link names the address it was sent to: when a subscriber's address is
    # changed (the person left), links mailed to the old address stop working.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:10]


def make_page_token(subscriber: Subscriber) -> str:
    return _sign({"p": subscriber.pk, "e": _email_fingerprint(subscriber.email)}, salt=SALT_PAGE)


def make_download_token(*, subscription: Subscription, issue: Issue, kind: str) -> str:
    if kind not in DOWNLOAD_KINDS:
        raise ValueError(f"unknown download kind {kind!r}")
    return _sign({"s": subscription.pk, "i": issue.pk, "k": kind}, salt=SALT_DOWNLOAD)


def make_unsubscribe_token(subscription: Subscription) -> str:
    return _sign({"u": subscription.pk}, salt=SALT_UNSUBSCRIBE)


def page_url(subscriber: Subscriber) -> str:
    return absolute_url(reverse("subscriber:page", args=[make_page_token(subscriber)]))


def download_url(*, subscription: Subscription, issue: Issue, kind: str) -> str:
    token = make_download_token(subscription=subscription, issue=issue, kind=kind)
    return absolute_url(reverse("subscriber:download", args=[token]))


def unsubscribe_url(subscription: Subscription) -> str:
    token = make_unsubscribe_token(subscription)
    return absolute_url(reverse("subscriber:unsubscribe", args=[token]))


# --- Subscriber links: reading them --------------------------------------------------------------


def subscriber_from_page_token(token: str) -> Subscriber:
    """The subscriber a page link belongs to; LinkRefused when it may not be used."""
    payload = _load(token, salt=SALT_PAGE, max_age=link_max_age())
    subscriber = (
        Subscriber.objects.select_related("organisation").filter(pk=payload.get("p")).first()
    )
    if subscriber is None or payload.get("e") != _email_fingerprint(subscriber.email):
        raise LinkRefused(_("This link is not valid."), code="invalid")
    if not subscriber.active or not subscriber.organisation.active:
        raise LinkRefused(_("This subscriber has been deactivated."), code="revoked")
    return subscriber


@dataclass(frozen=True)
class Download:
    subscription: Subscription
    issue: Issue
    kind: str


def download_from_token(token: str) -> Download:
    """What a download link gives access to, checked against the rows as they are now."""
    payload = _load(token, salt=SALT_DOWNLOAD, max_age=link_max_age())
    kind = payload.get("k")
    subscription = (
        Subscription.objects.select_related("subscriber__organisation", "bulletin")
        .filter(pk=payload.get("s"))
        .first()
    )
    if subscription is None or kind not in DOWNLOAD_KINDS:
        raise LinkRefused(_("This link is not valid."), code="invalid")
    refusal = subscription_refusal(subscription)
    if refusal:
        raise LinkRefused(refusal, code="revoked")
    issue = subscription_issues(subscription).filter(pk=payload.get("i")).first()
    if issue is None:
        raise LinkRefused(_("This issue is no longer available."), code="gone")
    return Download(subscription=subscription, issue=issue, kind=kind)


def subscription_from_unsubscribe_token(token: str) -> Subscription:
    payload = _load(token, salt=SALT_UNSUBSCRIBE, max_age=None)
    subscription = (
        Subscription.objects.select_related("subscriber__organisation", "bulletin")
        .filter(pk=payload.get("u"))
        .first()
    )
    if subscription is None:
        raise LinkRefused(_("This link is not valid."), code="invalid")
    return subscription


def subscriber_for_renewal(token: str) -> Subscriber | None:
    """The subscriber an expired (but genuine) page or download link was sent to."""
    for salt in (SALT_PAGE, SALT_DOWNLOAD):
        try:
            payload = _load(token, salt=salt, max_age=None)
        except LinkRefused:
            continue
        if salt == SALT_PAGE:
            subscriber = Subscriber.objects.filter(pk=payload.get("p")).first()
            if subscriber and payload.get("e") == _email_fingerprint(subscriber.email):
                return subscriber
            return None
        subscription = Subscription.objects.filter(pk=payload.get("s")).first()
        return subscription.subscriber if subscription else None
    return None
