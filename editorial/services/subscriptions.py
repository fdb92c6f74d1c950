"""The subscriber's own changes to a subscription: what it receives (formats, sections),
unsubscribing (from the page or the e-mail's one-click link), and a fresh page link.

The signed links are the subscriber's authority (editorial.links); staff may make the
same changes with the change-subscription permission. Who is subscribed, and what a
subscription gives, is read in editorial.selectors.subscriptions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from editorial.links import (
    link_max_age,
    page_url,
    subscriber_from_page_token,
    subscription_from_unsubscribe_token,
)
from editorial.mail.subscriber import mail_subscriber
from editorial.models import Delivery, Subscriber, Subscription
from editorial.selectors.delivery import OPEN_STATES
from editorial.selectors.subscriptions import subscription_refusal
from editorial.services.errors import PermissionRefused, ServiceError

logger = logging.getLogger(__name__)

Format = Subscription.Format
PAGE_LINK_INTERVAL_SECONDS = 600


def _acting(subscription: Subscription, *, user, page_token: str | None) -> str:
    """Who may change a subscription: the subscriber of a valid page link, or a user
    with the change-subscription permission. Returns a description for the log."""
    if page_token is not None:
        subscriber = subscriber_from_page_token(page_token)
        if subscription.subscriber_id != subscriber.pk:
            raise PermissionRefused(_("This subscription belongs to someone else."))
        return f"subscriber {subscriber.pk} (signed link)"
    if user is not None and user.is_authenticated and user.has_perm("editorial.change_subscription"):
        return f"user {user.pk}"
    raise PermissionRefused(_("You may not change this subscription."))


@transaction.atomic
def change_subscription(
    *,
    subscription: Subscription,
    formats: Iterable[str],
    section_ids: Iterable[int] = (),
    user=None,
    page_token: str | None = None,
) -> Subscription:
    """Set what the subscription receives: its formats and (optionally) only some sections.

    The caller is the subscriber of ``page_token`` (a signed page link, checked here) or
    ``user``, who must hold the change-subscription permission.
    """
    actor = _acting(subscription, user=user, page_token=page_token)
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    refusal = subscription_refusal(locked)
    if page_token is not None and refusal:
        raise ServiceError(refusal, code="inactive")
    chosen = set(formats)
    unknown = chosen - set(Format.values)
    if unknown:
        raise ServiceError(_("Unknown format: %(names)s") % {"names": ", ".join(sorted(unknown))})
    if not chosen:
        raise ServiceError(_("Choose at least one format, or unsubscribe."), code="no-format")
    section_ids = {int(pk) for pk in section_ids}
    sections = list(locked.bulletin.sections.filter(pk__in=section_ids))
    if len(sections) != len(section_ids):
        raise ServiceError(_("Choose sections of this bulletin only."), code="bad-section")
    locked.formats = [value for value in Format.values if value in chosen]
    locked.save(update_fields=["formats"])
    locked.sections.set(sections)
    logger.info(
        "Subscription %s changed by %s: formats %s, sections %s",
        locked.pk, actor, locked.formats, sorted(section_ids),
    )
    return locked


def _cancel(subscription: Subscription, *, actor: str) -> Subscription:
    """Cancel once, and stop the deliveries still waiting to be sent."""
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.cancelled_at is None:
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["cancelled_at"])
        stopped = Delivery.objects.filter(subscription=locked, state__in=OPEN_STATES).update(
            state=Delivery.State.CANCELLED, last_error="Unsubscribed.", next_attempt_at=None
        )
        logger.info("Subscription %s cancelled by %s; %s deliveries stopped", locked.pk, actor, stopped)
    return locked


@transaction.atomic
def cancel_subscription(
    *, subscription: Subscription, user=None, page_token: str | None = None
) -> Subscription:
    """Unsubscribe: nothing more is sent and the subscription's download links stop
    working. Cancelling twice is a no-op."""
    actor = _acting(subscription, user=user, page_token=page_token)
    return _cancel(subscription, actor=actor)


@transaction.atomic
def unsubscribe_by_link(*, token: str) -> Subscription:
    """The unsubscribe link of an e-mail (and its RFC 8058 one-click POST): the signed
    token is the authority. It does not expire; using it twice is a no-op."""
    subscription = subscription_from_unsubscribe_token(token)
    return _cancel(subscription, actor="unsubscribe link")


def send_page_link(*, subscriber: Subscriber) -> bool:
    """E-mail the subscriber a fresh link to their page; at most one per ten minutes.

    Only ever to the subscriber's own address, so it cannot be used to find out who
    subscribes or to mail anyone else.
    """
    if not subscriber.active or not subscriber.organisation.active:
        return False
    key = f"subscriber-page-link:{subscriber.pk}"
    if not cache.add(key, 1, timeout=PAGE_LINK_INTERVAL_SECONDS):
        return False
    sent = mail_subscriber(
        subscriber,
        subject=gettext_lazy("Your subscription page"),
        template="email/page_link",
        context={"page_url": page_url(subscriber), "link_days": link_max_age().days},
    )
    if not sent:
        cache.delete(key)  # nothing went out: the subscriber may ask again at once
    return sent
