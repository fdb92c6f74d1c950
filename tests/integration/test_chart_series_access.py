"""A chart in an issue's PDF or HTML draws only values that every reader of the issue may read."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from editorial.models import AccessLevel, Metric
from editorial.selectors.render_data import indicator_series
from editorial.workflow import IssueState
from tests.factories import BulletinFactory, IndicatorFactory, IssueFactory, MetricFactory

pytestmark = pytest.mark.django_db


def _published(bulletin, day: int, **kwargs):
    return IssueFactory(
        bulletin=bulletin,
        issue_date=datetime.date(2026, 11, day),
        state=IssueState.PUBLISHED,
        published_at=timezone.now(),
        **kwargs,
    )


def _values(series, indicator) -> set[Decimal]:
    return {Decimal(m.value) for m in series.get(indicator.pk, [])}


def test_a_public_issue_chart_never_draws_a_subscriber_only_value():
    indicator = IndicatorFactory()
    open_bulletin = BulletinFactory()
    paid_bulletin = BulletinFactory(access_level=AccessLevel.SUBSCRIBERS)
    confirmed = {"status": Metric.Status.CONFIRMED, "indicator": indicator}
    paid_earlier = _published(paid_bulletin, 2)
    MetricFactory(issue=paid_earlier, value="777.7", **confirmed)
    open_override = _published(open_bulletin, 3, access_level=AccessLevel.SUBSCRIBERS)
    MetricFactory(issue=open_override, value="555.5", **confirmed)
    open_earlier = _published(open_bulletin, 4)
    MetricFactory(issue=open_earlier, value="100.1", **confirmed)
    open_now = _published(open_bulletin, 20)
    MetricFactory(issue=open_now, value="120.2", **confirmed)
    paid_now = _published(paid_bulletin, 21)
    MetricFactory(issue=paid_now, value="130.3", **confirmed)

    public_chart = _values(indicator_series([indicator.pk], issue=open_now), indicator)
    assert public_chart == {Decimal("100.1"), Decimal("120.2")}

    # Its readers subscribe to the paid bulletin: its own issues and public ones count,
    # another bulletin's subscriber-only issue does not.
    paid_chart = _values(indicator_series([indicator.pk], issue=paid_now), indicator)
    assert paid_chart == {Decimal("777.7"), Decimal("100.1"), Decimal("120.2"), Decimal("130.3")}
