"""A 100,000-row metrics export: our streaming exporters beside django-import-export's.

    python -m bench.exports [--rows 100000] [--tracemalloc]
    python -m bench                       # every bench, this one included

Baseline: ``MetricResource().export()`` builds a whole tablib Dataset, the library's CSV
format turns it into one string, the admin encodes that — what the admin's export does.
Ours: ``editorial.services.exporting`` streams CSV chunks from a server-side cursor, and
writes XLSX in openpyxl's write-only mode to a temporary file.

Each variant runs in a fresh process, so one's garbage does not count against another:
peak RSS (``ru_maxrss``), its growth over the process's RSS just before the export,
wall time and output size. ``--tracemalloc`` adds the Python-heap peak (several times
slower). The data live in their own database, BENCH_EXPORTS_DATABASE_URL (default
``postgres://postgres@127.0.0.1:5432/bulletin_bench_exports``), built once and reused;
without PostgreSQL the bench uses SQLite under var/bench.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bulletin_bench_exports"
DATA_VERSION = "bench-exports-v1"
BULLETIN_SLUG = "bench-exports"
ROWS = 100_000
METRICS_PER_ISSUE = 1000
INDICATORS = 200

VARIANTS = {
    "library-csv": "baseline: import-export resource.export() → tablib → CSV",
    "streaming-csv": "ours: streaming CSV (utf-8-sig, escaped)",
    "writeonly-xlsx": "ours: write-only XLSX to a temporary file",
}


# --- The parent: prepare once, measure each variant in its own process ------------------


def database_url() -> str:
    url = os.environ.get("BENCH_EXPORTS_DATABASE_URL", DEFAULT_DATABASE_URL)
    if url.startswith("postgres"):
        parts = urlsplit(url)
        try:
            socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 1.5).close()
        except OSError:
            print(f"PostgreSQL at {parts.hostname}:{parts.port or 5432} is unreachable; using SQLite.")
            return f"sqlite:///{ROOT / 'var' / 'bench' / 'exports.sqlite3'}"
    return url


def child_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "bulletin.settings",
            "SECRET_KEY": env.get("SECRET_KEY") or "bench-exports-" + "k3y" * 20,
            "DEBUG": "0",  # DEBUG would keep every query in memory
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "VAR_DIR": str(ROOT / "var" / "bench"),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
    )
    env.pop("REDIS_URL", None)  # no broker or cache needed, and none may interfere
    return env


def run_child(url: str, *args: str, rows: int = ROWS) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.exports", "--rows", str(rows), "--child", *args],
        cwd=ROOT,
        env=child_env(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"bench child {args} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])

    if args.child:
        child(args.child, rows=args.rows, trace=args.tracemalloc)
        return

    url = database_url()
    started = time.perf_counter()
    prepared = run_child(url, "prepare", rows=args.rows)
    print(
        f"\nMetrics export, {prepared['rows']:,} rows "
        f"({'built' if prepared.get('built') else 'reused'} {urlsplit(url).scheme} bench database "
        f"in {time.perf_counter() - started:.1f} s)"
    )
    results = {}
    for variant in VARIANTS:
        extra = ["--tracemalloc"] if args.tracemalloc else []
        results[variant] = run_child(url, "measure", variant, *extra, rows=args.rows)
    print_table(results, traced=args.tracemalloc)


def print_table(results: dict, *, traced: bool) -> None:
    mb = 1024 * 1024
    heading = f"{'':58} {'time':>8} {'peak RSS':>10} {'RSS growth':>11} {'output':>9}"
    if traced:
        heading += f" {'py heap':>9}"
    print(heading)
    for variant, label in VARIANTS.items():
        r = results[variant]
        line = (
            f"{label:58} {r['seconds']:7.1f}s {r['peak_rss'] / mb:8.0f}MB "
            f"{r['rss_growth'] / mb:9.0f}MB {r['bytes'] / mb:7.1f}MB"
        )
        if traced:
            line += f" {r['heap_peak'] / mb:7.1f}MB"
        print(line)
    base = results["library-csv"]
    ours = results["streaming-csv"]
    print(
        f"streaming CSV uses {ours['rss_growth'] / max(base['rss_growth'], 1):.1%} of the baseline's "
        f"memory growth and {ours['seconds'] / max(base['seconds'], 1e-9):.1%} of its time."
    )


# --- The children ----------------------------------------------------------------------


def child(command: list[str], *, rows: int, trace: bool) -> None:
    if command[0] == "prepare":
        print(json.dumps(prepare(rows)))
    elif command[0] == "measure":
        print(json.dumps(measure(command[1], trace="--tracemalloc" in command or trace)))


def _setup_django() -> None:
    import django

    django.setup()


def _ensure_postgres_database(url: str, *, recreate: bool) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if recreate:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")


def prepare(rows: int) -> dict:
    """Reuse the bench data if it was built by this version at this size, else rebuild."""
    url = os.environ["DATABASE_URL"]
    marker = f"{DATA_VERSION} rows={rows}"
    if url.startswith("postgres"):
        _ensure_postgres_database(url, recreate=False)
    else:
        Path(urlsplit(url).path).parent.mkdir(parents=True, exist_ok=True)
    _setup_django()
    from django.core.management import call_command

    from editorial.models import Bulletin

    call_command("migrate", verbosity=0, interactive=False)
    existing = Bulletin.objects.filter(slug=BULLETIN_SLUG).values_list("description", flat=True).first()
    if existing == marker:
        return {"rows": rows}
    if existing is not None:
        from django.db import connections

        connections.close_all()
        if url.startswith("postgres"):
            _ensure_postgres_database(url, recreate=True)
        else:
            Path(urlsplit(url).path).unlink()
        call_command("migrate", verbosity=0, interactive=False)
    build(rows, marker)
    return {"rows": rows, "built": True}


def build(rows: int, marker: str) -> None:
    """Published weekly issues of 1,000 confirmed metrics each, half quoting an article."""
    import datetime
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from editorial.models import Article, Bulletin, Indicator, Issue, Metric, Section
    from editorial.workflow import IssueState

    issues_needed = -(-rows // METRICS_PER_ISSUE)
    with transaction.atomic():
        bulletin = Bulletin.objects.create(name="导出基准", slug=BULLETIN_SLUG, description=marker)
        section = Section.objects.create(bulletin=bulletin, name="产业环境", position=1)
        indicators = Indicator.objects.bulk_create(
            Indicator(name=f"基准指标{n:03d}", slug=f"bench-indicator-{n}", unit="亿元")
            for n in range(INDICATORS)
        )
        start = datetime.date(2015, 1, 5)
        issues = Issue.objects.bulk_create(
            Issue(
                bulletin=bulletin, number=n + 1, volume=2015 + n // 52,
                issue_date=start + datetime.timedelta(weeks=n), state=IssueState.PUBLISHED,
                published_at=timezone.now(),
            )
            for n in range(issues_needed)
        )
        made = 0
        for issue in issues:
            articles = Article.objects.bulk_create(
                Article(issue=issue, section=section, position=p + 1,
                        title=f"第{issue.number}期 行业动态{p + 1}", body="<p>正文</p>")
                for p in range(10)
            )
            batch = []
            for n in range(min(METRICS_PER_ISSUE, rows - made)):
                indicator = indicators[n % INDICATORS]
                period = n // INDICATORS
                batch.append(
                    Metric(
                        indicator=indicator, issue=issue, article=articles[n % 10] if n % 2 else None,
                        period_label=f"{issue.volume}年1—{period + 1}月",
                        period_end=issue.issue_date, value=Decimal(n * 37 % 100000) + Decimal("0.25"),
                        unit="亿元", yoy_percent=Decimal((n % 400) - 200) / 10,
                        sentence=f"{indicator.name}达到{n}亿元，同比增长{n % 30}%。" + "=cmd" * (n % 97 == 0),
                        status=Metric.Status.CONFIRMED,
                    )
                )
            Metric.objects.bulk_create(batch, batch_size=5000)
            made += len(batch)


def _current_rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(variant: str, *, trace: bool) -> dict:
    import gc
    import resource
    import tempfile
    import tracemalloc

    _setup_django()
    from import_export.formats import base_formats

    from editorial.selectors.metrics import all_public_metrics
    from editorial.tables import metric_files
    from editorial.tables.resources import MetricResource

    # Warm up imports, URL resolvers and the connection outside the measurement.
    list(metric_files.stream_metrics_csv(all_public_metrics()[:10]))
    MetricResource().export(queryset=all_public_metrics()[:10])
    gc.collect()
    rss_before = _current_rss()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    if variant == "streaming-csv":
        size = sum(len(chunk) for chunk in metric_files.stream_metrics_csv(all_public_metrics()))
    elif variant == "writeonly-xlsx":
        with tempfile.TemporaryFile() as spool:
            metric_files.write_metrics_xlsx(spool, all_public_metrics())
            size = spool.tell()
    elif variant == "library-csv":
        dataset = MetricResource().export(queryset=all_public_metrics())
        size = len(base_formats.CSV().export_data(dataset).encode("utf-8-sig"))
    else:
        raise SystemExit(f"unknown variant {variant}")
    seconds = time.perf_counter() - started
    heap_peak = tracemalloc.get_traced_memory()[1] if trace else 0
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {
        "seconds": seconds,
        "peak_rss": peak_rss,
        "rss_growth": max(peak_rss - rss_before, 0),
        "bytes": size,
        "heap_peak": heap_peak,
    }


if __name__ == "__main__":
    main()
