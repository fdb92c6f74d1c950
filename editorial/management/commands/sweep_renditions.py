"""sweep_renditions: re-send stuck renditions and queue missing ones (cron or by hand).

The same sweep beat runs every minute (editorial.tasks.sweep_renditions).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from editorial.services import rendering


class Command(BaseCommand):
    help = "Re-queue renditions stuck in queued or running, and queue missing ones."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="SECONDS",
            help="treat as stuck after this many seconds (default: the task time limit + 30)",
        )

    def handle(self, *args, older_than=None, **options):
        report = rendering.sweep_renditions(
            older_than=timedelta(seconds=older_than) if older_than is not None else None
        )
        self.stdout.write(f"Renditions: {report}")
