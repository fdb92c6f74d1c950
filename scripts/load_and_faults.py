"""Load and faults: the production processes under a steady load, then broken on purpose.

    python scripts/load_and_faults.py [--steady 180] [--rate 8] [--subscribers 2000]

Everything runs on this machine, on loopback, in a temporary folder, with services of
its own (scripts/stack.py): a PostgreSQL cluster (initdb), a redis-server, moto's S3
server and an SMTP sink on free ports, so restarting them touches nobody else's. The
stack is gunicorn (2 workers), one Celery worker per queue and beat.

1. A steady rate of requests (public pages, search, the admin signed in) starts; an
   issue is published to ``--subscribers`` subscribers: the render worker typesets it,
   the deliver worker sends the e-mails.
2. Faults, one after another, while the load goes on: the render worker is SIGKILLed
   while it renders; the deliver worker while it sends; the default worker while it
   parses an import; Redis is stopped for 30 s (an issue is published meanwhile);
   PostgreSQL is restarted once.
3. It waits for the work to finish (bounded), then prints latency percentiles, errors,
   e-mails sent (and any address sent twice), renders completed and how long each fault
   took to recover from, as text and as one JSON line.

Bounded: at most ``--rate`` requests a second and ``--max-requests`` in all, and the
whole run stops after ``--deadline`` seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.stack import (  # the project root is importable only from here on
    MotoS3Server,
    PostgresCluster,
    RedisServer,
    SmtpSink,
    Stack,
)

BUCKET = "bulletin-load"
ADMIN = ("loadadmin", "load-admin-" + "x7Q" * 6)
# The stack's settings for this run: sends unthrottled (the SMTP sink is local), a killed
# worker's claims and unacknowledged tasks come back within half a minute.
STACK_ENV = {
    "DELIVERY_RATE_LIMIT": "100000",
    "DELIVERY_LEASE_SECONDS": "30",
    "CELERY_VISIBILITY_TIMEOUT": "30",
    "LOG_FORMAT": "plain",
}


@dataclass
class Sample:
    at: float
    kind: str
    status: int
    seconds: float


@dataclass
class Load:
    """Requests at a fixed rate from a thread pool, each recorded; bounded in count."""

    port: int
    rate: float
    max_requests: int
    admin_cookie: str = ""
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    public_paths: list[str] = field(default_factory=list)
    search_paths: list[str] = field(default_factory=list)
    admin_paths: list[str] = field(default_factory=list)

    def one(self, kind: str, path: str) -> None:
        started = time.perf_counter()
        status = 0
        headers = {"Accept-Language": "zh-CN"}
        if kind == "admin":
            headers["Cookie"] = self.admin_cookie
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
            connection.close()
        except OSError:
            status = 0
        with self.lock:
            self.samples.append(Sample(time.monotonic(), kind, status, time.perf_counter() - started))

    def run(self) -> None:
        plan = ([("public", p) for p in self.public_paths] * 2 + [("search", p) for p in self.search_paths]
                + [("admin", p) for p in self.admin_paths])
        interval = 1 / self.rate
        with ThreadPoolExecutor(max_workers=24) as pool:
            n = 0
            next_at = time.monotonic()
            while not self.stopping.is_set() and n < self.max_requests:
                kind, path = plan[n % len(plan)]
                pool.submit(self.one, kind, path)
                n += 1
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread

    def window(self, start: float, end: float) -> list[Sample]:
        with self.lock:
            return [s for s in self.samples if start <= s.at < end]


def percentiles(samples: list[Sample]) -> dict:
    ok = sorted(s.seconds for s in samples if s.status == 200)
    errors = sum(1 for s in samples if s.status != 200)

    def pct(q):
        return round(ok[min(len(ok) - 1, int(len(ok) * q))] * 1000, 1) if ok else None

    return {"requests": len(samples), "errors": errors, "p50_ms": pct(0.50),
            "p95_ms": pct(0.95), "p99_ms": pct(0.99)}


# --- Data, written from this process into the stack's database ----------------------------------


def seed(subscribers: int) -> dict:
    from django.contrib.auth import get_user_model

    from bench._sample_issue import build_sample_issue
    from editorial.models import Bulletin, Organisation, Subscriber, Subscription
    from editorial.workflow import PUBLISHER, IssueState

    user_model = get_user_model()
    admin = user_model.objects.create_superuser(ADMIN[0], "load@example.org", ADMIN[1])
    publisher = user_model.objects.create_user("loadpublisher", "pub@example.org", "x" * 20,
                                               is_staff=True)
    from django.contrib.auth.models import Group

    publisher.groups.add(Group.objects.get(name=PUBLISHER))
    public = build_sample_issue(slug="load", number=46, publish=True)
    outage = build_sample_issue(slug="load", number=48, publish=False, seed=7)
    Bulletin.objects.create(name="信息产业监测（订阅版）", slug="load-deliver")
    delivered = build_sample_issue(slug="load-deliver", number=47, publish=False, seed=2021)
    for issue in (outage, delivered):
        issue.state = IssueState.APPROVED
        issue.save(update_fields=["state"])
    organisation = Organisation.objects.create(name="压测订阅单位")
    people = Subscriber.objects.bulk_create([
        Subscriber(organisation=organisation, name=f"读者{n}", email=f"reader{n:04d}@example.org",
                   language=("zh-hans", "en")[n % 2])
        for n in range(subscribers)
    ])
    Subscription.objects.bulk_create([
        Subscription(subscriber=s, bulletin=delivered.bulletin, formats=["pdf_link"]) for s in people
    ])
    articles = list(public.articles.order_by("position").values_list("pk", flat=True)[:6])
    return {"admin": admin, "publisher": publisher, "public": public, "outage": outage,
            "delivered": delivered, "articles": articles}


def db_retry(function, *, attempts: int = 60):
    """Run a query from this process, reconnecting while PostgreSQL restarts."""
    from django.db import InterfaceError, OperationalError, connection

    for _ in range(attempts):
        try:
            return function()
        except (OperationalError, InterfaceError):
            connection.close()
            time.sleep(0.5)
    return function()


def admin_cookie(port: int) -> str:
    """Sign in through the login form, as a person does; the session cookie."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/admin/login/")
    response = connection.getresponse()
    page = response.read().decode()
    cookies = {c.split("=", 1)[0]: c.split(";")[0] for c in response.headers.get_all("Set-Cookie")}
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urlencode({"username": ADMIN[0], "password": ADMIN[1],
                      "csrfmiddlewaretoken": token, "next": "/admin/"})
    connection.request("POST", "/admin/login/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies["csrftoken"],
        "Referer": f"http://127.0.0.1:{port}/admin/login/",
    })
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"admin sign-in answered {response.status}")
    session = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie")
               if c.startswith("sessionid=")]
    return "; ".join([cookies["csrftoken"], *session])


# --- The run --------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steady", type=float, default=180, help="seconds of load before the faults")
    parser.add_argument("--rate", type=float, default=8, help="requests a second")
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--max-requests", type=int, default=10_000)
    parser.add_argument("--deadline", type=float, default=1200, help="seconds for the whole run")
    parser.add_argument("--redis-outage", type=float, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the folder with the logs")
    args = parser.parse_args(argv)

    started = time.monotonic()
    hard_stop = started + args.deadline
    workdir = Path(tempfile.mkdtemp(prefix="bulletin-load-"))
    print(f"logs in {workdir}", flush=True)
    events: list[tuple[float, str]] = []
    recovery: dict[str, float | str | None] = {}

    def note(label: str) -> float:
        now = time.monotonic()
        events.append((now, label))
        print(f"[{now - started:7.1f}s] {label}", flush=True)
        return now

    def wait(predicate, timeout: float, what: str):
        end = min(time.monotonic() + timeout, hard_stop)
        while time.monotonic() < end:
            value = db_retry(predicate)
            if value:
                return value
            time.sleep(0.2)
        note(f"gave up waiting for {what}")
        return None

    with contextlib.ExitStack() as stack_of:
        postgres = stack_of.enter_context(PostgresCluster(workdir))
        redis = stack_of.enter_context(RedisServer(workdir))
        s3 = stack_of.enter_context(MotoS3Server(workdir))
        smtp = stack_of.enter_context(SmtpSink())
        s3.create_bucket(BUCKET)
        import psycopg

        with psycopg.connect(postgres.url("postgres"), autocommit=True) as admin_db:
            admin_db.execute("CREATE DATABASE bulletin_load")
        stack = Stack(workdir, database_url=postgres.url("bulletin_load"), redis_url=redis.url,
                      s3=s3, bucket=BUCKET, smtp_port=smtp.port, env=STACK_ENV,
                      worker_concurrency={"deliver": 2})
        note("migrating")
        stack.manage("migrate", "--noinput")
        os.environ.update(stack.env)  # this process: the same database, broker and bucket
        import django

        django.setup()
        from django.urls import reverse

        from editorial.models import Delivery, ImportJob, Rendition
        from editorial.services import import_jobs, import_previews, publishing

        note("seeding")
        data = seed(args.subscribers)
        stack_of.callback(stack.stop)
        stack.start(timeout=90)
        note("stack started")

        public = data["public"]
        slug, number = public.bulletin.slug, public.number
        load = Load(port=stack.web_port, rate=args.rate, max_requests=args.max_requests,
                    admin_cookie=admin_cookie(stack.web_port))
        load.public_paths = ["/", reverse("editorial:issue", args=[slug, number])] + [
            reverse("editorial:article", args=[slug, number, pk]) for pk in data["articles"]
        ]
        load.search_paths = [reverse("editorial:search") + "?" + urlencode({"q": q})
                             for q in ("5G", "数据中心", "人工智能", "云计算")]
        load.admin_paths = ["/admin/", "/admin/editorial/issue/",
                            "/admin/editorial/article/?" + urlencode({"q": "数据"}), "/admin/editorial/delivery/"]
        loader = load.start()
        steady_start = note("steady load started")

        delivered = data["delivered"]
        publishing.publish_issue(issue=delivered, user=data["publisher"])
        note(f"published issue {delivered.pk} to {args.subscribers} subscribers")

        def sent() -> int:
            return Delivery.objects.filter(issue=delivered, state=Delivery.State.SENT).count()

        def pdf_state(issue):
            row = Rendition.objects.filter(issue=issue, kind="pdf", is_current=True).first()
            return row.state if row else None

        # Render worker: killed while it typesets; deliver worker: killed while it sends.
        # Both are restarted at once (as a supervisor would), then both recoveries awaited.
        render_killed = deliver_killed = None
        if wait(lambda: pdf_state(delivered) == Rendition.State.RUNNING, 60, "the render"):
            time.sleep(0.3)
            stack.workers["render"].kill()
            render_killed = note("SIGKILL render worker mid-render")
            recovery["render_killed_mid_task"] = pdf_state(delivered) == Rendition.State.RUNNING
            stack.workers["render"].start(timeout=60)
        target = max(1, args.subscribers // 5)
        if wait(lambda: sent() >= target, 120, f"{target} e-mails"):
            stack.workers["deliver"].kill()
            deliver_killed = note(f"SIGKILL deliver worker mid-delivery ({sent()} sent)")
            recovery["deliver_sent_at_kill"] = sent()
            stack.workers["deliver"].start(timeout=60)
        pending = {"render": render_killed, "deliver": deliver_killed}
        checks = {"render": lambda: pdf_state(delivered) == Rendition.State.SUCCEEDED,
                  "deliver": lambda: sent() >= args.subscribers}
        until = min(time.monotonic() + 400, hard_stop)
        while any(pending.values()) and time.monotonic() < until:
            for name, killed in list(pending.items()):
                if killed and db_retry(checks[name]):
                    recovery[f"{name}_kill_s"] = round(time.monotonic() - killed, 1)
                    pending[name] = None
                    note(f"{name} recovered ({sent()} e-mails sent)")
            time.sleep(0.2)

        remaining = steady_start + args.steady - time.monotonic()
        if remaining > 0:
            note(f"steady load for {remaining:.0f} s more")
            time.sleep(min(remaining, max(0.0, hard_stop - time.monotonic())))
        steady_end = note("faults begin")

        # Default worker: killed while it parses an import (the issue's own PDF).
        pdf_row = Rendition.objects.get(issue=delivered, kind="pdf", is_current=True)
        with pdf_row.file.open("rb") as handle:
            pdf_bytes = handle.read()
        job = import_jobs.create_import_job(data=pdf_bytes, filename="回读.pdf",
                                            bulletin=public.bulletin, user=data["admin"])
        import_previews.request_preview_parse(job=job)

        def parse_started():
            return (ImportJob.objects.get(pk=job.pk).report or {}).get("parse_started_at")

        if wait(parse_started, 60, "the import parse"):
            stack.workers["default"].kill()
            killed = note("SIGKILL default worker mid-parse")
            recovery["default_killed_mid_task"] = (
                ImportJob.objects.get(pk=job.pk).state == ImportJob.State.PENDING
            )
            stack.workers["default"].start(timeout=60)
            settled = wait(lambda: ImportJob.objects.get(pk=job.pk).state in (
                ImportJob.State.PREVIEWED, ImportJob.State.FAILED), 300, "the killed parse")
            state = ImportJob.objects.get(pk=job.pk).state
            recovery["default_kill_s"] = round(time.monotonic() - killed, 1) if settled else None
            recovery["default_kill_outcome"] = state
            note(f"import job after the kill: {state}")

        # Redis: stopped for the outage; an issue is published meanwhile.
        redis.stop()
        redis_down = note("Redis stopped")
        outage_issue = data["outage"]
        publishing.publish_issue(issue=outage_issue, user=data["publisher"])
        note(f"published issue {outage_issue.pk} while Redis is down")
        time.sleep(args.redis_outage)
        redis.start()
        redis_up = note(f"Redis started after {time.monotonic() - redis_down:.0f} s")
        done = wait(lambda: pdf_state(outage_issue) == Rendition.State.SUCCEEDED, 300,
                    "the render published during the outage")
        recovery["redis_outage_render_s"] = round(time.monotonic() - redis_up, 1) if done else None
        note("render of the issue published during the outage completed")

        # PostgreSQL: restarted once.
        pg_down = note("PostgreSQL restarting")
        down_for = postgres.restart()
        note(f"PostgreSQL up again after {down_for:.1f} s")
        time.sleep(15)
        recovery["postgres_restart_down_s"] = round(down_for, 1)

        # The tail: requests after the last fault, then the final counts.
        time.sleep(15)
        load.stopping.set()
        loader.join(timeout=60)
        end = note("load stopped")
        time.sleep(2)  # a late duplicate would land now

        def first_ok_after(t0: float, t1: float) -> float | None:
            """Seconds from t0 to the first good answer after the last bad one before t1."""
            later = [s for s in load.window(t0, t1) if s.status == 200]
            bad = [s for s in load.window(t0, t1) if s.status != 200]
            if not bad:
                return 0.0
            last_bad = max(s.at for s in bad)
            after = [s.at for s in later if s.at > last_bad]
            return round(min(after) - t0, 1) if after else None

        recovery["redis_requests_ok_after_s"] = first_ok_after(redis_down, pg_down)
        recovery["redis_outage_errors"] = sum(
            1 for s in load.window(redis_down, pg_down) if s.status != 200)
        recovery["postgres_requests_ok_after_s"] = first_ok_after(pg_down, end)
        recovery["postgres_restart_errors"] = sum(
            1 for s in load.window(pg_down, end) if s.status != 200)
        duplicates = {a: n for a, n in smtp.recipients.items() if n > 1}
        expected = {f"reader{n:04d}@example.org" for n in range(args.subscribers)}
        renders = db_retry(lambda: Rendition.objects.filter(
            state=Rendition.State.SUCCEEDED, is_current=True).count())
        per_kind = defaultdict(list)
        for sample in load.window(steady_start, end):
            per_kind[sample.kind].append(sample)
        report = {
            "steady": percentiles(load.window(steady_start, steady_end)),
            "faults": percentiles(load.window(steady_end, end)),
            "all": percentiles(load.window(steady_start, end)),
            "by_kind": {kind: percentiles(samples) for kind, samples in sorted(per_kind.items())},
            "status_counts": dict(Counter(s.status for s in load.window(steady_start, end))),
            "deliveries_sent_rows": db_retry(sent),
            "emails_received": sum(smtp.recipients[a] for a in expected),
            "distinct_recipients": len(expected & set(smtp.recipients)),
            "duplicates": duplicates,
            "renders_completed": renders,
            "recovery": recovery,
            "seconds": round(end - started, 1),
        }
        print("\n" + json.dumps(report, ensure_ascii=False))
        if args.keep:
            print(f"logs kept in {workdir}")
        for process in stack.processes:
            with contextlib.suppress(Exception):
                process.signal_group(signal.SIGTERM)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    ok = (report["distinct_recipients"] == args.subscribers and not duplicates
          and report["emails_received"] == args.subscribers)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
