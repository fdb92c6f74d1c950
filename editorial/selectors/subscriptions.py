"""Who is subscribed: the subscriptions in force on a day, a subscription's formats,
period and issues, and why one gives nothing now. Reads only, for deliveries, the signed
links, the subscriber pages, sign-in and the access decision alike; the subscriber's own
changes are in editorial.services.subscriptions."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.models import Delivery, Issue, Subscription
from editorial.workflow import ISSUE_PUBLIC_STATES

Kind = Delivery.Kind
Format = Subscription.Format

DEFAULT_FORMATS = [Format.PDF_LINK.value]


def local_today(now: datetime | None = None) -> date:
    return timezone.localdate(now or timezone.now())


def subscription_formats(subscription: Subscription) -> list[str]:
    """The subscription's formats in a fixed order; none chosen means a PDF link."""
    chosen = set(subscription.formats or [])
    formats = [value for value in Format.values if value in chosen]
    return formats or list(DEFAULT_FORMATS)


def subscription_refusal(subscription: Subscription, *, on: date | None = None) -> str:
    """Why the subscription gives no access today, in the user's language; "" if it does."""
    on = on or local_today()
    subscriber = subscription.subscriber
    if not subscriber.active or not subscriber.organisation.active:
        return _("This subscriber has been deactivated.")
    if subscription.cancelled_at is not None:
        return _("This subscription was cancelled.")
    if subscription.starts_on and subscription.starts_on > on:
        return _("This subscription has not started yet.")
    if subscription.ends_on and subscription.ends_on < on:
        return _("This subscription has ended.")
    return ""


def _subscriptions_in_force(on: date | None, **filters) -> QuerySet[Subscription]:
    on = on or local_today()
    return (
        Subscription.objects.filter(
            cancelled_at__isnull=True,
            subscriber__active=True,
            subscriber__organisation__active=True,
            **filters,
        )
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=on))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
    )


def active_subscriptions(*, bulletin_id: int, on: date | None = None) -> QuerySet[Subscription]:
    return _subscriptions_in_force(on, bulletin_id=bulletin_id)


def active_subscriptions_of_organisation(
    *, organisation_id: int, on: date | None = None
) -> QuerySet[Subscription]:
    """The organisation's subscriptions in force (on a day, default today), of its active people."""
    return _subscriptions_in_force(on, subscriber__organisation_id=organisation_id)


def subscription_period(subscription: Subscription) -> tuple[date, date | None]:
    """First and last day whose publications belong to the subscription (None: open)."""
    start = subscription.starts_on or timezone.localdate(subscription.created_at)
    ends = [d for d in (subscription.ends_on,) if d]
    if subscription.cancelled_at:
        ends.append(timezone.localdate(subscription.cancelled_at))
    return start, min(ends) if ends else None


def subscription_issues(subscription: Subscription) -> QuerySet[Issue]:
    """The public issues published during the subscription, and any it was sent."""
    start, end = subscription_period(subscription)
    published = Q(published_at__date__gte=start)
    if end:
        published &= Q(published_at__date__lte=end)
    delivered = Q(deliveries__subscription=subscription, deliveries__kind=Kind.ISSUE)
    return (
        Issue.objects.filter(
            Q(bulletin_id=subscription.bulletin_id, state__in=ISSUE_PUBLIC_STATES)
            & (published | delivered)
        )
        .select_related("bulletin")
        .distinct()
        .order_by("-published_at", "-number")
    )
