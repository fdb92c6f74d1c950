"""Search latency: the bigram index beside a naive icontains query, measured alike.

    python -m bench.search [--runs 25] [--articles 50000]
    python -m bench                      # every bench, this one included

The archive is bench/_dataset.py's (10 years of weekly issues, ~50,000 articles by
default, in BENCH_DATABASE_URL; ``--articles 200000`` builds the bigger one and prints
how long the build and its index took). For common 2–4 character queries and two
one-character ones, "ours" is what the search page does — the count bounded at the
page's cap, one page of 20 hits with title hits first, and the highlighted snippets
(editorial.selectors.public.PublicArticleSearch) — timed end to end from Python. The baseline
is the same page done naively: ``icontains`` on title, summary, body and source of
published articles, counted up to the same cap, and the first 20 by date.

Both are measured the same way: the same number of runs, interleaved (ours, then the
baseline, run after run), after the same warm-up.
Target: p95 < 100 ms for ours.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["数据", "芯片", "5G", "算力", "运营商", "云计算", "数据中心", "人工智能", "光模块", "激光雷达", "芯片 算力"]
ONE_CHARACTER = ["数", "网"]
TARGET_P95_MS = 100.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(runs: int, articles: int) -> None:
    from bench import _dataset

    _dataset.ensure_database_exists()
    _dataset.configure_django()
    started = time.monotonic()
    _dataset.build(articles=articles)
    built = time.monotonic() - started
    if built > 5:
        print(f"archive of {articles:,} articles built, search columns and GIN index "
              f"included, in {built:.0f} s")

    from django.db import connection

    from editorial import search
    from editorial.models import Article
    from editorial.selectors import public as selectors

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_relation_size('editorial_article')), "
            "pg_size_pretty(pg_relation_size('article_search_gin')), "
            "pg_size_pretty(pg_total_relation_size('editorial_article'))"
        )
        heap, gin, total = cursor.fetchone()
    total_articles = Article.objects.count()
    print(f"articles: {total_articles:,}  article heap: {heap}  GIN index: {gin}  table with TOAST and indexes: {total}")

    def ours(text: str) -> tuple[int, bool]:
        query = search.parse_query(text)
        found = selectors.search_public_articles(query)
        count = found.count()
        for article in found[0:20]:
            search.highlight(article.title, query.highlight)
            search.snippet([article.summary, search.html_text(article.body), article.source], query.highlight)
        return count, found.capped

    cap = selectors.search_public_articles(search.parse_query("数据")).cap

    def naive(text: str) -> tuple[int, bool]:
        articles = search.naive_filter_articles(selectors.public_articles(), text)
        count = articles.order_by()[: cap + 1].count()  # the same cap as ours, no sort
        list(articles.order_by("-issue__issue_date", "-issue__number", "position")[:20])
        return min(count, cap), count > cap

    for text in QUERIES[:3]:  # warm the caches, as a running site would be, for both
        ours(text)
        naive(text)

    print()
    header = f"{'query':<10}{'hits':>8}  {'ours p50':>9}{'ours p95':>9}  {'icontains p50':>14}{'p95':>8}  {'speed-up':>8}"
    print(header)
    print("-" * len(header))
    all_ours: list[float] = []
    all_naive: list[float] = []
    for text in [*QUERIES, *ONE_CHARACTER]:
        timings, naive_timings = [], []
        for _ in range(runs):  # interleaved: one of ours, one of the baseline
            started = time.perf_counter()
            count, capped = ours(text)
            timings.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            naive_count, naive_capped = naive(text)
            naive_timings.append((time.perf_counter() - started) * 1000)
        all_ours.extend(timings)
        all_naive.extend(naive_timings)
        hits = f">{count}" if capped else str(count)
        if (naive_count, naive_capped) != (count, capped):
            hits += f" (icontains {'>' if naive_capped else ''}{naive_count})"
        p50, p95 = statistics.median(timings), percentile(timings, 0.95)
        n50, n95 = statistics.median(naive_timings), percentile(naive_timings, 0.95)
        print(f"{text:<10}{hits:>8}  {p50:>7.1f}ms{p95:>7.1f}ms  {n50:>12.1f}ms{n95:>6.0f}ms  {n50 / p50:>7.1f}×")
    print("-" * len(header))
    p95 = percentile(all_ours, 0.95)
    print(
        f"{'all':<10}{'':>8}  {statistics.median(all_ours):>7.1f}ms{p95:>7.1f}ms  "
        f"{statistics.median(all_naive):>12.1f}ms{percentile(all_naive, 0.95):>6.0f}ms"
    )
    verdict = "met" if p95 < TARGET_P95_MS else "NOT met"
    print(f"\n{runs} runs of each query for both, interleaved; counts capped at {cap} for both")
    print(f"target: search p95 < {TARGET_P95_MS:.0f} ms at {total_articles:,} articles — {verdict} (p95 {p95:.1f} ms)")
    print(f"load average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=25, help="timed runs of each query, for ours and the baseline alike")
    parser.add_argument("--articles", type=int, default=50_000, help="archive size")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    if args.child:
        measure(args.runs, args.articles)
        return
    # A process of its own: Django is configured for the bench database there only.
    completed = subprocess.run(
        [sys.executable, "-m", "bench.search", "--child", "--runs", str(args.runs),
         "--articles", str(args.articles)],
        cwd=ROOT, timeout=1800, check=False,
    )
    if completed.returncode:
        print(f"bench.search failed (exit {completed.returncode})")


if __name__ == "__main__":
    main(sys.argv[1:])
