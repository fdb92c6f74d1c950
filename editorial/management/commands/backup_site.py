"""backup_site: the database (pg_dump, custom format) and every stored file into a folder."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from editorial.operations import backups


class Command(BaseCommand):
    help = "Back up the database and every stored file (bucket or MEDIA_ROOT) into FOLDER."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="a new or empty folder")

    def handle(self, *args, folder: Path, **options):
        try:
            report = backups.back_up(folder)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backed up the database and {report.files} files "
                          f"({report.bytes} bytes) to {report.folder}")
