"""Search latency: the bigram index beside a naive icontains query, measured alike.

    python -m bench.search [--runs 25] [--articles 50000]
    python -m bench.search --articles 50000,200000   # both archives, compared
    python -m bench                      # every bench, this one included

The archive is bench/_dataset.py's (10 years of weekly issues, ~50,000 articles by
default, in BENCH_DATABASE_URL; ``--articles 200000`` builds the bigger one and prints
how long the build and its index took; given several sizes, each archive lives in a
database of its own and the bench ends by comparing their p95s). For common 2–4 character queries and two
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
import json
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
GROWTH_LIMIT = 2.0  # p95 at the biggest archive within 2x of the smallest's
RESULT_MARK = "bench-result: "


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
    from editorial.sanitising import html_to_text
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
            search.snippet([article.summary, html_to_text(article.body), article.source], query.highlight)
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
    by_group: dict[str, list[float]] = {"phrases": [], "one character": []}
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
        by_group["one character" if text in ONE_CHARACTER else "phrases"].extend(timings)
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
    figures = {group: percentile(values, 0.95) for group, values in by_group.items()}
    figures["articles"] = total_articles
    figures["build_s"] = built
    print(RESULT_MARK + json.dumps(figures))


def database_for(size: int, sizes: list[int]) -> str:
    """The default bench database for the first size, one of its own for each other."""
    from bench._dataset import bench_database_url

    base = bench_database_url()
    return base if size == sizes[0] else f"{base}_{size // 1000}k"


def run_child(runs: int, size: int, database_url: str) -> dict | None:
    # A process of its own: Django is configured for that archive's database there only.
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.search", "--child", "--runs", str(runs), "--articles", str(size)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "BENCH_DATABASE_URL": database_url},
    )
    result = None
    for line in child.stdout:  # streamed, so a long build shows its progress
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK):])
        else:
            print(line, end="", flush=True)
    if child.wait(timeout=3600):
        print(f"bench.search failed (exit {child.returncode})")
    return result


def compare(results: dict[int, dict]) -> None:
    sizes = sorted(results)
    small, big = results[sizes[0]], results[sizes[-1]]
    print(f"\np95 as the archive grows ({sizes[0]:,} → {sizes[-1]:,} articles, same runs and queries):")
    for group in ("phrases", "one character"):
        ratio = big[group] / small[group]
        verdict = "met" if ratio <= GROWTH_LIMIT else "NOT met"
        print(f"  {group:<14} {small[group]:>6.1f} ms → {big[group]:>6.1f} ms  ({ratio:.2f}×; target ≤ {GROWTH_LIMIT:.0f}× — {verdict})")
    for size in sizes:
        if results[size]["build_s"] > 5:
            print(f"  build of {size:,} articles with its index: {results[size]['build_s']:.0f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=25, help="timed runs of each query, for ours and the baseline alike")
    parser.add_argument("--articles", default="50000", help="archive size, or sizes separated by commas")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    sizes = [int(size) for size in str(args.articles).split(",")]
    if args.child:
        measure(args.runs, sizes[0])
        return
    results = {}
    for size in sizes:
        result = run_child(args.runs, size, database_for(size, sizes))
        if result is not None:
            results[size] = result
    if len(results) > 1:
        compare(results)


if __name__ == "__main__":
    main(sys.argv[1:])
