"""The key-figure list at 1400 px: compact rows, values written for their unit, every
column visible beside the filter panel, filters by indicator, period and status."""

from __future__ import annotations

from decimal import Decimal

import pytest

from editorial.models import Metric
from tests.e2e.conftest import admin_login
from tests.factories import ArticleFactory, IndicatorFactory, IssueFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG_SENTENCE = (
    "据工业和信息化部运行监测协调局统计，1—11月我国软件和信息技术服务业完成软件业务收入"
    "65360亿元，同比增长13.3%，增速较1—10月提高0.3个百分点，利润总额同比增长9.8%。"
)


def make_figures():
    issue = IssueFactory(number=1148)  # a long-running bulletin: four digits
    article = ArticleFactory(issue=issue, title="软件和信息技术服务业运行情况：收入与利润双增长")
    revenue = IndicatorFactory(name="软件业务收入", unit="亿元")
    share = IndicatorFactory(name="5G用户渗透率", unit="%")
    users = IndicatorFactory(name="移动电话用户数", unit="万户")
    rows = []
    for n in range(12):
        rows.append(Metric(indicator=revenue, issue=issue, article=article, sentence=LONG_SENTENCE,
                           period_label=f"1—{n + 1}月", value=Decimal("65360") + n,
                           unit="亿元", yoy_percent=Decimal("13.30")))
        rows.append(Metric(indicator=share, issue=issue, article=article, sentence="渗透率为71.8%。",
                           period_label=f"{n + 1}月", value=Decimal("71.8000"), unit="%",
                           status=Metric.Status.CONFIRMED))
        rows.append(Metric(indicator=users, issue=issue, article=article, sentence="用户达到。",
                           period_label=f"{n + 1}月末", value=Decimal("171234.5000"), unit="万户",
                           yoy_percent=Decimal("-0.50"), status=Metric.Status.DISMISSED))
    Metric.objects.bulk_create(rows)
    return issue


def test_metrics_list_fits_1400_px_with_formatted_values(browser, live_server, screenshot):
    make_figures()
    UserFactory(username="主编", password="pw-editor-1", is_superuser=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        admin_login(page, live_server.url, "主编", "pw-editor-1")
        page.goto(f"{live_server.url}/admin/editorial/metric/")
        screenshot(page, "metrics-list-1400")
        values = page.locator("td.field-value_as_written").all_inner_texts()
        assert "71.8%" in values and "171,234.5万户" in values, values[:6]
        assert not any(v.endswith("0000") or ".0000" in v for v in values), values[:6]
        assert any("65,360" in v for v in values), values[:6]

        # Every column ends left of the filter panel, none is cut off.
        table = page.locator("#result_list").bounding_box()
        panel = page.locator("#changelist-filter").bounding_box()
        assert table["x"] + table["width"] <= panel["x"] + 1, (table, panel)
        scroller = page.evaluate(
            "() => { const t = document.querySelector('#result_list');"
            " const p = t.parentElement; return [p.scrollWidth, p.clientWidth]; }"
        )
        assert scroller[0] <= scroller[1] + 1, scroller
        heights = page.evaluate(
            "() => [...document.querySelectorAll('#result_list tbody tr')]"
            ".map(r => r.getBoundingClientRect().height)"
        )
        assert max(heights) < 70, heights[:6]

        filters = page.locator("#changelist-filter").inner_text()
        for title in ("指标", "期", "状态"):
            assert title in filters, filters
        page.locator("#changelist-filter a", has_text="已确认").first.click()
        page.wait_for_load_state()
        statuses = page.locator("td.field-status").all_inner_texts()
        assert statuses and set(statuses) == {"已确认"}, statuses
        screenshot(page, "metrics-list-1400-confirmed")
    finally:
        context.close()


def test_metrics_import_upload_preview_confirm_in_the_browser(
    browser, live_server, screenshot, tmp_path
):
    issue = IssueFactory()
    IndicatorFactory(name="软件业务收入", unit="亿元")
    IndicatorFactory(name="5G用户渗透率", unit="%")
    UserFactory(username="编辑甲", password="pw-editor-2", is_superuser=True)
    lines = ["indicator,bulletin,issue,period,value,yoy_percent,sentence"]
    for n in range(1, 13):
        lines.append(f"软件业务收入,{issue.bulletin.slug},{issue.number},1—{n}月,{65000 + n},13.3,"
                     f"1—{n}月软件业务收入同比增长13.3%。")
        lines.append(f"5G用户渗透率,{issue.bulletin.slug},{issue.number},{n}月,71.8,,")
    path = tmp_path / "关键数据.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        admin_login(page, live_server.url, "编辑甲", "pw-editor-2")
        page.goto(f"{live_server.url}/admin/editorial/metric/")
        page.click("a.import_link")
        page.set_input_files("input[name=import_file]", str(path))
        page.click("#table-import-upload input[type=submit]")
        page.wait_for_selector("#table-import-confirm")
        assert "24" in page.inner_text("#table-import-counts")
        assert page.locator("#table-import-rows tbody tr").count() == 24
        screenshot(page, "metrics-import-preview")
        assert Metric.objects.count() == 0
        page.click("#table-import-confirm input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/editorial/metric/")
        assert Metric.objects.filter(issue=issue).count() == 24
        assert "71.8%" in page.locator("td.field-value_as_written").all_inner_texts()
        screenshot(page, "metrics-import-done")
    finally:
        context.close()
