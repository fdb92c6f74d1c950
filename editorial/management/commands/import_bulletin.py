"""import_bulletin FILE: a bulletin's text, .docx or PDF becomes a draft issue.

A stable interface other tools rely on: the issue id is the last line printed, and
``--dry-run --json`` prints one JSON object and writes nothing. Without ``--number`` the
issue gets the number the file states ("2020年第48期"), else the bulletin's next free one.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from editorial.models import Bulletin
from editorial.selectors.imports import section_names
from editorial.services import importing, upload_parsing
from editorial.services.errors import ServiceError
from editorial.services.publishing import publish_back_catalogue_issue


class Command(BaseCommand):
    help = "Import a bulletin (plain text, .docx or PDF) as a draft issue."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--bulletin", help="slug of the bulletin (created if missing)")
        parser.add_argument(
            "--sections", help="comma-separated section names, in order (e.g. 产业环境,运营竞争)"
        )
        parser.add_argument("--date", type=date.fromisoformat, help="issue date, YYYY-MM-DD")
        parser.add_argument(
            "--number",
            type=int,
            help="issue number (default: the one the file states, else the next free one)",
        )
        parser.add_argument("--dry-run", action="store_true", help="parse only, save nothing")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--publish-as",
            metavar="USERNAME",
            help="approve and publish at once (back catalogue); the user must be a publisher",
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        sections = self._section_names(options)
        try:
            parsed = upload_parsing.parse_upload(data=data, filename=path.name, sections=sections)
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        if options["date"]:
            parsed.issue_date = options["date"]

        if options["dry_run"]:
            year = parsed.issue_date.year if parsed.issue_date else None
            proposals = upload_parsing.propose_metrics(parsed, year=year)
            report = upload_parsing.dry_run_report(parsed, proposals)
            if options["json"]:
                self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            else:
                self._print_summary(report)
            return

        if not options["bulletin"]:
            raise CommandError("--bulletin SLUG is required unless --dry-run is given.")
        publisher = self._user(options["publish_as"]) if options["publish_as"] else None
        try:
            with transaction.atomic():
                bulletin, created = importing.ensure_bulletin(
                    slug=options["bulletin"], sections=sections, name=parsed.bulletin_name
                )
                issue = importing.import_bulletin(
                    parsed=parsed,
                    bulletin=bulletin,
                    user=publisher,
                    issue_date=options["date"],
                    number=options["number"],
                )
                if publisher is not None:
                    publish_back_catalogue_issue(issue=issue, user=publisher)
        except ServiceError as exc:
            if exc.code == "duplicate-number" and not options["number"]:
                raise CommandError(f"{exc} (the number stated in the file; use --number)") from exc
            raise CommandError(str(exc)) from exc
        if created:
            self.stderr.write(f"Created bulletin “{bulletin.slug}” with sections: "
                              f"{', '.join(sections or []) or '(none)'}")
        if options["json"]:
            self.stdout.write(json.dumps({"issue": issue.pk, "state": issue.state}))
        else:
            self.stdout.write(
                f"{issue.display_title}: {issue.articles.count()} articles, "
                f"{issue.metrics.count()} suggested metrics, "
                f"{issue.import_warnings.count()} warnings"
            )
        self.stdout.write(str(issue.pk))

    def _section_names(self, options) -> list[str] | None:
        if options["sections"]:
            return [s.strip() for s in options["sections"].split(",") if s.strip()]
        if not options["bulletin"]:
            return None
        try:  # a read only; a dry run still works without a database
            bulletin = Bulletin.objects.filter(slug=options["bulletin"]).first()
            return section_names(bulletin) if bulletin else None
        except DatabaseError:
            if options["dry_run"]:
                return None
            raise

    def _user(self, username: str):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc

    def _print_summary(self, report: dict) -> None:
        self.stdout.write(
            f"Bulletin: {report['bulletin'] or '?'}   date: {report['date'] or '?'}   "
            f"number: {report.get('number') or '?'}"
        )
        for section in report["sections"]:
            self.stdout.write(f"  {section['title'] or '(no section)'}")
            for article in section["articles"]:
                self.stdout.write(f"    · {article['title']}")
        self.stdout.write(f"{len(report['metrics'])} key figures proposed")
        for warning in report["warnings"]:
            self.stdout.write(f"  line {warning['line']}: {warning['message']}")
