"""A 10,000-row metrics spreadsheet, imported five ways, measured the same way.

    python -m bench.table_imports            (BENCH_RUNS=3 by default)

Each way imports the same 10,000 rows (200 indicators × 50 periods) into an issue of its
own, so every run writes 10,000 new rows; the ways take turns round by round (interleaved)
and each figure is the median of BENCH_RUNS runs, with DEBUG off:

- admin: the editor's path in the admin: upload ▸ preview (the validation) ▸ confirm
  (the write), through Django's test client, with history rows; a file this size is
  checked and written by Celery tasks, run eagerly here (no broker), so the figure is
  the work itself without a worker's queueing delay;
- import_table: the same bulk service called directly, with history rows;
- library default: django-import-export's ModelResource with its default settings for
  the same columns (row by row, per-row look-ups), with history rows;
- bulk floor: ``bulk_create_with_history`` of the same rows, ready-made (no reading, no
  validation, no look-ups): what any import with history costs at least;
- COPY: PostgreSQL's COPY of the same rows into the metric table, without history.

Queries are counted in one extra, untimed run of our two paths.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = 10_000
INDICATORS = 200
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bulletin.settings")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory and slows each one
    for key in ("REDIS_URL", "CELERY_BROKER_URL"):  # tasks run in-process, eagerly
        os.environ.pop(key, None)
    os.environ.setdefault("SECRET_KEY", "bench-table-imports-" + "k3y" * 20)
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
    os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
    os.environ.setdefault("WHITENOISE_USE_FINDERS", "1")  # no collected static files here
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("BULLETIN_TABLE_IMPORT_MAX_ROWS", str(ROWS))
    os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bulletin_bench_table_imports"
    )
    import django

    django.setup()


def metrics_csv(slug: str, number: int, names: list[str]) -> bytes:
    out = io.StringIO()
    out.write("indicator,bulletin,issue,period,value,unit,yoy_percent\n")
    for row in range(ROWS):
        out.write(f"{names[row % len(names)]},{slug},{number},P{row // len(names)},"
                  f"{1000 + row}.5,亿元,{row % 17 - 8}.2\n")
    return out.getvalue().encode("utf-8")


class Fixture:
    """The bulletin, indicators and user every way shares; a fresh issue per run."""

    def __init__(self):
        from django.contrib.auth import get_user_model

        from editorial.models import Indicator
        from editorial.services import importing

        self.bulletin, _ = importing.ensure_bulletin(slug="bench-sheet", sections=["产业环境"])
        self.names = [f"指标{i:03d}" for i in range(INDICATORS)]
        Indicator.objects.bulk_create(
            Indicator(name=n, slug=f"i{i}", unit="亿元") for i, n in enumerate(self.names)
        )
        self.indicator_ids = dict(Indicator.objects.values_list("name", "pk"))
        self.user = get_user_model().objects.create_superuser("bench", "b@example.org", "x")
        self.number = 0

    def new_issue(self):
        from editorial.models import Issue

        self.number += 1
        return Issue.objects.create(bulletin=self.bulletin, number=self.number,
                                    issue_date=f"2020-{1 + self.number // 28:02d}-"
                                               f"{1 + self.number % 28:02d}")

    def csv_for(self, issue) -> bytes:
        return metrics_csv(self.bulletin.slug, issue.number, self.names)


def admin_path(fx: Fixture):
    from django.test import Client
    from django.urls import reverse

    from editorial.models import ImportJob

    client = Client()
    client.force_login(fx.user)

    def run():
        issue = fx.new_issue()
        upload = io.BytesIO(fx.csv_for(issue))
        upload.name = "metrics.csv"
        preview = client.post(reverse("admin:editorial_metric_import"), {"import_file": upload},
                              follow=True)  # a big file: checked by a task, then its page
        confirm = preview.context["confirm_form"].initial
        done = client.post(reverse("admin:editorial_metric_process_import"), confirm)
        assert done.status_code == 302, done.status_code
        job = ImportJob.objects.get(pk=confirm["job"])
        assert job.state == ImportJob.State.SUCCEEDED and job.report["new"] == ROWS, job.error
        return issue

    return run


def service_path(fx: Fixture):
    from editorial.tables.service import import_table

    def run():
        issue = fx.new_issue()
        report = import_table(table="metric", data=fx.csv_for(issue), user=fx.user,
                              file_name="metrics.csv")
        assert report.new == ROWS, report
        return issue

    return run


def library_default_path(fx: Fixture):
    import tablib
    from import_export import fields, resources, widgets

    from editorial.models import Indicator, Issue, Metric

    class DefaultMetricResource(resources.ModelResource):
        """The same columns with the library's defaults: per-row look-ups, keyed by id."""

        indicator = fields.Field(attribute="indicator", column_name="indicator",
                                 widget=widgets.ForeignKeyWidget(Indicator, "name"))
        issue = fields.Field(attribute="issue", column_name="issue",
                             widget=widgets.ForeignKeyWidget(Issue, "pk"))
        period = fields.Field(attribute="period_label", column_name="period")

        class Meta:
            model = Metric
            fields = ("id", "indicator", "issue", "period", "value", "unit", "yoy_percent")

    def run():
        issue = fx.new_issue()
        text = fx.csv_for(issue).decode("utf-8").replace(
            f",{fx.bulletin.slug},{issue.number},", f",{fx.bulletin.slug},{issue.pk},"
        )
        dataset = tablib.Dataset().load(text, format="csv")
        del dataset["bulletin"]
        dataset.append_col([""] * len(dataset), header="id")
        result = DefaultMetricResource().import_data(dataset, dry_run=False,
                                                     use_transactions=True)
        assert not result.has_errors() and not result.has_validation_errors()
        return issue

    return run


def _plain_rows(fx: Fixture, issue) -> list[dict]:
    from decimal import Decimal

    return [
        {"indicator_id": fx.indicator_ids[fx.names[row % INDICATORS]], "issue_id": issue.pk,
         "period_label": f"P{row // INDICATORS}", "value": Decimal(f"{1000 + row}.5"),
         "unit": "亿元", "yoy_percent": Decimal(f"{row % 17 - 8}.2")}
        for row in range(ROWS)
    ]


def bulk_floor_path(fx: Fixture):
    from django.db import transaction
    from simple_history.utils import bulk_create_with_history

    from editorial.models import Metric

    def run():
        issue = fx.new_issue()
        rows = _plain_rows(fx, issue)
        start = time.perf_counter()
        with transaction.atomic():
            bulk_create_with_history([Metric(**r) for r in rows], Metric, batch_size=2000,
                                     default_user=fx.user)
        return time.perf_counter() - start  # rows made ready beforehand: the floor

    return run


def copy_path(fx: Fixture):
    from django.db import connection, transaction
    from django.utils import timezone

    from editorial.models import Metric

    columns = ["indicator_id", "issue_id", "period_label", "value", "unit", "yoy_percent",
               "sentence", "status", "created_at"]

    def run():
        issue = fx.new_issue()
        rows = _plain_rows(fx, issue)
        now = timezone.now()
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            table = Metric._meta.db_table
            with cursor.cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            ) as copy:
                for r in rows:
                    copy.write_row([r["indicator_id"], r["issue_id"], r["period_label"],
                                    r["value"], r["unit"], r["yoy_percent"], "", "suggested",
                                    now])
        return time.perf_counter() - start

    return run


def count_queries(run) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def main() -> None:
    setup_django()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from editorial.models import Metric

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        fx = Fixture()
        ways = {
            "admin: upload ▸ preview ▸ confirm (ours)": admin_path(fx),
            "import_table (ours)": service_path(fx),
            "django-import-export defaults": library_default_path(fx),
            "bulk floor: bulk_create_with_history": bulk_floor_path(fx),
            "COPY (no history)": copy_path(fx),
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _round in range(RUNS):
            for name, run in ways.items():  # interleaved: one of each per round
                start = time.perf_counter()
                inner = run()
                elapsed = time.perf_counter() - start
                times[name].append(inner if isinstance(inner, float) else elapsed)
        assert Metric.objects.count() == ROWS * RUNS * len(ways)
        queries = {
            "admin: upload ▸ preview ▸ confirm (ours)": count_queries(ways[
                "admin: upload ▸ preview ▸ confirm (ours)"]),
            "import_table (ours)": count_queries(ways["import_table (ours)"]),
        }
        print(f"{ROWS:,}-row metrics CSV, with history rows unless said; median of {RUNS} "
              f"interleaved runs, DEBUG off, {connection.vendor}")
        for name, samples in times.items():
            spread = f"{min(samples):6.2f}-{max(samples):.2f}"
            note = f"  {queries[name]} queries" if name in queries else ""
            print(f"  {name:<44} {statistics.median(samples):7.2f} s  ({spread}){note}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
