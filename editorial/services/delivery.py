"""Deliveries to subscribers: fan-out, exactly-once sending, retries, resending.

Fan-out
    ``fan_out_issue_deliveries`` creates one Delivery row per active subscription (one
    per subscription, issue and kind — the database's unique constraint, so running it
    twice creates nothing new). A publish queues it after commit; a correction queues an
    erratum notice to those who received the issue. The fan-out task queues the send
    batches of the rows it returns once they are committed (``queue_delivery_batches``).
    ``fan_out_due_deliveries`` (the sweeper) repairs what a broker outage missed.

Sending exactly once
    Each row is *claimed* with a conditional UPDATE (pending/retrying, or a ``sending``
    row whose lease ran out → sending, ``attempts + 1``, lease until now + LEASE). The
    new ``attempts`` value is the claim's fencing token: every later write to the row
    says ``WHERE state = … AND attempts = <token>``, so a worker whose lease was taken
    over cannot write anything.

    The row is marked ``sent`` *before the message is handed over*, and only then is it
    handed over (editorial.mail.transport: over SMTP the commit sits between the content
    and the ``.`` that ends DATA), so:

    - a row found in ``sending`` was never handed over (the worker died or lost its
      lease before committing) and is safely sent again once its lease expires;
    - a worker that died after the commit and before the dot loses that one e-mail
      (at-most-once; the window is one ``send()`` of three bytes);
    - if the server rejects the message after the dot, the row goes back from ``sent``
      to retrying/failed; if the connection drops after the dot with no reply, the row
      stays ``sent`` with a note in ``last_error`` (at-most-once again).

    The message itself is composed by editorial.mail.compose.

Waiting for the PDF
    A subscription that wants the PDF attached, for an issue whose first PDF is still
    being rendered, gives its claim back (not counted as an attempt) and waits. Storing
    the PDF releases the waiting rows of the issue (``release_deliveries_awaiting_pdf``,
    called by the rendering service after the file is swapped in); a slow look every
    ATTACHMENT_RECHECK is the safety net for a lost release. After
    DELIVERY_ATTACHMENT_WAIT_SECONDS without a PDF the e-mail goes with a link instead.

Retries
    SMTP 5xx replies (bad address, refused content) fail the row at once; 4xx replies,
    refused connections and timeouts retry after ``retry_delay_seconds`` (exponential,
    capped, with jitter) until DELIVERY_MAX_ATTEMPTS. The send task re-queues the rows
    it must retry with a countdown; the sweeper picks up anything a lost task dropped.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from editorial.mail.compose import build_delivery_message
from editorial.mail.transport import DeliveryFailure, DeliveryUncertain, Superseded, open_transport
from editorial.models import Delivery, Issue, Rendition, ReviewEvent, Subscription
from editorial.selectors.delivery import (
    OPEN_STATES,
    deliveries_waiting_for_pdf,
    due_delivery_ids,
    lease_period,
    max_attempts,
)
from editorial.selectors.renditions import current_renditions
from editorial.selectors.subscriptions import (
    active_subscriptions,
    subscription_formats,
    subscription_refusal,
)
from editorial.services.errors import ServiceError
from editorial.services.permissions import require_permission
from editorial.services.queueing import task_named
from editorial.workflow import IssueState

logger = logging.getLogger(__name__)

State = Delivery.State
Kind = Delivery.Kind
Format = Subscription.Format

# How often a delivery waiting for its PDF looks again by itself; storing the PDF
# releases it at once, so this only matters when that release was lost.
ATTACHMENT_RECHECK = timedelta(minutes=10)


def _setting(name: str, default: int) -> int:
    return getattr(settings, name, default)


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


def fail_abandoned_deliveries(*, now: datetime | None = None) -> int:
    """Rows left in ``sending`` by a dead worker on their last allowed attempt."""
    now = now or timezone.now()
    return Delivery.objects.filter(
        state=State.SENDING,
        next_attempt_at__lte=now,
        attempts__gte=max_attempts(),
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


# --- Resending ------------------------------------------------------------------------------


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


# --- Waiting for the PDF ------------------------------------------------------------------


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
    return now + min(ATTACHMENT_RECHECK, limit - waited)


def _wait_for_pdf(delivery: Delivery, attempt: int, until: datetime) -> datetime:
    """Give the claim back (waiting is not an attempt) until ``until``; returns when the
    row is due again.

    The PDF may have been stored while this worker looked for it, after its release
    found the row claimed and passed it by: then the row is due at once.
    """
    _settle(delivery.pk, attempt, [State.SENDING], state=State.PENDING,
            attempts=F("attempts") - 1, next_attempt_at=until,
            last_error="Waiting for the PDF rendition.")
    if current_renditions(delivery.issue).get(Rendition.Kind.PDF) is None:
        return until
    now = timezone.now()
    deliveries_waiting_for_pdf(issue_id=delivery.issue_id).filter(pk=delivery.pk).update(
        next_attempt_at=now
    )
    return now


def release_deliveries_awaiting_pdf(*, rendition_id: int) -> list[int]:
    """The rendering service stored a PDF: send the deliveries that waited for it now.

    Called after the rendition's new file is committed. The rows are made due and
    queued; sending re-reads everything, so a release that finds no PDF after all only
    puts the row back to wait.
    """
    rendition = Rendition.objects.filter(pk=rendition_id).first()
    if rendition is None or rendition.kind != Rendition.Kind.PDF or not rendition.file:
        return []
    with transaction.atomic():
        waiting = deliveries_waiting_for_pdf(issue_id=rendition.issue_id)
        ids = list(waiting.values_list("pk", flat=True))
        if ids:
            waiting.filter(pk__in=ids).update(next_attempt_at=timezone.now())
            queue_delivery_batches(ids)
    if ids:
        logger.info("PDF of issue %s stored: %s waiting deliveries released",
                    rendition.issue_id, len(ids))
    return ids


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
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimable = (Q(state__in=OPEN_STATES) & due) | Q(state=State.SENDING, next_attempt_at__lte=now)
    with transaction.atomic():
        claimed = Delivery.objects.filter(
            claimable, pk=delivery_id, attempts__lt=max_attempts()
        ).update(state=State.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + lease_period())
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
        outcome.later(delivery_id, _wait_for_pdf(delivery, attempt, wait_until))
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
        if failure.permanent or attempt >= max_attempts():
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
