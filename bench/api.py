"""The data API's latency for a page of 100 metrics, beside a bare ORM read of the same rows.

    python -m bench.api [--requests 300] [--rows 20000]
    python -m bench                         # every bench, this one included

Ours: ``GET /api/v1/metrics?limit=100&offset=…`` through the whole Django stack (every
middleware, token look-up, the rate-limit counter in Redis when reachable, the access
decision, the count and page queries, serialisation, the ETag, the access-log row), timed
from Python with Django's test client, cycling over the first pages. Also the same
requests with a matching ``If-None-Match`` (304). Baseline: the same 100 rows read by one
ORM ``values()`` query with the same joins and ``json.dumps`` — what the endpoint costs
at the least. The data are bench.exports' generator (weekly published issues of 1,000
confirmed metrics) in their own database, BENCH_API_DATABASE_URL (default
``postgres://postgres@127.0.0.1:5432/bulletin_bench_api``), built once and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bulletin_bench_api"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
ROWS = 20_000
REQUESTS = 300
PAGE = 100
PAGES_CYCLED = 20
TARGET_P95_MS = 100.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _reachable(url: str, port: int) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or port), 1.5).close()
    except OSError:
        return False
    return True


# --- The parent: a process of its own for the measurement -----------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=REQUESTS, help="timed requests of each kind")
    parser.add_argument("--rows", type=int, default=ROWS, help="metrics in the bench database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    if args.child:
        measure(requests=args.requests, rows=args.rows)
        return
    url = os.environ.get("BENCH_API_DATABASE_URL", DEFAULT_DATABASE_URL)
    if not _reachable(url, 5432):
        print(f"bench.api needs PostgreSQL at {urlsplit(url).hostname}; skipped.")
        return
    from bench.exports import child_env

    env = child_env(url)
    env["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    env["BULLETIN_API_REQUESTS_PER_MINUTE"] = "100000000"  # counted, never reached
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    if _reachable(redis_url, 6379):
        env["REDIS_URL"] = redis_url
        env["CACHE_KEY_PREFIX"] = "bench-api"
    completed = subprocess.run(
        [sys.executable, "-m", "bench.api", "--child", "--requests", str(args.requests),
         "--rows", str(args.rows)],
        cwd=ROOT, env=env, timeout=1800, check=False,
    )
    if completed.returncode:
        print(f"bench.api failed (exit {completed.returncode})")


# --- The child -----------------------------------------------------------------------------


def _prepare(rows: int) -> tuple[str, bool]:
    """The bench data (bench.exports' builder) and a token of a subscribed organisation."""
    from bench import exports

    exports.prepare(rows)
    from django.db import connection

    with connection.cursor() as cursor:  # a live database has statistics; a fresh build not
        cursor.execute("ANALYZE")
    from editorial.models import ApiToken, Bulletin, Organisation, Subscriber, Subscription
    from editorial.services.api_tokens import token_digest

    bulletin = Bulletin.objects.get(slug=exports.BULLETIN_SLUG)
    organisation, _ = Organisation.objects.get_or_create(name="基准客户单位")
    subscriber, _ = Subscriber.objects.get_or_create(
        email="bench-api@client.example.org", defaults={"organisation": organisation}
    )
    Subscription.objects.get_or_create(subscriber=subscriber, bulletin=bulletin)
    plain = "bk_bench-api-token-for-measuring-only"
    ApiToken.objects.get_or_create(
        token_digest=token_digest(plain),
        defaults={"organisation": organisation, "name": "基准", "prefix": plain[:12]},
    )
    return plain, bool(os.environ.get("REDIS_URL"))


def _baseline_page(offset: int) -> bytes:
    """The same rows as the endpoint's page, by one bare query, as JSON."""
    from editorial.selectors import public as selectors

    fields = (
        "id", "indicator__slug", "indicator__name", "value", "unit", "yoy_percent",
        "period_label", "period_start", "period_end", "sentence", "issue_id",
        "issue__bulletin__slug", "issue__number", "issue__issue_date", "article_id",
        "article__title",
    )
    rows = list(
        selectors.public_metrics()
        .order_by("-issue__issue_date", "-issue_id", "id")
        .values(*fields)[offset : offset + PAGE]
    )
    return json.dumps(rows, default=str, ensure_ascii=False).encode("utf-8")


def measure(*, requests: int, rows: int) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from editorial.models import AccessLogEntry

    started = time.perf_counter()
    plain, with_redis = _prepare(rows)
    print(f"\nData API, a page of {PAGE} metrics from {rows:,} (bench database ready in "
          f"{time.perf_counter() - started:.1f} s; rate-limit counter in "
          f"{'Redis' if with_redis else 'local memory'})")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    offsets = [PAGE * (n % PAGES_CYCLED) for n in range(requests)]
    etags: dict[int, str] = {}

    def ours(offset: int) -> int:
        response = client.get(f"/api/v1/metrics?limit={PAGE}&offset={offset}")
        assert response.status_code == 200, response.content[:300]
        etags[offset] = response["ETag"]
        return len(response.content)

    def revalidated(offset: int) -> int:
        response = client.get(f"/api/v1/metrics?limit={PAGE}&offset={offset}",
                              HTTP_IF_NONE_MATCH=etags[offset])
        assert response.status_code == 304
        return 0

    def baseline(offset: int) -> int:
        return len(_baseline_page(offset))

    for offset in offsets[:PAGES_CYCLED]:  # warm connections, caches and code paths
        ours(offset)
        baseline(offset)
    with CaptureQueriesContext(connection) as queries:
        size = ours(0)
    print(f"one API page: {size / 1024:.0f} KB of JSON, {len(queries.captured_queries)} queries")

    results = {}
    for label, run in (
        ("baseline: ORM values() + json.dumps", baseline),
        ("ours: GET /api/v1/metrics?limit=100", ours),
        ("ours: the same with If-None-Match (304)", revalidated),
    ):
        timings = []
        for offset in offsets:
            t0 = time.perf_counter()
            run(offset)
            timings.append((time.perf_counter() - t0) * 1000)
        results[label] = timings
    print(f"{'':44} {'p50':>8} {'p95':>8} {'max':>8}   ({requests} requests each)")
    for label, timings in results.items():
        print(f"{label:44} {statistics.median(timings):6.1f}ms {percentile(timings, 0.95):6.1f}ms "
              f"{max(timings):6.1f}ms")
    p95 = percentile(results["ours: GET /api/v1/metrics?limit=100"], 0.95)
    base = percentile(results["baseline: ORM values() + json.dumps"], 0.95)
    verdict = "met" if p95 < TARGET_P95_MS else "NOT met"
    print(f"target: API p95 < {TARGET_P95_MS:.0f} ms for a page of {PAGE} — {verdict} "
          f"(p95 {p95:.1f} ms, {p95 / base:.1f}× the bare read)")
    print(f"access-log rows written: {AccessLogEntry.objects.filter(channel='api').count():,} "
          f"(kept across runs until the retention sweep)")
    print(f"load average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores)")


if __name__ == "__main__":
    main(sys.argv[1:])
