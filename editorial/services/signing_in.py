"""Subscribers sign in to the site without a password: a one-time link by e-mail.

Asking for a link answers the same for every address, known or not: the request only
validates the address and counts it against the rate limits (per address and per client
address, in the shared cache); looking the subscriber up, writing the link and sending
the mail happen in a task after the response (``editorial.send_sign_in_link``), so the
answer's timing says nothing either. The link is random, stored as its SHA-256 digest
only, works for ``SUBSCRIBER_SIGN_IN_LINK_MINUTES`` and once.

A sign-in takes a seat: an organisation with a ``seat_limit`` admits at most that many
different people within ``BULLETIN_SEAT_PERIOD_DAYS``; people who already hold a seat in
the period keep signing in. The session lasts ``SUBSCRIBER_SESSION_DAYS``; whether it
still gives access is decided on every request (editorial.selectors.access), so a
deactivation or an ended subscription takes effect on the next page.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from editorial.links import absolute_url
from editorial.mail.subscriber import mail_subscriber
from editorial.models import Organisation, SignInLink, Subscriber, SubscriberSignIn
from editorial.selectors.access import SESSION_SUBSCRIBER_KEY
from editorial.selectors.subscriptions import active_subscriptions_of_organisation
from editorial.services.errors import ServiceError
from editorial.services.queueing import task_named

logger = logging.getLogger(__name__)

# Requests for a link: per e-mail address, and per client address (an office shares one).
REQUESTS_PER_ADDRESS = 3
REQUESTS_PER_CLIENT = 20
REQUEST_WINDOW_SECONDS = 15 * 60


class SignInRefused(ServiceError):
    """A sign-in that cannot go ahead; ``code`` says why (rate-limited, invalid, expired,
    used, revoked, no-subscription, seats)."""


def link_lifetime() -> timedelta:
    return timedelta(minutes=settings.SUBSCRIBER_SIGN_IN_LINK_MINUTES)


def session_seconds() -> int:
    return settings.SUBSCRIBER_SESSION_DAYS * 24 * 3600


def seat_period() -> timedelta:
    return timedelta(days=settings.BULLETIN_SEAT_PERIOD_DAYS)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def safe_next(next_url: str | None) -> str:
    """A local path to return to after signing in, or "" (no open redirects)."""
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        return next_url if next_url.startswith("/") and not next_url.startswith("//") else ""
    return ""


# --- Asking for a link ----------------------------------------------------------------


def _within_limit(key: str, limit: int) -> bool:
    """Count one more request under ``key`` in a fixed window; False past ``limit``."""
    cache.add(key, 0, timeout=REQUEST_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=REQUEST_WINDOW_SECONDS)
        count = 1
    return count <= limit


def request_sign_in_link(*, email: str, client_address: str | None, next_url: str = "") -> None:
    """Accept a request for a sign-in link; the mail (if the address is a subscriber's)
    goes out from a task after the transaction commits.

    Raises SignInRefused for an address that is not an e-mail address, or past a rate
    limit; those answers are the same whether the address is known or not.
    """
    email = normalise_email(email)
    try:
        validate_email(email)
    except ValidationError as exc:
        raise SignInRefused(_("Enter a valid e-mail address."), code="invalid-email") from exc
    too_many = _("Too many sign-in requests. Please wait a few minutes and try again.")
    client_key = f"sign-in:client:{client_address}"
    if client_address and not _within_limit(client_key, REQUESTS_PER_CLIENT):
        raise SignInRefused(too_many, code="rate-limited")
    email_key = hashlib.sha256(email.encode("utf-8")).hexdigest()
    if not _within_limit(f"sign-in:email:{email_key}", REQUESTS_PER_ADDRESS):
        raise SignInRefused(too_many, code="rate-limited")
    next_url = safe_next(next_url)

    def queue():
        try:
            task_named("editorial.send_sign_in_link").delay(email, client_address, next_url)
        except Exception:  # broker down: nothing is sent, the page still answers the same
            logger.exception("Could not queue a sign-in link")

    transaction.on_commit(queue)


def sign_in_link_url(token: str, next_url: str = "") -> str:
    path = reverse("subscriber:sign_in_link", args=[token])
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return absolute_url(f"{path}{query}")


def send_sign_in_link(*, email: str, client_address: str | None = None, next_url: str = "") -> bool:
    """Write a one-time link for the active subscriber with this address and mail it.

    Returns False (and sends nothing) for an unknown or deactivated address.
    """
    subscriber = (
        Subscriber.objects.select_related("organisation")
        .filter(email__iexact=normalise_email(email), active=True, organisation__active=True)
        .first()
    )
    if subscriber is None:
        return False
    token = secrets.token_urlsafe(32)
    link = SignInLink.objects.create(
        subscriber=subscriber,
        token_digest=token_digest(token),
        expires_at=timezone.now() + link_lifetime(),
        requested_from=client_address or None,
    )
    sent = mail_subscriber(
        subscriber,
        subject=gettext_lazy("Your sign-in link"),
        template="email/sign_in_link",
        context={
            "sign_in_url": sign_in_link_url(token, safe_next(next_url)),
            "minutes": settings.SUBSCRIBER_SIGN_IN_LINK_MINUTES,
        },
    )
    if not sent:
        link.delete()
    return sent


# --- Following a link -------------------------------------------------------------------


def _usable_link(link: SignInLink | None, *, now: datetime) -> SignInLink:
    if link is None:
        raise SignInRefused(_("This sign-in link is not valid."), code="invalid")
    if link.used_at is not None:
        raise SignInRefused(
            _("This sign-in link has already been used. Ask for a new one."), code="used"
        )
    if link.expires_at <= now:
        raise SignInRefused(_("This sign-in link has expired. Ask for a new one."), code="expired")
    return link


def check_sign_in_link(token: str) -> SignInLink:
    """The link a token names, if it can still be used (nothing is changed: mail
    scanners open links, so only the confirming POST uses it)."""
    link = (
        SignInLink.objects.select_related("subscriber__organisation")
        .filter(token_digest=token_digest(token))
        .first()
    )
    return _usable_link(link, now=timezone.now())


def seats_used(organisation: Organisation, *, now: datetime | None = None) -> int:
    """Distinct subscribers of the organisation signed in within the seat period."""
    since = (now or timezone.now()) - seat_period()
    return (
        SubscriberSignIn.objects.filter(organisation=organisation, signed_in_at__gte=since)
        .values("subscriber_id")
        .distinct()
        .count()
    )


def _admit(subscriber: Subscriber, *, method: str, now: datetime) -> SubscriberSignIn:
    """The checks every sign-in passes, and its seat. Call inside a transaction."""
    # Locked: two people signing in at once cannot both take the last seat.
    organisation = Organisation.objects.select_for_update().get(pk=subscriber.organisation_id)
    subscriber = Subscriber.objects.get(pk=subscriber.pk)
    if not subscriber.active or not organisation.active:
        raise SignInRefused(
            _(
                "This subscriber has been deactivated. Please contact your organisation's "
                "administrator."
            ),
            code="revoked",
        )
    if not active_subscriptions_of_organisation(organisation_id=organisation.pk).exists():
        raise SignInRefused(
            _("Your organisation has no subscription in force. Please contact us to renew it."),
            code="no-subscription",
        )
    if organisation.seat_limit is not None:
        since = now - seat_period()
        holders = SubscriberSignIn.objects.filter(
            organisation=organisation, signed_in_at__gte=since
        )
        seated = holders.filter(subscriber=subscriber).exists()
        taken = holders.values("subscriber_id").distinct().count()
        if not seated and taken >= organisation.seat_limit:
            raise SignInRefused(
                _(
                    "All %(limit)s seats of %(organisation)s are taken for the last %(days)s days, "
                    "so you cannot sign in now. Please contact your organisation's administrator."
                )
                % {
                    "limit": organisation.seat_limit,
                    "organisation": organisation.name,
                    "days": settings.BULLETIN_SEAT_PERIOD_DAYS,
                },
                code="seats",
            )
    return SubscriberSignIn.objects.create(
        subscriber=subscriber, organisation=organisation, method=method
    )


@transaction.atomic
def sign_in_with_link(*, token: str) -> Subscriber:
    """Use a one-time link: it is spent, and the subscriber signs in (taking a seat).

    A refusal changes nothing: a link refused for want of a seat stays usable until it
    expires.
    """
    now = timezone.now()
    link = (
        SignInLink.objects.select_for_update()
        .select_related("subscriber")
        .filter(token_digest=token_digest(token))
        .first()
    )
    link = _usable_link(link, now=now)
    link.used_at = now
    link.save(update_fields=["used_at"])
    _admit(link.subscriber, method=SubscriberSignIn.Method.EMAIL_LINK, now=now)
    return link.subscriber


@transaction.atomic
def sign_in_from_delivery_link(*, subscriber: Subscriber) -> SubscriberSignIn:
    """Sign in the subscriber a signed e-mail link (their subscription page) was sent to."""
    return _admit(subscriber, method=SubscriberSignIn.Method.DELIVERY_LINK, now=timezone.now())


# --- The session --------------------------------------------------------------------------


def signed_in_subscriber_id(request) -> int | None:
    session = getattr(request, "session", None)
    return session.get(SESSION_SUBSCRIBER_KEY) if session is not None else None


def open_session(request, subscriber: Subscriber) -> None:
    """Keep the subscriber signed in on this browser for SUBSCRIBER_SESSION_DAYS."""
    request.session.cycle_key()  # a new session id: no fixation
    request.session[SESSION_SUBSCRIBER_KEY] = subscriber.pk
    request.session.set_expiry(session_seconds())
    request._editorial_reader = None


def close_session(request) -> None:
    """Sign the subscriber out (an admin sign-in in the same browser stays)."""
    request.session.pop(SESSION_SUBSCRIBER_KEY, None)
    request.session.cycle_key()
    request._editorial_reader = None
