"""restore_site: a backup_site folder into an empty database and an empty storage."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from editorial.operations import backups


class Command(BaseCommand):
    help = ("Restore a backup_site FOLDER into this site's database (new, empty) and storage "
            "(empty bucket or MEDIA_ROOT).")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        try:
            report = backups.restore(folder)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored the database and {report.files} files "
                          f"({report.bytes} bytes) from {report.folder}")
