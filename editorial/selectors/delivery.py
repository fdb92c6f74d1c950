"""Reads of subscriber deliveries: which rows are due, the counts and the report of an
issue, and the key figures workbook a delivery attaches (and its download link serves).

The writes — fan-out, sending, retries, resending — are in editorial.services.delivery.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.models import Delivery, Issue, Subscription
from editorial.selectors.metrics import issue_metrics
from editorial.tables import metric_files

State = Delivery.State
Kind = Delivery.Kind

# Rows that are waiting to be sent; anything else is finished (or being sent).
OPEN_STATES = (State.PENDING, State.RETRYING)
REPORT_FAILED_LIMIT = 500


def lease_period() -> timedelta:
    """How long a claimed row is the claiming worker's before another may take it over."""
    return timedelta(seconds=getattr(settings, "DELIVERY_LEASE_SECONDS", 600))


def max_attempts() -> int:
    return getattr(settings, "DELIVERY_MAX_ATTEMPTS", 6)


def due_delivery_ids(
    *, issue_id: int | None = None, kind: str | None = None, now: datetime | None = None,
    grace: bool = True,
) -> list[int]:
    """Rows to send now: new or retry-due, and ``sending`` rows whose lease ran out.

    With ``grace`` (the sweeper), a new row waits one lease period before it is picked
    up, since its own task is normally still in the queue.
    """
    now = now or timezone.now()
    new = Q(state=State.PENDING, next_attempt_at__isnull=True)
    if grace:
        new &= Q(created_at__lte=now - lease_period())
    due = new | Q(state__in=(State.PENDING, State.RETRYING, State.SENDING), next_attempt_at__lte=now)
    rows = Delivery.objects.filter(due, attempts__lt=max_attempts())
    if issue_id is not None:
        rows = rows.filter(issue_id=issue_id)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("pk").values_list("pk", flat=True))


def deliveries_waiting_for_pdf(*, issue_id: int):
    """The issue's deliveries put back to wait for its PDF (see services.delivery): the
    only rows that are pending with a time set; retries are ``retrying``."""
    return Delivery.objects.filter(
        issue_id=issue_id, kind=Kind.ISSUE, state=State.PENDING, next_attempt_at__isnull=False,
        attempts__lt=max_attempts(),
    )


def delivery_counts(*, issue: Issue) -> dict[str, dict[str, int]]:
    """Deliveries of the issue by kind, then state (every state present, zeros too)."""
    counts: dict[str, dict[str, int]] = {k: dict.fromkeys(State.values, 0) for k in Kind.values}
    rows = issue.deliveries.order_by().values("kind", "state").annotate(n=Count("pk"))
    for row in rows:
        counts.setdefault(row["kind"], dict.fromkeys(State.values, 0))[row["state"]] = row["n"]
    return counts


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


def metrics_workbook(*, issue: Issue, subscription: Subscription | None = None) -> bytes:
    """The issue's confirmed key figures as an XLSX workbook (editorial.tables.metric_files),
    only those of the subscribed sections when some are chosen. Headers are in the
    active language."""
    metrics = issue_metrics(issue)
    chosen = set(subscription.sections.values_list("pk", flat=True)) if subscription else set()
    if chosen:
        metrics = metrics.filter(article__section_id__in=chosen)
    spool = metric_files.metrics_xlsx_file(metrics, sheet_title=_("Key figures"))
    with spool:
        return spool.read()
