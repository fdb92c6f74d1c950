"""Organisations, subscribers and subscriptions as publishers keep them in the admin.

The subscriber's own changes (formats, sections, unsubscribing) are in services.subscriptions.
"""

from __future__ import annotations

from django.db import transaction

from editorial.models import Organisation, Subscriber, Subscription
from editorial.services.audit import record_action, save_recorded
from editorial.services.permissions import require_permission


@transaction.atomic
def save_organisation(*, organisation: Organisation, user) -> Organisation:
    require_permission(user, "audience.edit")
    return save_recorded(organisation, user=user, action_prefix="organisation")


@transaction.atomic
def save_subscriber(*, subscriber: Subscriber, user) -> Subscriber:
    require_permission(user, "audience.edit")
    return save_recorded(subscriber, user=user, action_prefix="subscriber")


@transaction.atomic
def save_subscription(*, subscription: Subscription, user, sections=None) -> Subscription:
    """Save a subscription's terms; ``sections`` (when given) replaces its section choice."""
    require_permission(user, "subscription.edit")
    save_recorded(subscription, user=user, action_prefix="subscription")
    if sections is not None:
        before = sorted(subscription.sections.values_list("name", flat=True))
        after = sorted(section.name for section in sections)
        if before != after:
            subscription.sections.set(list(sections))
            record_action(user=user, action="subscription.edit", obj=subscription,
                          changes={"sections": [before, after]})
    return subscription
