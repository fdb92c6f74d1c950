"""Importing: a 150 KB bulletin text, and a 10,000-row metrics spreadsheet.

    python -m bench.importing
    python -m bench                 # every bench, this one included

Figures printed side by side, each with a baseline measured in the same run:

- parsing a ~150 KB bulletin (the sample bulletin repeated) with our parser, beside the
  floor of any parser: decoding the bytes and splitting them into lines;
- the whole import (parse, key-figure extraction, one transaction of sections, articles
  with their search columns, figures and suggested metrics), beside bulk-inserting the
  same number of bare article rows (the floor of any import);
- a 10,000-row metrics CSV through django-import-export: our MetricResource (natural
  keys, cached lookups, whole-file validation then one transaction), beside a resource
  with the library's default settings for the same columns.

Targets: parse under 0.5 s, the whole import under 3 s on a 2-core machine. It runs
in a throwaway test database (PostgreSQL when reachable, else SQLite).
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "bulletins" / "xxcy-2020-48.txt"
SECTIONS = ["产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴"]
TARGET_BYTES = 150 * 1024
METRIC_ROWS = 10_000


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bulletin.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bulletin_bench_import")
    import django

    django.setup()


def big_bulletin() -> bytes:
    """The sample bulletin's pages repeated until the text is ~150 KB."""
    text = FIXTURE.read_text(encoding="utf-8")
    copies = [text]
    while sum(len(c.encode()) for c in copies) < TARGET_BYTES:
        copies.append(text.split("\f", 2)[-1])  # the pages after the cover and contents
    return "\f".join(copies).encode("utf-8")


def timed(function, repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_parse(data: bytes) -> None:
    from editorial.parsing.text import parse_bulletin_bytes

    floor, lines = timed(lambda: data.decode("utf-8").splitlines())
    ours, parsed = timed(lambda: parse_bulletin_bytes(data, sections=SECTIONS))
    print(f"input: {len(data) / 1024:.0f} KB, {len(lines)} lines, "
          f"{len(parsed.articles)} articles, {len(parsed.warnings)} warnings")
    print(f"  parse (ours)                       {ours * 1000:8.1f} ms   target < 500 ms")
    print(f"  decode + split lines (floor)       {floor * 1000:8.1f} ms")


def bench_whole_import(data: bytes) -> None:
    from django.db import transaction

    from editorial.models import Article, Bulletin, Issue, Section
    from editorial.services import importing

    bulletin, _ = importing.ensure_bulletin(slug="bench", sections=SECTIONS)

    def ours():
        parsed = importing.parse_upload(data=data, filename="big.txt", sections=SECTIONS)
        return importing.import_bulletin(parsed=parsed, bulletin=bulletin, user=None)

    ours_time, issue = timed(ours, repeat=3)
    articles = issue.articles.count()
    metrics = issue.metrics.count()

    section = Section.objects.filter(bulletin=bulletin).first()
    bodies = list(issue.articles.values_list("title", "body"))

    def floor():
        with transaction.atomic():
            bare = Issue.objects.create(
                bulletin=bulletin, number=importing.next_issue_number(bulletin),
                issue_date=issue.issue_date,
            )
            Article.objects.bulk_create(
                Article(issue=bare, section=section, position=i, title=t, body=b)
                for i, (t, b) in enumerate(bodies, start=1)
            )

    floor_time, _ = timed(floor, repeat=3)
    print(f"  whole import (ours: parse, figures, {articles} articles with search columns, "
          f"{metrics} metrics, one transaction)")
    print(f"                                     {ours_time * 1000:8.1f} ms   target < 3000 ms")
    print(f"  bulk insert of bare articles (floor) {floor_time * 1000:6.1f} ms")
    Bulletin.objects.filter(pk=bulletin.pk)  # keep the rows for the next bench


def metrics_csv(bulletin_slug: str, number: int, indicators: list[str]) -> bytes:
    out = io.StringIO()
    out.write("indicator,bulletin,issue,period,value,unit,yoy_percent\n")
    for row in range(METRIC_ROWS):
        indicator = indicators[row % len(indicators)]
        out.write(f"{indicator},{bulletin_slug},{number},P{row // len(indicators)},"
                  f"{1000 + row}.5,亿元,{row % 17 - 8}.2\n")
    return out.getvalue().encode("utf-8")


def bench_spreadsheet() -> None:
    import tablib
    from django.contrib.auth import get_user_model
    from import_export import fields, resources, widgets

    from editorial.models import Indicator, Issue, Metric
    from editorial.resources import MetricResource, import_table
    from editorial.services import importing

    bulletin, _ = importing.ensure_bulletin(slug="bench-sheet", sections=SECTIONS)
    issue = Issue.objects.create(bulletin=bulletin, number=1, issue_date="2020-12-03")
    names = [f"指标{i:03d}" for i in range(200)]
    Indicator.objects.bulk_create(Indicator(name=n, slug=f"i{i}", unit="亿元")
                                  for i, n in enumerate(names))
    data = metrics_csv(bulletin.slug, issue.number, names)
    user = get_user_model().objects.create_superuser("bench", "b@example.org", "x")

    start = time.perf_counter()
    report = import_table(resource_class=MetricResource, data=data, user=user,
                          file_name="metrics.csv")
    ours = time.perf_counter() - start
    assert Metric.objects.filter(issue=issue).count() == METRIC_ROWS, report

    class DefaultMetricResource(resources.ModelResource):
        """The same columns with the library's defaults: per-row lookups, no natural key."""

        indicator = fields.Field(attribute="indicator", column_name="indicator",
                                 widget=widgets.ForeignKeyWidget(Indicator, "name"))
        issue = fields.Field(attribute="issue", column_name="issue",
                             widget=widgets.ForeignKeyWidget(Issue, "pk"))
        period = fields.Field(attribute="period_label", column_name="period")

        class Meta:
            model = Metric
            fields = ("id", "indicator", "issue", "period", "value", "unit", "yoy_percent")

    other = Issue.objects.create(bulletin=bulletin, number=2, issue_date="2020-12-10")
    dataset = tablib.Dataset().load(
        data.decode("utf-8").replace(f",{bulletin.slug},1,", f",{bulletin.slug},{other.pk},"),
        format="csv",
    )
    del dataset["bulletin"]
    dataset.append_col([""] * len(dataset), header="id")  # the library keys rows by id
    start = time.perf_counter()
    result = DefaultMetricResource().import_data(dataset, dry_run=False, use_transactions=True)
    baseline = time.perf_counter() - start
    if result.has_errors():
        first = (result.row_errors() or [(0, [None])])[0]
        raise SystemExit(f"baseline import failed: {first[0]}: {first[1][0].error!r}")
    assert Metric.objects.filter(issue=other).count() == METRIC_ROWS
    print(f"  {METRIC_ROWS}-row metrics CSV, ours (validate all, then one transaction) "
          f"{ours:6.2f} s")
    print(f"  same rows, library defaults (one pass, per-row lookups)          {baseline:6.2f} s")


def main() -> None:
    setup_django()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        data = big_bulletin()
        bench_parse(data)
        bench_whole_import(data)
        bench_spreadsheet()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
