"""Key figures and their indicators: changing values, confirming and dismissing.

A key figure's value changes only while its issue is open (assembling or in review). Once
the issue is approved or published, a decided figure (confirmed or dismissed) stays as it
is; only a suggestion still open may be confirmed or dismissed.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from editorial.models import Indicator, Metric
from editorial.services.audit import diff, field_values, record_action, save_recorded
from editorial.services.errors import ServiceError
from editorial.services.permissions import require_permission
from editorial.workflow import ISSUE_EDITABLE_STATES

METRIC_FIELDS = ("indicator", "issue", "article", "sentence", "period_label", "period_start",
                 "period_end", "value", "unit", "yoy_percent")


@transaction.atomic
def set_metric_status(*, metric: Metric, status: str, user) -> Metric:
    if status not in Metric.Status.values:
        raise ServiceError(f"Unknown status {status!r}")
    locked = Metric.objects.select_for_update().select_related("issue", "indicator").get(
        pk=metric.pk
    )
    require_permission(user, "metric.set_status", issue_state=locked.issue.state)
    if (
        locked.issue.state not in ISSUE_EDITABLE_STATES
        and locked.status != Metric.Status.SUGGESTED
        and locked.status != status
    ):
        raise ServiceError(
            _("The issue is approved or published: a decided key figure stays as it is."),
            code="metric-decided",
        )
    from_status = locked.status
    locked.status = status
    locked._change_reason = getattr(metric, "_change_reason", None) or "status"
    locked.save(update_fields=["status"])
    if status == Metric.Status.CONFIRMED and not locked.indicator.confirmed:
        locked.indicator.confirmed = True
        locked.indicator.save(update_fields=["confirmed"])
    record_action(
        user=user, action="metric.set_status", obj=locked, issue=locked.issue,
        changes={"status": [from_status, status]},
    )
    metric.status = status
    metric.indicator = locked.indicator
    return locked


@transaction.atomic
def save_metric(*, metric: Metric, user) -> Metric:
    """Save a key figure's values (``metric`` carries the new ones); never its status."""
    creating = metric.pk is None
    if creating:
        metric.status = Metric.Status.SUGGESTED
        before = {}
    else:
        current = Metric.objects.select_for_update().select_related("issue").get(pk=metric.pk)
        require_permission(user, "metric.edit", issue_state=current.issue.state)
        before = field_values(current, [*METRIC_FIELDS, "status"])
        metric.status = current.status  # the status changes through set_metric_status only
    require_permission(user, "metric.edit", issue_state=metric.issue.state)
    metric.full_clean()
    metric.save()
    changes = diff(before, field_values(metric, [*METRIC_FIELDS, "status"]))
    if creating or changes:
        record_action(
            user=user, action="metric.create" if creating else "metric.edit", obj=metric,
            issue=metric.issue, changes=changes,
        )
    return metric


@transaction.atomic
def save_indicator(*, indicator: Indicator, user) -> Indicator:
    require_permission(user, "indicator.edit")
    return save_recorded(indicator, user=user, action_prefix="indicator")
