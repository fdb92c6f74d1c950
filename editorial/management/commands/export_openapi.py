"""export_openapi: write the data API's OpenAPI document to docs/openapi.json.

    python manage.py export_openapi            # rewrite the committed copy
    python manage.py export_openapi --check    # exit 1 if the copy is out of date
    python manage.py export_openapi --output - # print it
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from editorial.api.document import (
    COMMITTED_PATH,
    committed_document,
    document_text,
    openapi_document,
)


class Command(BaseCommand):
    help = "Write the data API's OpenAPI document (default: docs/openapi.json)."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(COMMITTED_PATH), help="a path, or - for stdout")
        parser.add_argument(
            "--check", action="store_true",
            help="write nothing; fail when the file differs from the served document",
        )

    def handle(self, *args, output, check, **options):
        document = openapi_document()
        if check:
            if committed_document(Path(output)) != document:
                raise CommandError(
                    f"{output} is out of date: run `python manage.py export_openapi`."
                )
            self.stdout.write(f"{output} is up to date.")
            return
        text = document_text(document)
        if output == "-":
            sys.stdout.write(text)
            return
        Path(output).write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {output} ({len(document['paths'])} paths).")
