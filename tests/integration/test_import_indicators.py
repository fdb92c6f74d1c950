"""New indicators of an import are made in bulk, with history, slugs that never clash."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from editorial.models import Indicator
from editorial.services import importing

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_new_indicators_get_free_slugs_and_history_rows():
    Indicator.objects.create(name="旧的软件业务收入", slug="软件业务收入", unit="亿元")
    Indicator.objects.create(name="又一个", slug="软件业务收入-2", unit="亿元")
    existing = Indicator.objects.create(name="移动互联网流量", slug="移动互联网流量", unit="亿GB")
    found = importing._indicators_for(
        {"软件业务收入": "亿元", "移动互联网流量": "亿GB", "5G 用户数": "万户", "5G用户数": "万户"}
    )
    assert found["移动互联网流量"].pk == existing.pk  # the existing one, not a copy
    created = found["软件业务收入"]
    assert created.slug == "软件业务收入-3" and not created.confirmed
    assert found["5G用户数"].name == "5G 用户数"  # one indicator for both spellings
    assert Indicator.objects.filter(name__in=["5G 用户数", "5G用户数"]).count() == 1
    assert Indicator.history.filter(id=created.pk, history_type="+").count() == 1


def test_queries_do_not_grow_with_the_number_of_new_indicators():
    def queries_for(count: int, offset: int) -> int:
        names = {f"指标{offset + n}": "亿元" for n in range(count)}
        with CaptureQueriesContext(connection) as captured:
            importing._indicators_for(names)
        return len(captured)

    assert queries_for(5, 0) == queries_for(200, 1000)
