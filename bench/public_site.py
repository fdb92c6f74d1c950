"""Public page throughput: cached issue and article pages beside the same HTML served
as a static file (the ceiling), all by gunicorn with 2 workers on loopback, in one run.

    python -m bench.public_site [--seconds 8] [--concurrency 4]
    python -m bench                      # every bench, this one included

Uses the 50,000-article archive of bench/_dataset.py (BENCH_DATABASE_URL) and Redis
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/14) as the page cache. The static
file is the issue page's own HTML, put in a STATIC_ROOT that WhiteNoise serves from the
same gunicorn. The load generator is wrk (Debian's package; one thread, written in C, so
it takes a small share of the two cores and the server saturates first) when it is
installed, else plain Python (processes × threads, one connection per request, as
gunicorn's sync workers close each one), bounded in requests and time, against
127.0.0.1 only; the report says which. "uncached" asks for the page with an unknown
parameter, which the page cache never stores: what a page costs to render.
Targets: cached ≥ ½ static; the uncached issue page ≥ ⅕ static.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MAX_REQUESTS = 200_000  # per target, across all clients: a hard bound beside the time
TARGET_RATIO = 0.5
UNCACHED_TARGET_RATIO = 0.2
WRK = shutil.which("wrk")
ROUNDS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- The load generator --------------------------------------------------------------------------


def _client(port: int, path: str, deadline: float, budget: int, out) -> None:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    remaining = [budget]

    def loop():
        nonlocal errors
        local: list[float] = []
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                conn.request("GET", path, headers={"Accept-Language": "zh-CN"})
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    errors += 1
                    continue
            except OSError:
                errors += 1
                continue
            local.append(time.perf_counter() - started)
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=loop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((latencies, errors))


def run_wrk(port: int, path: str, *, seconds: float, concurrency: int) -> dict:
    """``wrk`` with one thread and ``concurrency`` × 2 connections (as many as the Python clients)."""
    completed = subprocess.run(
        [WRK, "-t1", f"-c{concurrency * 2}", f"-d{max(1, round(seconds))}s", "--latency",
         f"http://{HOST}:{port}{path}"],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )
    out = completed.stdout

    def latency_ms(label: str) -> float:
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] == label:
                value = parts[1]
                for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
                    if value.endswith(unit):
                        return float(value[: -len(unit)]) * scale
        return float("nan")

    rps = next(float(line.split()[1]) for line in out.splitlines() if line.startswith("Requests/sec:"))
    errors = 0
    for line in out.splitlines():
        if "Non-2xx" in line or line.strip().startswith("Socket errors"):
            errors += sum(int(part) for part in line.replace(",", " ").split() if part.isdigit())
    return {"rps": rps, "errors": errors, "p50": latency_ms("50%"), "p95": latency_ms("99%")}


def run_load(port: int, path: str, *, seconds: float, concurrency: int) -> dict:
    """Hit ``path`` from ``concurrency`` client processes (2 threads each) for ``seconds``."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    started = time.monotonic()
    deadline = started + seconds
    per_client = MAX_REQUESTS // concurrency
    processes = [
        multiprocessing.Process(target=_client, args=(port, path, deadline, per_client, queue))
        for _ in range(concurrency)
    ]
    for process in processes:
        process.start()
    latencies: list[float] = []
    errors = 0
    for _ in processes:
        got, failed = queue.get(timeout=seconds + 60)
        latencies.extend(got)
        errors += failed
    for process in processes:
        process.join(timeout=10)
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000 if latencies else float("nan"),
        "p95": latencies[int(len(latencies) * 0.95)] * 1000 if latencies else float("nan"),
    }


# --- Setup ------------------------------------------------------------------------------------------


def _fetch(port: int, path: str) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", path, headers={"Accept-Language": "zh-CN"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


def _wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if _fetch(port, "/healthz")[0] in (200, 503):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def measure(seconds: float, concurrency: int) -> None:
    from bench import _dataset

    _dataset.ensure_database_exists()
    _dataset.configure_django()
    _dataset.build()

    import redis
    from django.conf import settings

    from editorial.models import Article, Issue

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        print(f"Redis at {settings.REDIS_URL} is unreachable ({exc}): the page cache cannot be measured.")
        return
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the bench's own database number

    issue = Issue.objects.filter(bulletin__slug=_dataset.BULLETIN_SLUG).order_by("-issue_date").first()
    article = Article.objects.filter(issue=issue).order_by("section__position", "position")[3]
    pages = {"issue": issue.get_absolute_url(), "article": article.get_absolute_url()}

    static_root = Path(tempfile.mkdtemp(prefix="bench-static-"))
    port = _free_port()
    env = {
        **os.environ,
        "STATIC_ROOT": str(static_root),
        "WHITENOISE_USE_FINDERS": "0",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable, "-m", "gunicorn", "bulletin.wsgi:application",
        "--workers", "2", "--bind", f"{HOST}:{port}", "--log-level", "warning",
        "--backlog", "256",
    ]

    def start():
        return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)

    def stop(server):
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    # The hashed static files the pages link to, as a deployment collects them.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )
    # First start: render the pages once, to write their HTML as the static files.
    server = start()
    try:
        _wait_for(port)
        for name, path in pages.items():
            status, _headers, body = _fetch(port, path)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            (static_root / "bench").mkdir(exist_ok=True)
            (static_root / "bench" / f"{name}.html").write_bytes(body)
    finally:
        stop(server)
    # Second start: WhiteNoise indexes STATIC_ROOT when the workers start.
    server = start()
    results = {}
    try:
        _wait_for(port)
        targets = []
        for name, path in pages.items():
            size = (static_root / "bench" / f"{name}.html").stat().st_size
            targets += [
                (f"{name}: static file", f"/static/bench/{name}.html", size),
                (f"{name}: cached page", path, size),
                (f"{name}: uncached (rendered)", path + "?bench=uncached", size),
            ]
        for _label, path, _size in targets:
            _fetch(port, path)  # warm: the cached page is stored here
        status, headers, _body = _fetch(port, pages["issue"])
        assert status == 200 and headers.get("X-Page-Cache") == "hit", "the issue page is not cached"
        load = run_wrk if WRK else run_load
        clients = (f"wrk, 1 thread, {concurrency * 2} connections (latency column: p99)" if WRK
                   else f"Python, {concurrency} processes × 2 threads")
        print(
            f"gunicorn: 2 sync workers on {HOST}:{port}; load: {clients}; "
            f"static, cached and uncached interleaved in {ROUNDS} rounds of {seconds / ROUNDS:.1f} s each"
        )
        # Other work on the machine comes and goes; interleaving the static file and the
        # cached page in short rounds gives both the same conditions.
        totals: dict[str, list[dict]] = {label: [] for label, _path, _size in targets}
        for _round in range(ROUNDS):
            for label, path, _size in targets:
                totals[label].append(load(port, path, seconds=seconds / ROUNDS, concurrency=concurrency))
        tail = "p99 ms" if WRK else "p95 ms"
        header = f"{'target':<30}{'bytes':>8}{'req/s':>9}{'p50 ms':>9}{tail:>9}{'errors':>8}"
        print(header)
        print("-" * len(header))
        for label, _path, size in targets:
            runs = totals[label]
            result = {
                "rps": statistics.mean(r["rps"] for r in runs),
                "p50": statistics.median(r["p50"] for r in runs),
                "p95": max(r["p95"] for r in runs),
                "errors": sum(r["errors"] for r in runs),
            }
            results[label] = result
            print(f"{label:<30}{size:>8,}{result['rps']:>9.0f}{result['p50']:>9.1f}{result['p95']:>9.1f}{result['errors']:>8}")
    finally:
        stop(server)
        shutil.rmtree(static_root, ignore_errors=True)
    print()
    for name in pages:
        static = results[f"{name}: static file"]["rps"]
        cached = results[f"{name}: cached page"]["rps"]
        rendered = results[f"{name}: uncached (rendered)"]["rps"]
        ratio = cached / static if static else 0
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        uncached_ratio = rendered / static if static else 0
        uncached_verdict = "met" if uncached_ratio >= UNCACHED_TARGET_RATIO else "NOT met"
        print(
            f"{name}: cached {cached:.0f} req/s = {ratio:.0%} of the static file's {static:.0f} req/s "
            f"(target ≥ {TARGET_RATIO:.0%}: {verdict}); uncached {rendered:.0f} req/s = "
            f"{uncached_ratio:.0%} (target ≥ {UNCACHED_TARGET_RATIO:.0%}"
            + (f": {uncached_verdict})" if name == "issue" else ", for information)")
        )
    articles = Article.objects.filter(issue=issue).count()
    print(f"the issue page holds {articles} articles")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=9.0, help="load time per target (split in rounds)")
    parser.add_argument("--concurrency", type=int, default=2, help="client processes (2 threads each)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    if args.child:
        measure(min(args.seconds, 60.0), max(1, min(args.concurrency, 8)))
        return
    completed = subprocess.run(
        [sys.executable, "-m", "bench.public_site", "--child", "--seconds", str(args.seconds),
         "--concurrency", str(args.concurrency)],
        cwd=ROOT, timeout=1800, check=False,
    )
    if completed.returncode:
        print(f"bench.public_site failed (exit {completed.returncode})")


if __name__ == "__main__":
    main(sys.argv[1:])
