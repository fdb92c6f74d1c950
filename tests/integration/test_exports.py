"""Downloads: published data only, Chinese intact in Excel, formulas inert, numbers typed,
the articles JSON as documented, the bundle, and flat memory for big exports."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.http import StreamingHttpResponse
from django.urls import include, path, reverse
from django.utils import timezone, translation

from editorial.models import Metric, Organisation, Rendition, Subscriber
from editorial.selectors.metrics import all_public_metrics
from editorial.tables import metric_files
from editorial.workflow import IssueState
from tests.factories import ArticleFactory, IndicatorFactory, IssueFactory, MetricFactory

# The lead includes editorial.site.export_urls under "exports/" in bulletin/urls.py; this
# module's own URLconf does the same so the tests do not depend on that line.
urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("exports/", include("editorial.site.export_urls")),
    path("", include("editorial.site.urls")),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "articles-json-schema.json").read_text("utf-8")
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def published(bulletin):
    return IssueFactory(
        bulletin=bulletin, state=IssueState.PUBLISHED, published_at=timezone.now(), number=3
    )


@pytest.fixture
def draft_issue(bulletin):
    return IssueFactory(bulletin=bulletin, number=4)


@pytest.fixture
def content(published, draft_issue):
    sections = list(published.bulletin.sections.order_by("position"))
    second = ArticleFactory(issue=published, section=sections[1], position=1, title="运营竞争第一篇")
    first = ArticleFactory(
        issue=published, section=sections[0], position=1, title="产业环境第一篇",
        body="<p>正文<script>x()</script></p>", source_url="https://example.org/a",
        original_date=date(2020, 11, 30),
    )
    first.tags.create(name="能效")
    revenue = IndicatorFactory(name="软件业务收入", slug="software-revenue", unit="亿元")
    MetricFactory(
        indicator=revenue, issue=published, article=first, period_label="1—11月",
        period_end=date(2020, 11, 30), value=Decimal("65360.0000"), yoy_percent=Decimal("-3.50"),
        status=Metric.Status.CONFIRMED, sentence="=HYPERLINK(\"http://evil\",\"点我\")",
    )
    MetricFactory(indicator=revenue, issue=published, period_label="1—10月", value="1",
                  status=Metric.Status.SUGGESTED)
    MetricFactory(indicator=revenue, issue=draft_issue, period_label="1—12月", value="2",
                  status=Metric.Status.CONFIRMED)
    return {"first": first, "second": second, "revenue": revenue}


def issue_url(name, issue):
    return reverse(f"exports:{name}", kwargs={"bulletin_slug": issue.bulletin.slug, "number": issue.number})


def body(response) -> bytes:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8 Chinese
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


# --- Per issue -------------------------------------------------------------------------------


def test_issue_metrics_csv_opens_in_excel_with_chinese_and_inert_formulas(client, published, content):
    response = client.get(issue_url("issue_metrics_csv", published))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(body(response))
    assert len(rows) == 1  # the suggested metric and the draft issue's are not public
    row = rows[0]
    assert row["indicator"] == "软件业务收入" and row["period"] == "1—11月"
    assert (row["value"], row["unit"], row["yoy_percent"]) == ("65360", "亿元", "-3.5")
    assert row["sentence"].startswith("'=HYPERLINK")
    assert row["article_title"] == "产业环境第一篇"
    assert row["article_url"].endswith(content["first"].get_absolute_url())


def test_issue_metrics_xlsx_has_typed_numbers_and_the_source_article(client, published, content):
    response = client.get(issue_url("issue_metrics_xlsx", published))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    _header, row = [list(r) for r in sheet.iter_rows(min_row=1, max_row=2)]
    values = [c.value for c in row]
    assert values[3] == "软件业务收入" and values[4] == "1—11月"
    assert isinstance(values[1], int) and values[1] == published.number
    assert isinstance(values[7], int | float) and values[7] == 65360
    assert isinstance(values[9], int | float) and values[9] == -3.5
    assert row[6].is_date and values[6].date() == date(2020, 11, 30)
    assert values[8] == "亿元" and values[11] == "产业环境第一篇"
    assert row[10].data_type == "s" and values[10].startswith("=HYPERLINK")  # text, not a formula
    assert sheet.max_row == 2


def _validate(instance, schema, root=None, where="$"):
    """The subset of JSON Schema the articles schema uses (no jsonschema dependency)."""
    root = root or schema
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    kinds = schema.get("type")
    if kinds:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        python = {"object": dict, "array": list, "string": str, "integer": int, "null": type(None)}
        assert any(isinstance(instance, python[k]) for k in kinds), (where, instance, kinds)
    if "const" in schema:
        assert instance == schema["const"], where
    if isinstance(instance, dict):
        assert set(schema.get("required", [])) <= set(instance), (where, set(instance))
        if schema.get("additionalProperties") is False:
            assert set(instance) <= set(schema["properties"]), (where, set(instance))
        for key, value in instance.items():
            _validate(value, schema["properties"][key], root, f"{where}.{key}")
    if isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            _validate(item, schema["items"], root, f"{where}[{index}]")


def test_articles_json_follows_the_documented_schema(client, published, content):
    response = client.get(issue_url("issue_articles_json", published))
    assert response.status_code == 200
    document = json.loads(response.content.decode("utf-8"))
    _validate(document, SCHEMA)
    assert [a["title"] for a in document["articles"]] == ["产业环境第一篇", "运营竞争第一篇"]
    first = document["articles"][0]
    assert "script" not in first["body_html"] and "正文" in first["body_html"]
    assert first["tags"] == ["能效"] and first["original_date"] == "2020-11-30"
    assert first["section"]["name"] == "产业环境"
    assert document["issue"]["number"] == published.number
    assert "产业环境第一篇".encode() in response.content  # UTF-8, not \\u escapes


@pytest.mark.parametrize(
    "name",
    ["issue_metrics_csv", "issue_metrics_xlsx", "issue_articles_json", "issue_pdf",
     "issue_html", "issue_bundle"],
)
def test_unpublished_issues_are_not_found(client, draft_issue, content, name):
    assert client.get(issue_url(name, draft_issue)).status_code == 404


def test_withdrawn_issue_is_not_found(client, published, content):
    published.state = IssueState.WITHDRAWN
    published.save()
    assert client.get(issue_url("issue_metrics_csv", published)).status_code == 404


@pytest.fixture
def renditions(published, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    made = {}
    for kind, data in (("pdf", b"%PDF-1.7 test"), ("html", "<html><body>第3期</body></html>".encode())):
        rendition = Rendition(issue=published, kind=kind, state=Rendition.State.SUCCEEDED)
        rendition.file.save(f"issue.{kind}", ContentFile(data), save=True)
        made[kind] = data
    # A superseded one is never served.
    Rendition.objects.create(issue=published, kind="pdf", state="succeeded", is_current=False)
    return made


def test_pdf_and_html_are_the_current_renditions(client, published, renditions):
    pdf = client.get(issue_url("issue_pdf", published))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert body(pdf) == renditions["pdf"]
    html = client.get(issue_url("issue_html", published))
    assert body(html) == renditions["html"]
    assert "sandbox" in html["Content-Security-Policy"].split("; ")


def test_not_yet_rendered_is_not_found(client, published, content):
    assert client.get(issue_url("issue_pdf", published)).status_code == 404


def test_bundle_holds_every_export_of_the_issue(client, published, content, renditions):
    response = client.get(issue_url("issue_bundle", published))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(body(response)))
    base = f"{published.bulletin.slug}-{published.number}"
    assert sorted(bundle.namelist()) == sorted(
        [f"{base}-metrics.csv", f"{base}-metrics.xlsx", f"{base}-articles.json",
         f"{base}.pdf", f"{base}.html"]
    )
    assert csv_rows(bundle.read(f"{base}-metrics.csv"))[0]["indicator"] == "软件业务收入"
    sheet = openpyxl.load_workbook(io.BytesIO(bundle.read(f"{base}-metrics.xlsx"))).active
    assert sheet.cell(row=2, column=8).value == 65360
    _validate(json.loads(bundle.read(f"{base}-articles.json")), SCHEMA)
    assert bundle.read(f"{base}.pdf") == renditions["pdf"]


# --- Per indicator and whole tables -----------------------------------------------------------


def test_indicator_series_csv_and_xlsx(client, bulletin, content):
    later = IssueFactory(bulletin=bulletin, number=9, state=IssueState.PUBLISHED,
                         published_at=timezone.now())
    MetricFactory(indicator=content["revenue"], issue=later, period_label="1—12月",
                  period_end=date(2020, 12, 31), value="71000", status=Metric.Status.CONFIRMED)
    url = reverse("exports:indicator_series_csv", kwargs={"indicator_slug": "software-revenue"})
    rows = csv_rows(body(client.get(url)))
    assert [r["period"] for r in rows] == ["1—11月", "1—12月"]  # in time order
    url = reverse("exports:indicator_series_xlsx", kwargs={"indicator_slug": "software-revenue"})
    sheet = openpyxl.load_workbook(io.BytesIO(body(client.get(url)))).active
    assert [r[7] for r in sheet.iter_rows(min_row=2, values_only=True)] == [65360, 71000]


def test_indicator_without_published_values_is_not_found(client, draft_issue):
    MetricFactory(indicator=IndicatorFactory(slug="unpublished"), issue=draft_issue,
                  status=Metric.Status.CONFIRMED)
    for name in ("indicator_series_csv", "indicator_series_xlsx"):
        url = reverse(f"exports:{name}", kwargs={"indicator_slug": "unpublished"})
        assert client.get(url).status_code == 404
    url = reverse("exports:indicator_series_csv", kwargs={"indicator_slug": "no-such"})
    assert client.get(url).status_code == 404


def test_all_metrics_stream_only_public_rows(client, content):
    response = client.get(reverse("exports:all_metrics_csv"))
    assert isinstance(response, StreamingHttpResponse)
    assert [r["value"] for r in csv_rows(body(response))] == ["65360"]
    sheet = openpyxl.load_workbook(io.BytesIO(body(client.get(reverse("exports:all_metrics_xlsx"))))).active
    assert sheet.max_row == 2


def test_subscriber_list_is_for_staff_with_the_export_permission(client, reviewer, publisher):
    organisation = Organisation.objects.create(name="某研究院")
    Subscriber.objects.create(organisation=organisation, email="zhang@example.org", name="=张三")
    url = reverse("exports:subscribers_csv")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.force_login(publisher)
    response = client.get(url)
    assert isinstance(response, StreamingHttpResponse)
    (row,) = csv_rows(body(response))
    assert row == {"email": "zhang@example.org", "name": "'=张三", "organisation": "某研究院",
                   "language": "zh-hans", "active": "1"}


# --- Memory --------------------------------------------------------------------------------


def _peak_bytes(run) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_export_memory_stays_flat_as_rows_grow(published, monkeypatch):
    # bench/exports.py measures 100,000 rows beside django-import-export's in-memory
    # export; here: tripling the rows must not raise the peak, which is set by the
    # cursor's chunk (made small so that the test is quick).
    monkeypatch.setattr(metric_files, "DB_CHUNK_ROWS", 500)
    indicators = [IndicatorFactory(name=f"指标{n}", slug=f"i{n}") for n in range(20)]

    def add(start, count):
        Metric.objects.bulk_create(
            Metric(indicator=indicators[n % 20], issue=published, period_label=f"期{n}",
                   value=Decimal(n) + Decimal("0.25"), unit="亿元", sentence="同比增长" * 10,
                   status=Metric.Status.CONFIRMED)
            for n in range(start, start + count)
        )

    def export():
        for _chunk in metric_files.stream_metrics_csv(all_public_metrics()):
            pass

    add(0, 1000)
    small = _peak_bytes(export)
    add(1000, 2000)
    large = _peak_bytes(export)
    assert large < small * 1.25
    assert large < 2 * 1024 * 1024
