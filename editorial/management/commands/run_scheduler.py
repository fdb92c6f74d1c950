"""run_scheduler: the periodic jobs celery beat runs, for a site without beat (the demo).

Every ``--interval`` seconds (30 by default) it publishes the scheduled issues that are
due, and at beat's own rhythm sweeps renditions (every minute), deliveries (every two
minutes) and stored files past retention (hourly). Each job calls the same service as
beat's task; publishing records the scheduler's heartbeat, which the admin's desk reads.
"""

from __future__ import annotations

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from editorial.services import rendering, retention
from editorial.services.delivery import fan_out_due_deliveries, queue_delivery_batches
from editorial.services.notifying import send_due_digests
from editorial.services.publishing import publish_due_issues

logger = logging.getLogger(__name__)


def sweep_deliveries() -> int:
    due = fan_out_due_deliveries()
    if due:
        queue_delivery_batches(due)
    return len(due)


# (name, every so many seconds, job): beat's schedule in bulletin/settings.py.
JOBS = (
    ("publish_due_issues", 30.0, publish_due_issues),
    ("sweep_renditions", 60.0, rendering.sweep_renditions),
    ("sweep_deliveries", 120.0, sweep_deliveries),
    ("sweep_stored_files", 3600.0, retention.sweep_stored_files),
    ("send_notification_digests", 300.0, send_due_digests),
)


class Scheduler:
    def __init__(self, jobs=JOBS, clock=time.monotonic):
        self.jobs = jobs
        self.clock = clock
        self.last_run: dict[str, float] = {}

    def run_due(self) -> dict[str, object]:
        """Run each job whose time has come (all of them on the first call)."""
        now, results = self.clock(), {}
        for name, every, job in self.jobs:
            last = self.last_run.get(name)
            if last is not None and now - last < every:
                continue
            self.last_run[name] = now
            try:
                results[name] = job()
            except Exception:  # one failing job must not stop the others or the loop
                logger.exception("Periodic job %s failed", name)
                results[name] = None
        return results


class Command(BaseCommand):
    help = "Run the periodic jobs (publish due issues, sweeps) in a loop, for a site without beat."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0, metavar="SECONDS",
                            help="seconds between two rounds (default: 30)")
        parser.add_argument("--once", action="store_true", help="run one round and stop")

    def handle(self, *args, interval: float, once: bool, **options):
        scheduler = Scheduler()
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        self.stdout.write(f"Scheduler running every {interval:g} s.")
        while True:
            results = scheduler.run_due()
            published = results.get("publish_due_issues") or []
            for issue_id in published:
                self.stdout.write(f"Published issue {issue_id}")
            if once or stopping:
                return
            close_old_connections()  # a long-lived process must not keep a dead connection
            # Sleep in short steps so that SIGTERM (make demo's Ctrl-C) ends it quickly.
            deadline = time.monotonic() + interval
            while time.monotonic() < deadline and not stopping:
                time.sleep(min(1.0, interval))
            if stopping:
                return
