"""E-mail to the people in the workflow: reviewers on submit, authors on send-back and
approval.

Mail goes out after the transition's transaction commits, and is digested: one e-mail per
person for a bulk action (``digest()`` around the loop), listing every item, instead of
one per article. With ``NOTIFICATION_DIGEST = "daily"`` the items wait as
PendingNotification rows and go out once a day (``send_due_digests``, run by beat and by
run_scheduler), one e-mail per person.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from editorial import workflow
from editorial.links import absolute_url
from editorial.models import Article, PendingNotification, ReviewEvent

logger = logging.getLogger(__name__)

NOTIFIED_ACTIONS = ("submit", "request_changes", "approve")

# The open bulk action, if any: the (article id, action) pairs committed within it.
_batch: ContextVar[list[tuple[int, str]] | None] = ContextVar("notification_batch", default=None)


@dataclass(frozen=True)
class NotificationItem:
    recipient_id: int
    email: str
    action: str
    article_id: int | None
    title: str
    issue_title: str
    comment: str

    @property
    def url(self) -> str:
        if self.article_id is None:
            return ""
        return absolute_url(f"/admin/editorial/article/{self.article_id}/change/")


# --- Collecting -------------------------------------------------------------------------


def queue_article_notification(*, article_id: int, action: str) -> None:
    """Called by a transition inside its transaction: mail once it has committed."""
    if action not in NOTIFIED_ACTIONS:
        return
    batch = _batch.get()
    if batch is not None:
        transaction.on_commit(lambda: batch.append((article_id, action)))
    else:
        transaction.on_commit(
            lambda: send_article_notifications([(article_id, action)])
        )


@contextmanager
def digest() -> Iterator[None]:
    """Everything transitioned inside is told in one e-mail per person, after commit.

    Each transition inside may commit on its own (a bulk action where one refusal stops
    none of the others): the items committed are collected, and sent when the block ends
    (or when the transaction around it commits).
    """
    batch: list[tuple[int, str]] = []
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
        # Registered last, so it runs after the items' own callbacks have collected them.
        transaction.on_commit(lambda: send_article_notifications(batch))


def notify_article_transition(*, article_id: int, action: str) -> int:
    """Send the e-mails one article transition calls for; returns how many were sent."""
    return send_article_notifications([(article_id, action)])


def notification_items(pairs: Iterable[tuple[int, str]]) -> list[NotificationItem]:
    """Who is to be told what, for these (article id, action) pairs (a constant number of
    queries, whatever the number of articles)."""
    pairs = [(article_id, action) for article_id, action in pairs if action in NOTIFIED_ACTIONS]
    if not pairs:
        return []
    articles = Article.objects.select_related("issue__bulletin", "created_by").in_bulk(
        {article_id for article_id, _action in pairs}
    )
    reviewers = []
    if any(action == "submit" for _article_id, action in pairs):
        reviewers = list(
            get_user_model()
            .objects.filter(groups__name=workflow.REVIEWER, is_active=True)
            .exclude(email="")
            .distinct()
            .values_list("pk", "email")
        )
    comments = _latest_comments(articles)
    items = []
    for article_id, action in pairs:
        article = articles.get(article_id)
        if article is None:
            continue
        if action == "submit":
            recipients = reviewers
        elif article.created_by and article.created_by.email and article.created_by.is_active:
            recipients = [(article.created_by.pk, article.created_by.email)]
        else:
            recipients = []
        for recipient_id, email in recipients:
            items.append(NotificationItem(
                recipient_id=recipient_id, email=email, action=action, article_id=article.pk,
                title=article.title, issue_title=article.issue.display_title,
                comment=comments.get(article.pk, "") if action != "submit" else "",
            ))
    return items


def _latest_comments(articles: dict[int, Article]) -> dict[int, str]:
    latest: dict[int, str] = {}
    events = (
        ReviewEvent.objects.filter(article_id__in=list(articles))
        .order_by("article_id", "-created_at", "-pk")
        .values_list("article_id", "comment")
    )
    for article_id, comment in events:
        latest.setdefault(article_id, comment)
    return latest


# --- Sending ----------------------------------------------------------------------------


def send_article_notifications(pairs: Iterable[tuple[int, str]]) -> int:
    """Tell everyone concerned, one e-mail per person; returns how many were sent (or,
    with the daily digest, how many items were put aside for it)."""
    items = notification_items(pairs)
    if not items:
        return 0
    if settings.NOTIFICATION_DIGEST == "daily":
        PendingNotification.objects.bulk_create(
            PendingNotification(
                recipient_id=item.recipient_id, action=item.action, article_id=item.article_id,
                title=item.title[:300], issue_title=item.issue_title[:300], comment=item.comment,
            )
            for item in items
        )
        return len(items)
    sent = 0
    for email, own in _by_recipient(items).items():
        sent += _send_digest(email, own)
    return sent


def _by_recipient(items: Iterable[NotificationItem]) -> dict[str, list[NotificationItem]]:
    grouped: dict[str, list[NotificationItem]] = defaultdict(list)
    for item in items:
        grouped[item.email].append(item)
    return grouped


def _subject(items: list[NotificationItem]) -> str:
    if len(items) == 1:
        item = items[0]
        template = {
            "submit": _("For review: %(title)s"),
            "request_changes": _("Changes requested: %(title)s"),
            "approve": _("Approved: %(title)s"),
        }[item.action]
        return template % {"title": item.title}
    actions = {item.action for item in items}
    count = len(items)
    if actions == {"submit"}:
        return ngettext("%(count)s article for review", "%(count)s articles for review",
                        count) % {"count": count}
    if actions == {"request_changes"}:
        return ngettext("Changes requested in %(count)s article",
                        "Changes requested in %(count)s articles", count) % {"count": count}
    if actions == {"approve"}:
        return ngettext("%(count)s article approved", "%(count)s articles approved",
                        count) % {"count": count}
    return ngettext("%(count)s review notification", "%(count)s review notifications",
                    count) % {"count": count}


def _sections(items: list[NotificationItem]) -> list[dict]:
    headings = {
        "submit": _("Waiting for your review"),
        "request_changes": _("Sent back to you with changes requested"),
        "approve": _("Approved"),
    }
    return [
        {"heading": headings[action], "items": [i for i in items if i.action == action]}
        for action in NOTIFIED_ACTIONS
        if any(i.action == action for i in items)
    ]


def _send_digest(email: str, items: list[NotificationItem]) -> int:
    body = render_to_string("email/review_notification.txt", {
        "sections": _sections(items),
        "count": len(items),
        "desk_url": absolute_url("/admin/"),
    })
    try:
        return send_mail(_subject(items), body, None, [email])
    except OSError:
        # A mail outage must not undo a review step; the trail has the record.
        logger.exception("Could not send the review notification to %s", email)
        return 0


# --- The daily digest -------------------------------------------------------------------


def last_digest_time(now: datetime | None = None) -> datetime:
    """The latest daily digest moment at or before ``now`` (NOTIFICATION_DIGEST_HOUR,
    in the site's time zone)."""
    local = timezone.localtime(now or timezone.now())
    moment = local.replace(hour=settings.NOTIFICATION_DIGEST_HOUR, minute=0, second=0,
                           microsecond=0)
    return moment if moment <= local else moment - timedelta(days=1)


def send_due_digests(now: datetime | None = None) -> int:
    """Send each person the items put aside before the last digest moment, in one e-mail;
    returns how many e-mails went out. Safe to run often and twice: rows are claimed
    under a lock and marked sent in the same transaction as the sending."""
    cutoff = last_digest_time(now)
    recipients = list(
        PendingNotification.objects.filter(sent_at__isnull=True, created_at__lt=cutoff)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for recipient_id in recipients:
        with transaction.atomic():
            rows = list(
                PendingNotification.objects.select_for_update(skip_locked=True)
                .filter(recipient_id=recipient_id, sent_at__isnull=True, created_at__lt=cutoff)
                .select_related("recipient")
                .order_by("created_at", "pk")
            )
            if not rows or not rows[0].recipient.email:
                continue
            items = [
                NotificationItem(
                    recipient_id=row.recipient_id, email=row.recipient.email, action=row.action,
                    article_id=row.article_id, title=row.title, issue_title=row.issue_title,
                    comment=row.comment,
                )
                for row in rows
            ]
            with translation.override(settings.LANGUAGE_CODE):
                delivered = _send_digest(rows[0].recipient.email, items)
            if delivered:
                PendingNotification.objects.filter(pk__in=[r.pk for r in rows]).update(
                    sent_at=timezone.now()
                )
                sent += delivered
    return sent
