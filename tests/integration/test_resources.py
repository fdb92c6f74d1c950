"""Table imports, named by the resource that exports the table: natural keys,
all-or-nothing, permissions, encodings, sanitising, the admin's preview and confirm steps,
exports, and concurrent imports."""

from __future__ import annotations

import csv
import io
import threading
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from editorial.models import Article, Indicator, Metric, Organisation, Subscriber
from editorial.services.errors import ImportRefused, PermissionRefused
from editorial.tables import service
from editorial.tables.resources import (
    ArticleResource,
    IndicatorResource,
    MetricResource,
    SubscriberResource,
)
from editorial.tables.service import TableImportRefused, problems_csv
from editorial.workflow import ArticleState, IssueState
from tests.factories import ArticleFactory, IndicatorFactory, IssueFactory, UserFactory

pytestmark = pytest.mark.django_db


def import_table(*, resource_class, **kwargs):
    """The bulk import service, for the table ``resource_class`` exports."""
    return service.import_table(table=resource_class._meta.model._meta.model_name, **kwargs)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def table(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


METRIC_HEADER = ["indicator", "bulletin", "issue", "period", "period_start", "period_end",
                 "value", "unit", "yoy_percent", "sentence"]


def metric_row(indicator, issue, period, value="65360", **extra):
    row = {
        "indicator": indicator, "bulletin": issue.bulletin.slug, "issue": issue.number,
        "period": period, "period_start": "", "period_end": "", "value": value, "unit": "",
        "yoy_percent": "", "sentence": "",
    }
    row.update(extra)
    return [row[c] for c in METRIC_HEADER]


# --- Natural keys -----------------------------------------------------------------------


def test_indicators_import_in_gb18030_and_update_by_name(editor):
    data = table(
        [["name", "unit", "frequency", "confirmed"],
         ["软件业务收入", "亿元", "monthly", "是"],
         ["移动互联网流量", "亿GB", "Yearly", "0"]],
        encoding="gb18030",
    )
    report = import_table(resource_class=IndicatorResource, data=data, user=editor)
    assert (report.new, report.updated) == (2, 0)
    traffic = Indicator.objects.get(name="移动互联网流量")
    assert traffic.slug  # made from the name
    assert (traffic.frequency, traffic.confirmed) == ("yearly", False)

    again = table([["name", "unit"], ["移动互联网流量", "万GB"], ["软件业务收入", "亿元"]])
    report = import_table(resource_class=IndicatorResource, data=again, user=editor)
    assert (report.new, report.updated, report.skipped) == (0, 1, 1)
    assert Indicator.objects.count() == 2
    traffic.refresh_from_db()
    assert traffic.unit == "万GB" and traffic.frequency == "yearly"  # untouched column kept
    assert traffic.history.first().history_user == editor


def test_metrics_update_by_indicator_issue_and_period(editor, issue):
    revenue = IndicatorFactory(name="软件业务收入", unit="亿元")
    rows = [METRIC_HEADER, metric_row("软件业务收入", issue, "1—11月", "65,360", yoy_percent="13.3%"),
            metric_row("软件业务收入", issue, "1—10月", "58000")]
    import_table(resource_class=MetricResource, data=table(rows), user=editor)
    metric = Metric.objects.get(indicator=revenue, issue=issue, period_label="1—11月")
    assert metric.value == Decimal("65360") and metric.yoy_percent == Decimal("13.3")
    assert metric.unit == "亿元"  # the indicator's unit when the cell is empty

    rows[1] = metric_row("软件业务收入", issue, "1—11月", "65361")
    report = import_table(resource_class=MetricResource, data=table(rows), user=editor)
    assert (report.new, report.updated, report.skipped) == (0, 1, 1)
    assert Metric.objects.count() == 2
    metric.refresh_from_db()
    assert metric.value == Decimal("65361")


def test_xlsx_upload_with_typed_cells(editor, issue):
    IndicatorFactory(name="软件业务收入")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(METRIC_HEADER)
    sheet.append(["软件业务收入", issue.bulletin.slug, float(issue.number), "1—11月", None, None,
                  65360.5, "亿元", -3.2, "句子"])
    sheet.append([None] * len(METRIC_HEADER))  # trailing empty row Excel leaves behind
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = import_table(
        resource_class=MetricResource, data=buffer.getvalue(), file_name="m.xlsx", user=editor
    )
    assert report.new == 1
    assert Metric.objects.get().yoy_percent == Decimal("-3.2")


# --- Bad input saves nothing --------------------------------------------------------------


def test_half_invalid_file_saves_nothing_and_reports_every_bad_row(editor, issue):
    IndicatorFactory(name="软件业务收入")
    published = IssueFactory(bulletin=issue.bulletin, state=IssueState.PUBLISHED,
                             published_at="2020-12-01T00:00:00Z")
    rows = [METRIC_HEADER]
    for n in range(1, 11):
        rows.append(metric_row("软件业务收入", issue, f"{n}月", str(n * 100)))
    rows[2] = metric_row("不存在的指标", issue, "2月")
    rows[4] = metric_row("软件业务收入", issue, "4月", "约六万")
    rows[6] = metric_row("软件业务收入", issue, "6月", period_start="十二月")
    rows[8] = metric_row("软件业务收入", published, "8月")
    rows[10] = metric_row("软件业务收入", issue, "10月", value="")

    with pytest.raises(TableImportRefused) as refused:
        import_table(resource_class=MetricResource, data=table(rows), user=editor)

    assert Metric.objects.count() == 0
    problems = refused.value.problems
    assert sorted({p.row for p in problems}) == [2, 4, 6, 8, 10]
    by_row = {p.row: p for p in problems}
    assert "不存在的指标" in by_row[2].message and by_row[2].column == "indicator"
    assert "not a number" in by_row[4].message and by_row[4].column == "value"
    assert "2020-12-31" in by_row[6].message and by_row[6].column == "period_start"
    assert "assembled or in review" in by_row[8].message
    assert by_row[10].column == "value"
    assert by_row[2].line == 3  # the header is line 1
    assert "5 of 10 rows" in str(refused.value)
    assert "Row 4 (line 5), value:" in str(by_row[4])
    report = problems_csv(problems).decode("utf-8-sig")
    assert report.splitlines()[0] == "row,line,column,message"


def test_duplicate_natural_keys_in_one_file_are_refused(editor, issue):
    IndicatorFactory(name="软件业务收入")
    rows = [METRIC_HEADER,
            metric_row("软件业务收入", issue, "1—11月", "1"),
            metric_row("软件业务收入", issue, "1—10月", "2"),
            metric_row(" 软件业务收入", issue, "1—11月", "3")]
    with pytest.raises(TableImportRefused) as refused:
        import_table(resource_class=MetricResource, data=table(rows), user=editor)
    (problem,) = refused.value.problems
    assert problem.row == 3 and "row 1" in problem.message
    assert Metric.objects.count() == 0


def test_duplicate_emails_differing_in_case_are_one_key(publisher):
    Organisation.objects.create(name="某研究院")
    data = table([["email", "organisation"], ["Li@Example.org", "某研究院"],
                  ["li@example.org", "某研究院"]])
    with pytest.raises(TableImportRefused):
        import_table(resource_class=SubscriberResource, data=data, user=publisher)
    assert Subscriber.objects.count() == 0


def test_wrong_encoding_is_refused_clearly(editor):
    data = "name,unit\nCafé Umsatz,€\n".encode("cp1252") + b"\x81\xff\n"
    with pytest.raises(ImportRefused) as refused:
        import_table(resource_class=IndicatorResource, data=data, user=editor)
    assert refused.value.code == "unreadable"
    assert "GB18030" in str(refused.value)
    assert Indicator.objects.count() == 0


def test_missing_key_column_is_one_clear_message(editor):
    with pytest.raises(TableImportRefused) as refused:
        import_table(resource_class=IndicatorResource, data=table([["unit"], ["亿元"]]), user=editor)
    (problem,) = refused.value.problems
    assert problem.row is None and "name" in problem.message


def test_headers_are_matched_loosely(publisher):
    Organisation.objects.create(name="某研究院")
    data = table([[" E-mail ", "Organisation", "NAME"], ["wang@example.org", "某研究院", "王工"]])
    import_table(resource_class=SubscriberResource, data=data, user=publisher)
    assert Subscriber.objects.get().name == "王工"


# --- Articles -------------------------------------------------------------------------------

ARTICLE_HEADER = ["bulletin", "issue", "section", "position", "title", "body", "tags"]


def test_article_bodies_are_sanitised_and_authorship_recorded(editor, issue):
    body = '<p onclick="steal()">正文<script>alert(1)</script></p><img src=x onerror=alert(1)>'
    data = table([ARTICLE_HEADER,
                  [issue.bulletin.slug, issue.number, "产业环境", 1, "数据中心能效新规", body, "能效、数据中心"]])
    import_table(resource_class=ArticleResource, data=data, user=editor)
    article = Article.objects.get()
    assert "script" not in article.body and "onclick" not in article.body
    assert "onerror" not in article.body and "正文" in article.body
    assert article.created_by == editor and article.state == ArticleState.DRAFT
    assert sorted(t.name for t in article.tags.all()) == ["数据中心", "能效"]


def test_article_reimport_updates_drafts_and_refuses_approved_ones(editor, issue):
    section = issue.bulletin.sections.get(name="产业环境")
    draft = ArticleFactory(issue=issue, section=section, position=1, title="旧标题")
    approved = ArticleFactory(issue=issue, section=section, position=2, title="已审",
                              state=ArticleState.APPROVED)
    slug, number = issue.bulletin.slug, issue.number
    import_table(resource_class=ArticleResource, user=editor,
                 data=table([ARTICLE_HEADER[:5], [slug, number, "产业环境", 1, "新标题"]]))
    draft.refresh_from_db()
    assert (draft.title, draft.version) == ("新标题", 2)

    with pytest.raises(TableImportRefused) as refused:
        import_table(resource_class=ArticleResource, user=editor,
                     data=table([ARTICLE_HEADER[:5], [slug, number, "产业环境", 1, "再改"],
                                 [slug, number, "产业环境", 2, "改已审"]]))
    assert [p.row for p in refused.value.problems] == [2]
    draft.refresh_from_db()
    approved.refresh_from_db()
    assert (draft.title, approved.title) == ("新标题", "已审")


def test_unknown_section_is_reported(editor, issue):
    data = table([ARTICLE_HEADER[:5], [issue.bulletin.slug, issue.number, "不存在", 1, "标题"]])
    with pytest.raises(TableImportRefused) as refused:
        import_table(resource_class=ArticleResource, data=data, user=editor)
    assert "不存在" in refused.value.problems[0].message


# --- Subscribers and permissions ------------------------------------------------------------


def test_subscriber_list_in_gb18030_by_a_publisher(publisher):
    Organisation.objects.create(name="某研究院")
    data = table([["email", "name", "organisation", "language", "active"],
                  ["Zhang@Example.org", "张三", "某研究院", "English", "是"],
                  ["li@example.org", "李四", "某研究院", "", ""]], encoding="gb18030")
    report = import_table(resource_class=SubscriberResource, data=data, user=publisher)
    assert report.new == 2
    zhang = Subscriber.objects.get(email="zhang@example.org")
    assert (zhang.name, zhang.language, zhang.active) == ("张三", "en", True)
    assert Subscriber.objects.get(email="li@example.org").language == "zh-hans"

    again = table([["email", "organisation", "name"], ["ZHANG@example.org", "某研究院", "张三丰"]])
    import_table(resource_class=SubscriberResource, data=again, user=publisher)
    assert Subscriber.objects.get(email="zhang@example.org").name == "张三丰"


def test_unknown_organisation_is_refused(publisher):
    data = table([["email", "organisation"], ["a@example.org", "无此单位"]])
    with pytest.raises(TableImportRefused) as refused:
        import_table(resource_class=SubscriberResource, data=data, user=publisher)
    assert refused.value.problems[0].column == "organisation"


@pytest.mark.parametrize(
    ("who", "resource_class"),
    [("reviewer", MetricResource), ("reviewer", SubscriberResource),
     ("editor", SubscriberResource), ("outsider", IndicatorResource)],
)
def test_users_without_the_import_permission_are_refused(request, who, resource_class):
    user = (
        UserFactory(username="outsider", is_staff=False, is_superuser=True)
        if who == "outsider"
        else request.getfixturevalue(who)
    )
    with pytest.raises(PermissionRefused):
        import_table(resource_class=resource_class, data=table([["name"], ["x"]]), user=user)


# --- The admin --------------------------------------------------------------------------------


def test_admin_import_needs_the_import_permission(client, reviewer, editor, publisher):
    client.force_login(reviewer)  # may view metrics and subscribers, may not import
    assert client.get(reverse("admin:editorial_metric_import")).status_code == 403
    assert client.get(reverse("admin:editorial_subscriber_import")).status_code == 403
    assert client.post(reverse("admin:editorial_subscriber_process_import")).status_code == 403
    client.force_login(editor)
    assert client.get(reverse("admin:editorial_metric_import")).status_code == 200
    assert client.get(reverse("admin:editorial_subscriber_import")).status_code == 403
    client.force_login(publisher)
    assert client.get(reverse("admin:editorial_subscriber_import")).status_code == 200


def _upload(client, url, data: bytes, name: str, fmt: str = "0"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(url, {"import_file": upload, "format": fmt, "resource": "0"})


def test_admin_previews_then_confirms_a_gb18030_subscriber_list(client, publisher):
    Organisation.objects.create(name="某研究院")
    client.force_login(publisher)
    data = table([["email", "name", "organisation"], ["wang@example.org", "王五", "某研究院"]],
                 encoding="gb18030")
    preview = _upload(client, reverse("admin:editorial_subscriber_import"), data, "名单.csv")
    assert preview.status_code == 200
    assert "王五" in preview.content.decode()
    assert Subscriber.objects.count() == 0  # the preview is a dry run
    confirm = preview.context["confirm_form"].initial
    done = client.post(reverse("admin:editorial_subscriber_process_import"), confirm)
    assert done.status_code == 302
    assert Subscriber.objects.get().name == "王五"


def test_admin_says_what_is_wrong_with_the_encoding(client, publisher):
    client.force_login(publisher)
    response = _upload(client, reverse("admin:editorial_subscriber_import"),
                       b"email,organisation\n\x81\xff\x80\n", "list.csv")
    html = response.content.decode()
    assert "GB18030" in html
    assert "UnicodeDecodeError" not in html


def test_admin_confirm_saves_nothing_when_rows_fail_at_that_moment(client, publisher):
    organisation = Organisation.objects.create(name="某研究院")
    client.force_login(publisher)
    data = table([["email", "organisation"], ["a@example.org", "某研究院"],
                  ["b@example.org", "某研究院"]])
    preview = _upload(client, reverse("admin:editorial_subscriber_import"), data, "l.csv")
    confirm = preview.context["confirm_form"].initial
    # Between preview and confirm someone else adds b@example.org, to another organisation.
    other = Organisation.objects.create(name="另一单位")
    Subscriber.objects.create(organisation=other, email="b@example.org")
    organisation.name = "已改名"
    organisation.save()  # and renames the organisation (rows name it by id: no matter)
    done = client.post(reverse("admin:editorial_subscriber_process_import"), confirm, follow=True)
    assert Subscriber.objects.count() == 1
    assert "未导入任何数据" in done.content.decode()  # the admin speaks Chinese by default


def _export_form(fmt: str) -> dict:
    form = {"format": fmt, "resource": "0"}
    form.update({f"metricresource_{name}": "on" for name in MetricResource().get_export_order()})
    return form


def test_admin_csv_export_has_bom_and_escaped_formulas(client, editor, issue):
    indicator = IndicatorFactory(name="=HYPERLINK(\"http://evil\")")
    Metric.objects.create(indicator=indicator, issue=issue, period_label="1月",
                          value=Decimal("-3.5"), sentence="@SUM(1)")
    client.force_login(editor)
    response = client.post(reverse("admin:editorial_metric_export"), _export_form("0"))
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]["indicator"].startswith("'=")
    assert rows[0]["sentence"] == "'@SUM(1)"
    assert rows[0]["value"] == "-3.5"


def test_admin_xlsx_export_has_numbers(client, editor, issue):
    Metric.objects.create(indicator=IndicatorFactory(), issue=issue, period_label="1月",
                          value=Decimal("65360.5"), yoy_percent=Decimal("12.30"))
    client.force_login(editor)
    response = client.post(reverse("admin:editorial_metric_export"), _export_form("1"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["value"] == 65360.5 and values["yoy_percent"] == 12.3
    assert values["issue"] == issue.number


def test_view_only_user_cannot_export_subscribers(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("admin:editorial_subscriber_export")).status_code == 403


# --- Concurrent imports (PostgreSQL) ----------------------------------------------------------


def _in_thread(target, results, key):
    def run():
        try:
            results[key] = target()
        except Exception as exc:  # reported by the test
            results[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_into_the_same_table_at_once_both_succeed(monkeypatch):
    # Widen the race: both files are planned (both see the shared row as new) before
    # either is written.
    both_planned = threading.Barrier(2, timeout=10)
    original, calls = service.plan_rows, []

    def plan_then_wait(*args, **kwargs):
        planned = original(*args, **kwargs)
        calls.append(1)
        if len(calls) <= 2:
            both_planned.wait()
        return planned

    monkeypatch.setattr(service, "plan_rows", plan_then_wait)
    user = UserFactory(username="importer", is_superuser=True)
    files = {
        side: table([["name", "unit"], ["两边都有的新指标", "亿元"]]
                    + [[f"{side}指标{n}", "亿元"] for n in range(20)])
        for side in ("甲", "乙")
    }
    results: dict = {}

    def importer(side):
        return lambda: import_table(resource_class=IndicatorResource, data=files[side], user=user)

    threads = [_in_thread(importer(side), results, side) for side in files]
    for thread in threads:
        thread.join(60)
    assert not any(isinstance(r, Exception) for r in results.values()), results
    assert Indicator.objects.count() == 41
    assert sorted((r.new, r.skipped) for r in results.values()) == [(20, 1), (21, 0)]
