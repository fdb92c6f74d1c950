"""Deliveries to subscribers: fan-out, exactly-once sending, retries, signed links.

Fan-out
    ``fan_out_issue_deliveries`` creates one Delivery row per active subscription (one
    per subscription, issue and kind — the database's unique constraint, so running it
    twice creates nothing new). A publish queues it after commit; a correction queues an
    erratum notice to those who received the issue. ``fan_out_due_deliveries`` (the
    sweeper) repairs what a broker outage missed.

Sending exactly once
    Each row is *claimed* with a conditional UPDATE (pending/retrying, or a ``sending``
    row whose lease ran out → sending, ``attempts + 1``, lease until now + LEASE). The
    new ``attempts`` value is the claim's fencing token: every later write to the row
    says ``WHERE state = … AND attempts = <token>``, so a worker whose lease was taken
    over cannot write anything.

    The row is marked ``sent`` *before the message is handed over*, and only then is it
    handed over. Over SMTP the hand-over is the single ``.`` that ends DATA: envelope and
    content go first, then the conditional UPDATE to ``sent`` commits, then the dot. A
    server never delivers a message whose DATA did not end (RFC 5321 §4.1.1.4), so:

    - a row found in ``sending`` was never handed over (the worker died or lost its
      lease before committing) and is safely sent again once its lease expires;
    - a worker that died after the commit and before the dot loses that one e-mail
      (at-most-once; the window is one ``send()`` of three bytes);
    - if the server rejects the message after the dot, the row goes back from ``sent``
      to retrying/failed; if the connection drops after the dot with no reply, the row
      stays ``sent`` with a note in ``last_error`` (at-most-once again).

    Every message carries a deterministic Message-ID (delivery row, kind, version), so
    should one ever be handed over twice, mail systems can tell the copies apart from
    new mail. Backends other than Django's SMTP one (console, locmem, API backends) get
    the same order — commit, then ``send_messages`` — i.e. at-most-once.

Retries
    SMTP 5xx replies (bad address, refused content) fail the row at once; 4xx replies,
    refused connections and timeouts retry after ``retry_delay_seconds`` (exponential,
    capped, with jitter) until DELIVERY_MAX_ATTEMPTS. The send task re-queues the rows
    it must retry with a countdown; the sweeper picks up anything a lost task dropped.

Signed links
    Download links, the subscriber page and unsubscribe links are ``signing.dumps``
    tokens with a salt per purpose. Downloads and the page expire after
    SUBSCRIBER_LINK_MAX_AGE_DAYS; unsubscribe links do not (RFC 8058 wants them to keep
    working). Every use re-reads the rows: a cancelled or ended subscription, a
    deactivated subscriber or organisation, or a withdrawn issue refuse the link.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import smtplib
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from editorial.models import (
    Delivery,
    Issue,
    Metric,
    Rendition,
    ReviewEvent,
    Subscriber,
    Subscription,
)
from editorial.selectors.renditions import current_renditions
from editorial.services.errors import PermissionRefused, ServiceError
from editorial.services.permissions import require_permission
from editorial.services.queueing import task_named
from editorial.services.subscriber_mail import mail_subscriber
from editorial.services.subscriptions import (
    active_subscriptions,
    subscription_formats,
    subscription_issues,
    subscription_refusal,
)
from editorial.workflow import IssueState

logger = logging.getLogger(__name__)

State = Delivery.State
Kind = Delivery.Kind
Format = Subscription.Format

SALT_PAGE = "editorial.subscriber.page"
SALT_DOWNLOAD = "editorial.subscriber.download"
SALT_UNSUBSCRIBE = "editorial.subscriber.unsubscribe"

DOWNLOAD_KINDS = ("pdf", "html", "metrics")
# Rows that are waiting to be sent; anything else is finished (or being sent).
OPEN_STATES = (State.PENDING, State.RETRYING)


def _setting(name: str, default: int) -> int:
    return getattr(settings, name, default)


def link_max_age() -> timedelta:
    return timedelta(days=_setting("SUBSCRIBER_LINK_MAX_AGE_DAYS", 30))


# --- Files ---------------------------------------------------------------------------------


# --- Signed links ------------------------------------------------------------------------


class LinkRefused(ServiceError):
    """A signed link that cannot be used; ``code`` is invalid, expired, revoked or gone."""


def _email_fingerprint(email: str) -> str:
    # A page link names the address it was sent to: when a subscriber's address is
    # changed (the person left), links mailed to the old address stop working.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:10]


def make_page_token(subscriber: Subscriber) -> str:
    return signing.dumps(
        {"p": subscriber.pk, "e": _email_fingerprint(subscriber.email)}, salt=SALT_PAGE
    )


def make_download_token(*, subscription: Subscription, issue: Issue, kind: str) -> str:
    if kind not in DOWNLOAD_KINDS:
        raise ValueError(f"unknown download kind {kind!r}")
    return signing.dumps({"s": subscription.pk, "i": issue.pk, "k": kind}, salt=SALT_DOWNLOAD)


def make_unsubscribe_token(subscription: Subscription) -> str:
    return signing.dumps({"u": subscription.pk}, salt=SALT_UNSUBSCRIBE)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def page_url(subscriber: Subscriber) -> str:
    return absolute_url(reverse("subscriber:page", args=[make_page_token(subscriber)]))


def download_url(*, subscription: Subscription, issue: Issue, kind: str) -> str:
    token = make_download_token(subscription=subscription, issue=issue, kind=kind)
    return absolute_url(reverse("subscriber:download", args=[token]))


def unsubscribe_url(subscription: Subscription) -> str:
    token = make_unsubscribe_token(subscription)
    return absolute_url(reverse("subscriber:unsubscribe", args=[token]))


def _load(token: str, *, salt: str, max_age: timedelta | None) -> dict:
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
            payload = signing.loads(token, salt=salt, max_age=None)
        except signing.BadSignature:
            continue
        if not isinstance(payload, dict):
            return None
        if salt == SALT_PAGE:
            subscriber = Subscriber.objects.filter(pk=payload.get("p")).first()
            if subscriber and payload.get("e") == _email_fingerprint(subscriber.email):
                return subscriber
            return None
        subscription = Subscription.objects.filter(pk=payload.get("s")).first()
        return subscription.subscriber if subscription else None
    return None


# --- Subscriber self-service -------------------------------------------------------------


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
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.cancelled_at is None:
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["cancelled_at"])
        stopped = Delivery.objects.filter(subscription=locked, state__in=OPEN_STATES).update(
            state=State.CANCELLED, last_error="Unsubscribed.", next_attempt_at=None
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
    if not cache.add(f"subscriber-page-link:{subscriber.pk}", 1, timeout=600):
        return False
    sent = mail_subscriber(
        subscriber,
        subject=gettext_lazy("Your subscription page"),
        template="email/page_link",
        context={"page_url": page_url(subscriber), "link_days": link_max_age().days},
    )
    if not sent:
        cache.delete(f"subscriber-page-link:{subscriber.pk}")
    return sent


# --- Fan-out -----------------------------------------------------------------------------


def _is_back_catalogue(issue: Issue) -> bool:
    # Old issues imported and published in bulk are archive material, not news: they
    # are listed on the subscriber page but not mailed to everyone.
    return issue.review_events.filter(action="publish_back_catalogue").exists()


def _correction_time(issue: Issue) -> datetime | None:
    return (
        ReviewEvent.objects.filter(issue=issue, action="correct")
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def check_may_manage_deliveries(user) -> None:
    if user is None:
        return  # the system: tasks and the sweeper
    require_permission(user, "delivery.manage")


def fan_out_issue_deliveries(*, issue_id: int, kind: str = Kind.ISSUE, user=None) -> list[int]:
    """Create the deliveries of a published issue (or of its erratum notice).

    Idempotent: rows exist once per subscription, issue and kind. Returns the ids of the
    rows of this issue and kind that are due to be sent now, new or not, so a caller
    that crashed after the fan-out and runs again still queues them.
    """
    check_may_manage_deliveries(user)
    if kind not in Kind.values:
        raise ServiceError(f"unknown delivery kind {kind!r}")
    issue = Issue.objects.select_related("bulletin").filter(pk=issue_id).first()
    if issue is None or issue.state != IssueState.PUBLISHED:
        return []
    now = timezone.now()
    with transaction.atomic():
        if kind == Kind.ISSUE:
            if _is_back_catalogue(issue):
                return []
            subscriptions = active_subscriptions(bulletin_id=issue.bulletin_id)
        else:
            corrected_at = _correction_time(issue)
            if corrected_at is None:
                return []
            # The erratum goes to those who received the issue before the correction;
            # anyone sent it since got the corrected text, erratum included.
            subscriptions = active_subscriptions(bulletin_id=issue.bulletin_id).filter(
                deliveries__issue=issue,
                deliveries__kind=Kind.ISSUE,
                deliveries__state=State.SENT,
                deliveries__sent_at__lt=corrected_at,
            )
            _rearm_errata(issue, corrected_at)
        Delivery.objects.bulk_create(
            [
                Delivery(subscription_id=pk, issue=issue, kind=kind)
                for pk in subscriptions.values_list("pk", flat=True).distinct()
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
    return due_delivery_ids(issue_id=issue.pk, kind=kind, now=now, grace=False)


def _rearm_errata(issue: Issue, corrected_at: datetime) -> None:
    """A second correction of an issue sends its notice again on the same rows.

    The unique constraint allows one erratum row per subscription; ``created_at`` says
    which correction a row carries. Rows older than the latest correction are re-armed
    once (the second run finds none older), and finished ones are sent again.
    """
    older = Delivery.objects.filter(issue=issue, kind=Kind.ERRATUM, created_at__lt=corrected_at)
    older.filter(state__in=(State.SENT, State.FAILED, State.CANCELLED)).update(
        state=State.PENDING, attempts=0, last_error="", message_id="", sent_at=None,
        next_attempt_at=None, created_at=corrected_at,
    )
    older.update(created_at=corrected_at)


def queue_issue_deliveries(*, issue_id: int, kind: str = Kind.ISSUE) -> None:
    """Queue the fan-out task; called after the publish or correction has committed."""
    task_named("editorial.fan_out_issue_deliveries").delay(issue_id, kind)


def queue_delivery_batches(delivery_ids: Iterable[int]) -> int:
    """Queue send tasks for ``delivery_ids`` in batches, once the transaction commits."""
    batches = delivery_batches(delivery_ids, size=_setting("DELIVERY_BATCH_SIZE", 50))

    def enqueue():
        send_batch = task_named("editorial.send_delivery_batch")
        for batch in batches:
            send_batch.delay(batch)

    transaction.on_commit(enqueue)
    return len(batches)


def delivery_batches(delivery_ids: Iterable[int], *, size: int) -> list[list[int]]:
    ids = sorted(set(delivery_ids))
    size = max(1, size)
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def due_delivery_ids(
    *, issue_id: int | None = None, kind: str | None = None, now: datetime | None = None,
    grace: bool = True,
) -> list[int]:
    """Rows to send now: new or retry-due, and ``sending`` rows whose lease ran out.

    With ``grace`` (the sweeper), a new row waits one lease period before it is picked
    up, since its own task is normally still in the queue.
    """
    now = now or timezone.now()
    lease = timedelta(seconds=_setting("DELIVERY_LEASE_SECONDS", 600))
    new = Q(state=State.PENDING, next_attempt_at__isnull=True)
    if grace:
        new &= Q(created_at__lte=now - lease)
    due = new | Q(state__in=(State.PENDING, State.RETRYING, State.SENDING), next_attempt_at__lte=now)
    rows = Delivery.objects.filter(due, attempts__lt=_setting("DELIVERY_MAX_ATTEMPTS", 6))
    if issue_id is not None:
        rows = rows.filter(issue_id=issue_id)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("pk").values_list("pk", flat=True))


def fail_abandoned_deliveries(*, now: datetime | None = None) -> int:
    """Rows left in ``sending`` by a dead worker on their last allowed attempt."""
    now = now or timezone.now()
    return Delivery.objects.filter(
        state=State.SENDING,
        next_attempt_at__lte=now,
        attempts__gte=_setting("DELIVERY_MAX_ATTEMPTS", 6),
    ).update(
        state=State.FAILED,
        next_attempt_at=None,
        last_error="The worker stopped while sending; the e-mail was not handed over.",
    )


def fan_out_due_deliveries(*, now: datetime | None = None) -> list[int]:
    """The sweeper: fan out recent publishes and corrections a broker outage missed.

    Issues published within DELIVERY_SWEEP_WINDOW_HOURS that have no issue deliveries
    yet are fanned out; recent corrections are fanned out again (idempotent). Returns
    every delivery id due now, including retries and rows of dead workers, for the
    caller to queue.
    """
    now = now or timezone.now()
    since = now - timedelta(hours=_setting("DELIVERY_SWEEP_WINDOW_HOURS", 72))
    never_fanned = (
        Issue.objects.filter(state=IssueState.PUBLISHED, published_at__gte=since)
        .exclude(deliveries__kind=Kind.ISSUE)
        .values_list("pk", flat=True)
    )
    for issue_id in list(never_fanned):
        fan_out_issue_deliveries(issue_id=issue_id, kind=Kind.ISSUE)
    corrected = (
        ReviewEvent.objects.filter(
            action="correct", created_at__gte=since, issue__state=IssueState.PUBLISHED
        )
        .values_list("issue_id", flat=True)
        .distinct()
    )
    for issue_id in list(corrected):
        fan_out_issue_deliveries(issue_id=issue_id, kind=Kind.ERRATUM)
    fail_abandoned_deliveries(now=now)
    return due_delivery_ids(now=now)


# --- Admin: report and resend -------------------------------------------------------------


def delivery_counts(*, issue: Issue) -> dict[str, dict[str, int]]:
    """Deliveries of the issue by kind, then state (every state present, zeros too)."""
    counts: dict[str, dict[str, int]] = {k: dict.fromkeys(State.values, 0) for k in Kind.values}
    rows = issue.deliveries.order_by().values("kind", "state").annotate(n=Count("pk"))
    for row in rows:
        counts.setdefault(row["kind"], dict.fromkeys(State.values, 0))[row["state"]] = row["n"]
    return counts


REPORT_FAILED_LIMIT = 500


def delivery_report(*, issue: Issue) -> dict:
    """Counts by kind and state, and the failed rows with their errors (the first 500)."""
    counts = delivery_counts(issue=issue)
    failed = (
        issue.deliveries.filter(state=State.FAILED)
        .select_related("subscription__subscriber__organisation")
        .order_by("kind", "subscription__subscriber__email")
    )
    return {
        "counts": counts,
        "totals": {kind: sum(by_state.values()) for kind, by_state in counts.items()},
        "failed": list(failed[:REPORT_FAILED_LIMIT]),
        "failed_total": sum(by_state[State.FAILED] for by_state in counts.values()),
    }


def requeue_failed_deliveries(
    *, issue: Issue, user, delivery_ids: Iterable[int] | None = None
) -> list[int]:
    """Send failed deliveries of ``issue`` again (all, or only ``delivery_ids``).

    The rows start afresh (attempts 0) and are queued after commit. A row whose
    subscription has ended in the meantime is cancelled when its turn comes.
    """
    check_may_manage_deliveries(user)
    with transaction.atomic():
        rows = Delivery.objects.select_for_update().filter(issue=issue, state=State.FAILED)
        if delivery_ids is not None:
            rows = rows.filter(pk__in=list(delivery_ids))
        ids = list(rows.values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=ids, state=State.FAILED).update(
            state=State.PENDING, attempts=0, next_attempt_at=None, sent_at=None,
            last_error="",
        )
        logger.info("User %s re-queued %s failed deliveries of issue %s", user and user.pk, len(ids), issue.pk)
        queue_delivery_batches(ids)
    return ids


# --- Composing the e-mail -----------------------------------------------------------------


def mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def delivery_message_id(delivery: Delivery) -> str:
    """Deterministic per row and notice version (an erratum row re-armed is a new one)."""
    version = f"{int(delivery.created_at.timestamp() * 1_000_000):x}"
    return f"<delivery-{delivery.pk}.{delivery.kind}.{version}@{mail_domain()}>"


def _issue_sections(
    issue: Issue, subscription: Subscription, *, with_bodies: bool, render_cache: dict | None
) -> list[dict]:
    """The issue's sections for the e-mail (only the subscribed ones, if any chosen).

    Built once per issue and batch (``render_cache``) and never changed afterwards.
    """
    key = (issue.pk, with_bodies)
    sections = render_cache.get(key) if render_cache is not None else None
    if sections is None:
        sections = _all_issue_sections(issue, with_bodies=with_bodies)
        if render_cache is not None:
            render_cache[key] = sections
    chosen = set(subscription.sections.values_list("pk", flat=True))
    return [s for s in sections if s["id"] in chosen] if chosen else sections


def _all_issue_sections(issue: Issue, *, with_bodies: bool) -> list[dict]:
    if with_bodies:
        from editorial.typesetting.render_data import issue_render_data

        sections = issue_render_data(issue)["sections"]
    else:
        from editorial.selectors.public import issue_table_of_contents

        sections = [
            {
                "id": section.pk,
                "name": section.name,
                "articles": [
                    {"id": a.pk, "title": a.title, "summary": a.summary, "source": a.source}
                    for a in articles
                ],
            }
            for section, articles in issue_table_of_contents(issue)
        ]
    from editorial.typesetting.render_data import blocks_text

    for section in sections:
        for article in section["articles"]:
            article["url"] = absolute_url(
                reverse(
                    "editorial:article",
                    kwargs={
                        "bulletin_slug": issue.bulletin.slug,
                        "number": issue.number,
                        "article_id": article["id"],
                    },
                )
            )
            if with_bodies:
                article["text"] = blocks_text(article["blocks"])
                _email_charts(article["blocks"])
    return sections


def _email_charts(blocks: list[dict]) -> None:
    """Give each indicator chart of an article a PNG for the e-mail (``email_chart``:
    its Content-ID and bytes): Gmail and Outlook show no SVG, data URIs least of all.
    The PNG is drawn from the chart's own SVG, so it is the chart the PDF and pages show."""
    import hashlib

    from editorial.typesetting.charts import chart_png
    from editorial.typesetting.render_data import data_uri_bytes

    for block in blocks:
        if block.get("type") != "figure" or not block.get("chart") or not block.get("image_data_uri"):
            continue
        mime, svg = data_uri_bytes(block["image_data_uri"])
        if mime != "image/svg+xml":
            continue
        png = chart_png(svg.decode("utf-8"))
        digest = hashlib.sha256(png).hexdigest()[:20]
        block["email_chart"] = {"cid": f"chart-{digest}@{mail_domain()}", "png": png}


def _related_images(sections: list[dict]) -> list[tuple[str, bytes, str]]:
    """The chart PNGs the chosen sections show, once each: (Content-ID, bytes, type)."""
    images: dict[str, bytes] = {}
    for section in sections:
        for article in section["articles"]:
            for block in article.get("blocks", ()):
                chart = block.get("email_chart")
                if chart:
                    images.setdefault(chart["cid"], chart["png"])
    return [(cid, png, "image/png") for cid, png in images.items()]


class RelatedImagesMessage(EmailMultiAlternatives):
    """An e-mail whose HTML alternative travels with its images as multipart/related
    (RFC 2387): multipart/alternative [text/plain, multipart/related [text/html, image/png…]],
    the HTML pointing at each image by ``cid:``."""

    def __init__(self, *args, related: list[tuple[str, bytes, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.related = list(related or ())

    def _create_mime_attachment(self, content, mimetype):
        part = super()._create_mime_attachment(content, mimetype)
        if mimetype != "text/html" or not self.related or not getattr(self, "_in_alternatives", False):
            return part
        from email.mime.image import MIMEImage

        from django.core.mail.message import SafeMIMEMultipart

        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
        related.set_param("type", "text/html")
        related.attach(part)
        for cid, content_bytes, image_type in self.related:
            image = MIMEImage(content_bytes, _subtype=image_type.split("/", 1)[1])
            image["Content-ID"] = f"<{cid}>"
            image.add_header("Content-Disposition", "inline", filename=f"{cid.split('@', 1)[0]}.png")
            related.attach(image)
        return related

    def _create_alternatives(self, msg):
        self._in_alternatives = True
        try:
            return super()._create_alternatives(msg)
        finally:
            self._in_alternatives = False


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def metrics_workbook(*, issue: Issue, subscription: Subscription | None = None) -> bytes:
    """The issue's confirmed key figures as an XLSX workbook (editorial.services.exporting),
    only those of the subscribed sections when some are chosen. Headers are in the
    active language."""
    from editorial.services import exporting

    metrics = exporting.issue_metrics(issue)
    chosen = set(subscription.sections.values_list("pk", flat=True)) if subscription else set()
    if chosen:
        metrics = metrics.filter(article__section_id__in=chosen)
    spool = exporting.metrics_xlsx_file(metrics, sheet_title=_("Key figures"))
    with spool:
        return spool.read()


def issue_file_stem(issue: Issue) -> str:
    return f"{issue.bulletin.slug}-{issue.volume or issue.issue_date.year}-{issue.number}"


def _attachment_wait_until(delivery: Delivery, now: datetime) -> datetime | None:
    """When a PDF-attachment delivery should look again for its PDF; None: send now."""
    if Format.PDF_ATTACHMENT not in subscription_formats(delivery.subscription):
        return None
    if delivery.kind != Kind.ISSUE or current_renditions(delivery.issue).get(Rendition.Kind.PDF):
        return None
    in_progress = Rendition.objects.filter(
        issue=delivery.issue, kind=Rendition.Kind.PDF, is_current=True,
        state__in=(Rendition.State.QUEUED, Rendition.State.RUNNING),
    ).exists()
    waited = now - (delivery.issue.published_at or delivery.created_at)
    limit = timedelta(seconds=_setting("DELIVERY_ATTACHMENT_WAIT_SECONDS", 3600))
    if not in_progress or waited >= limit:
        return None  # no PDF coming: send the link instead
    return now + min(timedelta(seconds=60), limit - waited)


def build_delivery_message(
    delivery: Delivery, *, render_cache: dict | None = None
) -> EmailMultiAlternatives:
    """The e-mail of one delivery, in the subscriber's language: text, HTML, attachments.

    No remote images and no tracking: indicator charts travel inside the message as PNG
    parts (``cid:``), every link is a plain link to the site, and downloads are signed
    links that expire.
    """
    subscription = delivery.subscription
    subscriber = subscription.subscriber
    issue = delivery.issue
    bulletin = issue.bulletin
    formats = subscription_formats(subscription)
    pdf = current_renditions(issue).get(Rendition.Kind.PDF)
    attachments: list[tuple[str, bytes, str]] = []
    erratum = delivery.kind == Kind.ERRATUM
    with translation.override(subscriber.language):
        links = {"page": page_url(subscriber), "unsubscribe": unsubscribe_url(subscription)}
        links["issue"] = absolute_url(issue.get_absolute_url())
        wants_pdf_attachment = Format.PDF_ATTACHMENT in formats and not erratum
        if wants_pdf_attachment and pdf is not None:
            with pdf.file.open("rb") as handle:
                attachments.append((f"{issue_file_stem(issue)}.pdf", handle.read(), "application/pdf"))
        if Format.PDF_LINK in formats or erratum or (wants_pdf_attachment and pdf is None):
            links["pdf"] = download_url(subscription=subscription, issue=issue, kind="pdf")
        if Format.METRICS in formats and not erratum:
            links["metrics"] = download_url(subscription=subscription, issue=issue, kind="metrics")
            if Metric.objects.filter(issue=issue, status=Metric.Status.CONFIRMED).exists():
                attachments.append(
                    (
                        f"{issue_file_stem(issue)}-metrics.xlsx",
                        metrics_workbook(issue=issue, subscription=subscription),
                        XLSX_MIME,
                    )
                )
        with_bodies = Format.HTML in formats and not erratum
        sections = [] if erratum else _issue_sections(
            issue, subscription, with_bodies=with_bodies, render_cache=render_cache
        )
        context = {
            "subscriber": subscriber,
            "subscription": subscription,
            "issue": issue,
            "bulletin": bulletin,
            "sections": sections,
            "with_bodies": with_bodies,
            "filtered": subscription.sections.exists(),
            "links": links,
            "attachment_names": [name for name, _content, _mime in attachments],
            "link_days": link_max_age().days,
            "language": subscriber.language,
            "html_lang": "zh-CN" if subscriber.language.startswith("zh") else subscriber.language,
        }
        template = "email/erratum" if erratum else "email/issue"
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
        if erratum:
            subject = _("Correction: %(title)s") % {"title": issue.display_title}
        else:
            subject = issue.display_title
        subject = " ".join(subject.split())  # no leading space, no line breaks in a header
    from_email = formataddr((bulletin.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
    headers = {
        "Message-ID": delivery_message_id(delivery),
        "List-Id": f"<{bulletin.slug}.{mail_domain()}>",
        "List-Unsubscribe": f"<{links['unsubscribe']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
        "Precedence": "bulk",
        "Content-Language": subscriber.language,
    }
    message = RelatedImagesMessage(
        subject, text, from_email, [subscriber.email], headers=headers,
        related=_related_images(sections) if with_bodies else None,
    )
    message.attach_alternative(html, "text/html")
    for name, content, mime in attachments:
        message.attach(name, content, mime)
    return message


# --- Transports: hand a message over after the row says "sent" ----------------------------


class Superseded(Exception):
    """Another worker took the row over; nothing was handed over by this one."""


class DeliveryFailure(Exception):
    def __init__(self, message: str, *, permanent: bool, committed: bool):
        super().__init__(message)
        self.permanent = permanent
        self.committed = committed  # the row had already been marked sent


class DeliveryUncertain(Exception):
    """The message was handed over but no reply came; it is left as sent."""


def smtp_code_is_permanent(code: int | None) -> bool:
    return code is not None and 500 <= code < 600


def describe_smtp_error(exc: BaseException) -> tuple[str, bool]:
    """A short description of a sending error and whether it is permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _resp in exc.recipients.values()]
        text = "; ".join(
            f"{addr}: {code} {resp.decode(errors='replace') if isinstance(resp, bytes) else resp}"
            for addr, (code, resp) in exc.recipients.items()
        )
        return text, bool(codes) and all(smtp_code_is_permanent(c) for c in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {text}", smtp_code_is_permanent(exc.smtp_code)
    return f"{type(exc).__name__}: {exc}", False


class BackendTransport:
    """Any Django e-mail backend: commit, then ``send_messages`` (at-most-once)."""

    def __init__(self, connection):
        self.connection = connection

    def send(self, message: EmailMultiAlternatives, *, commit: Callable[[], bool]) -> None:
        if not commit():
            raise Superseded
        try:
            self.connection.send_messages([message])
        except Exception as exc:
            text, permanent = describe_smtp_error(exc)
            raise DeliveryFailure(text, permanent=permanent, committed=True) from exc

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # closing a dead connection is not worth a failed batch
            logger.debug("Closing the e-mail connection failed", exc_info=True)


_LEADING_DOT = re.compile(rb"(?m)^\.")


class TwoPhaseSMTPTransport:
    """SMTP with the commit between the message content and the dot that ends DATA."""

    def __init__(self, backend: SMTPEmailBackend):
        self.backend = backend

    def _drop(self) -> None:
        connection, self.backend.connection = self.backend.connection, None
        if connection is not None:
            try:
                connection.close()  # no QUIT: mid-DATA that would end the message
            except OSError:
                pass

    def _reply(self, code: int, response, *, expected: tuple[int, ...], committed: bool):
        if code in expected:
            return
        text = response.decode(errors="replace") if isinstance(response, bytes) else str(response)
        if code == -1 or not code:
            self._drop()
            raise DeliveryFailure(f"connection lost: {text}", permanent=False, committed=committed)
        try:
            if not committed:
                self.backend.connection.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
        raise DeliveryFailure(f"{code} {text}", permanent=smtp_code_is_permanent(code), committed=committed)

    def send(self, message: EmailMultiAlternatives, *, commit: Callable[[], bool]) -> None:
        encoding = message.encoding or settings.DEFAULT_CHARSET
        try:
            sender = sanitize_address(message.from_email, encoding)
            recipients = [sanitize_address(address, encoding) for address in message.recipients()]
            data = _LEADING_DOT.sub(b"..", message.message().as_bytes(linesep="\r\n"))
        except ValueError as exc:  # a malformed address or header: no retry will help
            raise DeliveryFailure(f"malformed message: {exc}", permanent=True, committed=False) from exc
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        try:
            self.backend.open()
        except (smtplib.SMTPException, OSError) as exc:
            # Connecting, TLS or login: the server or our settings, never this message.
            self._drop()
            self.backend._partial_connection = None
            raise DeliveryFailure(
                f"connecting: {describe_smtp_error(exc)[0]}", permanent=False, committed=False
            ) from exc
        try:
            connection = self.backend.connection
            # The dot goes out as its own tiny segment; without NODELAY, Nagle's algorithm
            # holds it for the server's delayed ACK (~40 ms per message).
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.ehlo_or_helo_if_needed()
            self._reply(*connection.mail(sender), expected=(250,), committed=False)
            for recipient in recipients:
                self._reply(*connection.rcpt(recipient), expected=(250, 251), committed=False)
            self._reply(*connection.docmd("data"), expected=(354,), committed=False)
            connection.send(data)
        except DeliveryFailure:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            text, permanent = describe_smtp_error(exc)
            raise DeliveryFailure(text, permanent=permanent, committed=False) from exc
        try:
            committed = commit()
        except BaseException:
            self._drop()  # the row stays "sending"; its lease runs out and it is sent again
            raise
        if not committed:
            self._drop()
            raise Superseded
        try:
            connection.send(b".\r\n")
            code, response = connection.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise DeliveryUncertain(f"no reply after the end of data: {exc}") from exc
        self._reply(code, response, expected=(250,), committed=True)

    def close(self) -> None:
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            self._drop()


def open_transport():
    connection = get_connection()
    if isinstance(connection, SMTPEmailBackend):
        return TwoPhaseSMTPTransport(connection)
    return BackendTransport(connection)


# --- Sending -------------------------------------------------------------------------------


def retry_delay_seconds(
    attempt: int, *, base: int, cap: int, jitter: Callable[[], float] = random.random
) -> int:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, …): exponential,
    capped, plus up to 25% jitter so a crowd of retries does not arrive at once."""
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return min(cap, round(delay * (1 + 0.25 * jitter())))


class Pacer:
    """At most ``per_minute`` hand-overs a minute from this process (0: no limit)."""

    def __init__(self, per_minute: int, *, clock=time.monotonic, sleep=time.sleep):
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


@dataclass
class BatchOutcome:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    retry_at: datetime | None = None

    def later(self, delivery_id: int, when: datetime) -> None:
        self.retry.append(delivery_id)
        self.retry_at = max(self.retry_at or when, when)

    def counts(self) -> dict[str, int]:
        return {
            name: len(getattr(self, name))
            for name in ("sent", "failed", "retry", "cancelled", "skipped")
        }


def _claim(delivery_id: int, *, now: datetime) -> int | None:
    """Take the row for sending; returns the claim's attempt number (the fencing token)."""
    lease = timedelta(seconds=_setting("DELIVERY_LEASE_SECONDS", 600))
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimable = (Q(state__in=OPEN_STATES) & due) | Q(state=State.SENDING, next_attempt_at__lte=now)
    with transaction.atomic():
        claimed = Delivery.objects.filter(
            claimable, pk=delivery_id, attempts__lt=_setting("DELIVERY_MAX_ATTEMPTS", 6)
        ).update(state=State.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + lease)
        if not claimed:
            return None
        return Delivery.objects.values_list("attempts", flat=True).get(pk=delivery_id)


def _settle(delivery_id: int, attempt: int, states: Iterable[str], **changes) -> bool:
    """Write the row only if this claim still holds it (same attempt, expected state)."""
    return bool(
        Delivery.objects.filter(pk=delivery_id, attempts=attempt, state__in=list(states)).update(
            **changes
        )
    )


def _cancel_reason(delivery: Delivery) -> str:
    if delivery.issue.state != IssueState.PUBLISHED:
        return "The issue is no longer published."
    with translation.override("en"):  # stored for the operators, like SMTP errors
        return subscription_refusal(delivery.subscription)


def deliver_one(
    delivery_id: int, *, transport, pacer: Pacer, outcome: BatchOutcome,
    render_cache: dict | None = None,
) -> None:
    """Claim, compose and hand over one delivery, recording the result on its row."""
    now = timezone.now()
    attempt = _claim(delivery_id, now=now)
    if attempt is None:
        outcome.skipped.append(delivery_id)
        return
    delivery = Delivery.objects.select_related(
        "issue__bulletin", "subscription__subscriber__organisation", "subscription__bulletin"
    ).get(pk=delivery_id)
    reason = _cancel_reason(delivery)
    if reason:
        _settle(delivery_id, attempt, [State.SENDING], state=State.CANCELLED, last_error=reason,
                next_attempt_at=None)
        outcome.cancelled.append(delivery_id)
        return
    wait_until = _attachment_wait_until(delivery, now)
    if wait_until is not None:
        # Waiting for the PDF is not an attempt: give the claim back.
        _settle(delivery_id, attempt, [State.SENDING], state=State.PENDING,
                attempts=F("attempts") - 1, next_attempt_at=wait_until,
                last_error="Waiting for the PDF rendition.")
        outcome.later(delivery_id, wait_until)
        return
    try:
        message = build_delivery_message(delivery, render_cache=render_cache)
    except Exception as exc:
        logger.exception("Could not compose delivery %s", delivery_id)
        _settle(delivery_id, attempt, [State.SENDING], state=State.FAILED, next_attempt_at=None,
                last_error=f"Could not compose the e-mail: {type(exc).__name__}: {exc}")
        outcome.failed.append(delivery_id)
        return
    message_id = message.extra_headers["Message-ID"]

    def commit() -> bool:
        return _settle(delivery_id, attempt, [State.SENDING], state=State.SENT,
                       sent_at=timezone.now(), message_id=message_id, next_attempt_at=None,
                       last_error="")

    pacer.wait()
    try:
        transport.send(message, commit=commit)
    except Superseded:
        outcome.skipped.append(delivery_id)
        return
    except DeliveryUncertain as exc:
        _settle(delivery_id, attempt, [State.SENT], last_error=f"Delivery uncertain: {exc}")
        outcome.sent.append(delivery_id)
        return
    except DeliveryFailure as failure:
        states = [State.SENT] if failure.committed else [State.SENDING]
        error = str(failure)[:2000]
        if failure.permanent or attempt >= _setting("DELIVERY_MAX_ATTEMPTS", 6):
            _settle(delivery_id, attempt, states, state=State.FAILED, sent_at=None,
                    next_attempt_at=None, last_error=error)
            outcome.failed.append(delivery_id)
            logger.warning("Delivery %s failed: %s", delivery_id, error)
            return
        delay = retry_delay_seconds(
            attempt,
            base=_setting("DELIVERY_RETRY_BASE_SECONDS", 60),
            cap=_setting("DELIVERY_RETRY_MAX_SECONDS", 6 * 3600),
        )
        retry_at = timezone.now() + timedelta(seconds=delay)
        _settle(delivery_id, attempt, states, state=State.RETRYING, sent_at=None,
                next_attempt_at=retry_at, last_error=error)
        outcome.later(delivery_id, retry_at)
        logger.info("Delivery %s will retry in %ss: %s", delivery_id, delay, error)
        return
    outcome.sent.append(delivery_id)


def send_deliveries(*, delivery_ids: Iterable[int]) -> BatchOutcome:
    """Send a batch of deliveries over one connection, paced by DELIVERY_RATE_LIMIT.

    Safe to run twice, in parallel or after a crash: rows already sent, being sent by a
    live worker, or not yet due are skipped. Must not run inside a transaction (each
    row's state commits on its own).
    """
    outcome = BatchOutcome()
    pacer = Pacer(_setting("DELIVERY_RATE_LIMIT", 600))
    transport = open_transport()
    render_cache: dict = {}
    try:
        for delivery_id in delivery_ids:
            try:
                deliver_one(
                    delivery_id, transport=transport, pacer=pacer, outcome=outcome,
                    render_cache=render_cache,
                )
            except Exception:
                # A database hiccup on one row must not strand the rest of the batch;
                # the row keeps its state and lease and the sweeper takes it again.
                logger.exception("Delivery %s stopped unexpectedly", delivery_id)
                outcome.skipped.append(delivery_id)
    finally:
        transport.close()
    return outcome
