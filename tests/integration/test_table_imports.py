"""The bulk table import service: constant queries, the admin's upload ▸ preview ▸ confirm,
per-row errors with nothing written, a confirm that writes only what was previewed, and
two imports of the same file at once."""

from __future__ import annotations

import csv
import io
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from editorial.models import AuditEntry, ImportJob, Indicator, Metric
from editorial.tables import service
from editorial.tables.service import TableImportRefused, import_table
from tests.factories import IndicatorFactory, IssueFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

HEADER = ["indicator", "bulletin", "issue", "period", "period_start", "period_end", "value",
          "unit", "yoy_percent", "sentence"]


def table(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def metric_rows(issue, count: int, *, indicators: list[str], value_offset: int = 0) -> list[list]:
    rows = [HEADER]
    for n in range(count):
        rows.append([
            indicators[n % len(indicators)], issue.bulletin.slug, issue.number,
            f"2024年{n // len(indicators) + 1}期", "2024-01-01", "2024-01-31",
            f"{n + value_offset}.5", "", f"{n % 30}.5%", f"第{n}句：软件业务收入同比增长。",
        ])
    return rows


def queries_for(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_a_metrics_import_makes_the_same_number_of_queries_for_100_and_1000_rows(editor):
    names = [f"软件业务收入{n}" for n in range(20)]
    for name in names:
        IndicatorFactory(name=name, unit="亿元")
    warm, small, large = IssueFactory(), IssueFactory(), IssueFactory()

    def run(issue, count, offset=0):
        data = table(metric_rows(issue, count, indicators=names, value_offset=offset))
        return lambda: import_table(table="metric", data=data, user=editor)

    run(warm, 5)()  # the user's permissions and the content types, cached once per process
    created_small = queries_for(run(small, 100))
    created_large = queries_for(run(large, 1000))
    assert Metric.objects.filter(issue=large).count() == 1000
    assert Metric.history.filter(issue_id=large.pk, history_type="+").count() == 1000
    assert created_small == created_large, (created_small, created_large)
    assert created_large < 30

    # Updating every row of the same files: again one count for both sizes.
    updated_small = queries_for(run(small, 100, offset=7))
    updated_large = queries_for(run(large, 1000, offset=7))
    assert updated_small == updated_large, (updated_small, updated_large)
    assert Metric.objects.get(issue=large, indicator__name=names[3],
                              period_label="2024年1期").value == Decimal("10.5")
    assert Metric.history.filter(issue_id=large.pk, history_type="~").count() == 1000
    entry = AuditEntry.objects.filter(action="metric.import").latest("pk")
    assert entry.changes["updated"] == 1000 and entry.actor == editor


def test_bad_rows_are_reported_each_and_nothing_is_written(editor, issue):
    IndicatorFactory(name="软件业务收入", unit="亿元")
    rows = metric_rows(issue, 6, indicators=["软件业务收入"])
    rows[2][0] = "不存在的指标"
    rows[3][4], rows[3][5] = "2024-03-31", "2024-03-01"  # the period ends before it starts
    rows[5][6] = "约六万"
    with pytest.raises(TableImportRefused) as refused:
        import_table(table="metric", data=table(rows), user=editor)
    by_row = {p.row: p for p in refused.value.problems}
    assert sorted(by_row) == [2, 3, 5]
    assert by_row[2].column == "indicator" and "不存在的指标" in by_row[2].message
    assert by_row[3].column == "period_end"
    assert by_row[5].column == "value"
    assert Metric.objects.count() == 0 and Metric.history.count() == 0
    assert not AuditEntry.objects.filter(action="metric.import").exists()


def _upload(client, data: bytes, name: str = "数据.csv", table_name: str = "metric"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse(f"admin:editorial_{table_name}_import"), {"import_file": upload})


def test_admin_upload_preview_confirm_writes_what_was_previewed(client, editor, issue):
    IndicatorFactory(name="软件业务收入", unit="亿元")
    IndicatorFactory(name="移动互联网流量", unit="亿GB")
    client.force_login(editor)
    rows = metric_rows(issue, 40, indicators=["软件业务收入", "移动互联网流量"])

    preview = _upload(client, table(rows))
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "第0句" in html and 'id="table-import-confirm"' in html
    assert Metric.objects.count() == 0  # the preview writes nothing
    job = ImportJob.objects.get(pk=preview.context["confirm_form"].initial["job"])
    assert job.state == ImportJob.State.PREVIEWED and job.options == {"table": "metric"}

    # The confirm does not read or validate the file again: it writes the kept plan.
    def no_validation(*args, **kwargs):
        raise AssertionError("the confirm validated the rows again")

    confirm = preview.context["confirm_form"].initial
    original = service.plan_rows
    service.plan_rows = no_validation
    try:
        done = client.post(reverse("admin:editorial_metric_process_import"), confirm)
    finally:
        service.plan_rows = original
    assert done.status_code == 302
    assert Metric.objects.filter(issue=issue).count() == 40
    metric = Metric.objects.get(indicator__name="移动互联网流量", period_label="2024年1期")
    assert metric.unit == "亿GB" and metric.yoy_percent == Decimal("1.5")
    assert metric.history.get().history_user == editor
    job.refresh_from_db()
    assert job.state == ImportJob.State.SUCCEEDED and job.report["new"] == 40
    assert AuditEntry.objects.filter(action="metric.import", object_id=job.pk).count() == 1

    again = client.post(reverse("admin:editorial_metric_process_import"), confirm, follow=True)
    assert Metric.objects.count() == 40  # confirming twice writes once
    assert "上传的文件已不可用" in again.content.decode()


def test_admin_preview_lists_every_bad_row_in_chinese_and_keeps_nothing(client, editor, issue):
    IndicatorFactory(name="软件业务收入")
    client.force_login(editor)
    rows = metric_rows(issue, 5, indicators=["软件业务收入"])
    rows[1][0], rows[4][6] = "无此指标", "很多"
    response = _upload(client, table(rows))
    html = response.content.decode()
    assert response.context.get("confirm_form") is None
    assert [p.row for p in response.context["problems"]] == [1, 4]
    assert "无此指标" in html and "很多" in html
    assert 'id="table-import-refused"' in html and 'id="table-import-confirm"' not in html
    assert Metric.objects.count() == 0 and not ImportJob.objects.exists()


def test_admin_confirm_of_another_file_is_refused(client, editor, issue):
    IndicatorFactory(name="软件业务收入")
    client.force_login(editor)
    preview = _upload(client, table(metric_rows(issue, 3, indicators=["软件业务收入"])))
    confirm = dict(preview.context["confirm_form"].initial, checksum="0" * 64)
    client.post(reverse("admin:editorial_metric_process_import"), confirm)
    assert Metric.objects.count() == 0
    assert ImportJob.objects.get().state == ImportJob.State.PREVIEWED


def test_two_previews_of_the_same_file_confirmed_one_after_the_other_both_succeed(
    client, editor, issue
):
    IndicatorFactory(name="软件业务收入")
    client.force_login(editor)
    data = table(metric_rows(issue, 10, indicators=["软件业务收入"]))
    first, second = _upload(client, data), _upload(client, data)  # two tabs, one file
    for preview in (first, second):
        done = client.post(reverse("admin:editorial_metric_process_import"),
                           preview.context["confirm_form"].initial, follow=True)
        assert done.status_code == 200
    assert Metric.objects.count() == 10
    jobs = ImportJob.objects.order_by("pk")
    assert [(j.state, j.report["new"], j.report["skipped"]) for j in jobs] == [
        ("succeeded", 10, 0), ("succeeded", 0, 10)]


def test_a_published_issue_between_preview_and_confirm_saves_nothing(client, editor, issue):
    IndicatorFactory(name="软件业务收入")
    client.force_login(editor)
    preview = _upload(client, table(metric_rows(issue, 3, indicators=["软件业务收入"])))
    type(issue).objects.filter(pk=issue.pk).update(state="published", published_at=timezone.now())
    done = client.post(reverse("admin:editorial_metric_process_import"),
                       preview.context["confirm_form"].initial, follow=True)
    assert Metric.objects.count() == 0
    assert "未导入任何数据" in done.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_succeeds_twice(monkeypatch):
    user = UserFactory(username="importer", is_superuser=True)
    issue = IssueFactory()
    for n in range(3):
        Indicator.objects.create(name=f"指标{n}", slug=f"zhibiao-{n}", unit="亿元")
    data = table(metric_rows(issue, 30, indicators=["指标0", "指标1", "指标2"]))

    # Both imports plan before either writes: both see every row as new.
    both_planned = threading.Barrier(2, timeout=10)
    original = service.plan_rows
    calls = {"n": 0}

    def plan_then_wait(*args, **kwargs):
        result = original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] <= 2:
            both_planned.wait()
        return result

    monkeypatch.setattr(service, "plan_rows", plan_then_wait)
    results: dict = {}

    def run(side):
        try:
            results[side] = import_table(table="metric", data=data, user=user)
        except Exception as exc:  # reported below
            results[side] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(side,)) for side in ("甲", "乙")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(isinstance(r, Exception) for r in results.values()), results
    assert sorted((r.new, r.skipped) for r in results.values()) == [(0, 30), (30, 0)]
    assert Metric.objects.count() == 30


def test_a_big_file_is_checked_and_written_by_a_worker_with_progress(
    client, editor, issue, settings, django_capture_on_commit_callbacks
):
    settings.BULLETIN_TABLE_IMPORT_ASYNC_BYTES = 1000  # the file below is larger
    IndicatorFactory(name="软件业务收入", unit="亿元")
    client.force_login(editor)
    data = table(metric_rows(issue, 300, indicators=["软件业务收入"]))
    assert len(data) > 1000
    with django_capture_on_commit_callbacks(execute=True) as queued:
        answer = _upload(client, data)
    assert len(queued) == 1  # the check went to the worker; the request only kept the file
    job = ImportJob.objects.get()
    assert answer.status_code == 302
    assert answer.url == reverse("admin:editorial_metric_import_job", args=[job.pk])
    job.refresh_from_db()
    assert job.state == ImportJob.State.PREVIEWED and job.progress == 100
    assert not job.file  # the upload is gone once checked; the plan is kept
    assert Metric.objects.count() == 0

    page = client.get(answer.url)
    assert page.context["counts"]["new"] == 300
    status = client.get(answer.url, HTTP_ACCEPT="application/json").json()
    assert status["state"] == "previewed" and status["progress"] == 100

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("admin:editorial_metric_process_import"),
                           page.context["confirm_form"].initial)
    assert done.url == answer.url
    job.refresh_from_db()
    assert job.state == ImportJob.State.SUCCEEDED and job.report["new"] == 300
    assert Metric.objects.filter(issue=issue).count() == 300
    assert "300" in client.get(answer.url).content.decode()


def test_a_big_file_with_bad_rows_ends_failed_with_every_problem(
    client, editor, issue, settings, django_capture_on_commit_callbacks
):
    settings.BULLETIN_TABLE_IMPORT_ASYNC_BYTES = 1000
    IndicatorFactory(name="软件业务收入")
    client.force_login(editor)
    rows = metric_rows(issue, 100, indicators=["软件业务收入"])
    rows[7][6] = "不是数字"
    with django_capture_on_commit_callbacks(execute=True):
        answer = _upload(client, table(rows))
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED
    page = client.get(answer.url)
    assert [p.row for p in page.context["problems"]] == [7]
    assert "不是数字" in page.content.decode() and page.context.get("confirm_form") is None
    assert Metric.objects.count() == 0


def test_articles_through_the_admin_in_bulk_with_tags_history_and_search(client, editor, issue):
    from editorial.models import Article

    client.force_login(editor)
    rows = [["bulletin", "issue", "section", "position", "title", "body", "tags"]]
    for n in range(1, 31):
        rows.append([issue.bulletin.slug, issue.number, "产业环境", n, f"第{n}篇：算力网络建设提速",
                     f"<p onclick='x()'>第{n}段正文，数据中心<script>alert(1)</script></p>",
                     "算力、数据中心" if n % 2 else "5G"])
    preview = _upload(client, table(rows), "文章.csv", "article")
    with CaptureQueriesContext(connection) as captured:
        done = client.post(reverse("admin:editorial_article_process_import"),
                           preview.context["confirm_form"].initial)
    assert done.status_code == 302
    articles = list(Article.objects.filter(issue=issue).prefetch_related("tags")
                    .order_by("position"))
    assert len(articles) == 30 and len(captured) < 40
    first = articles[0]
    assert "script" not in first.body and "onclick" not in first.body
    assert first.created_by == editor and first.search_document
    assert sorted(t.name for t in first.tags.all()) == ["数据中心", "算力"]
    assert [t.name for t in articles[1].tags.all()] == ["5G"]
    assert first.history.get().history_user == editor
