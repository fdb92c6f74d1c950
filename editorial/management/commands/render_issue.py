"""render_issue ISSUE_ID --format pdf|html --output PATH: render an issue now.

Runs the same rendering service the workers use, in this process, and writes the file
(atomically: a temporary file beside PATH, then a rename). Rendition rows are not
touched. Prints pages, size and seconds.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from editorial.models import Issue, Rendition
from editorial.services import rendering
from editorial.typesetting.errors import RenderError


class Command(BaseCommand):
    # A tool other programs call in loops: the system checks (which load every URL,
    # view and admin module) run on deploy and in the web process, not here.
    requires_system_checks = []
    help = "Render an issue to PDF or HTML now and write it to a file."

    def add_arguments(self, parser):
        parser.add_argument("issue_id", type=int)
        parser.add_argument(
            "--format", dest="kind", choices=[k.value for k in Rendition.Kind], default="pdf"
        )
        parser.add_argument("--output", "-o", type=Path, required=True, help="file to write")

    def run_from_argv(self, argv):
        super().run_from_argv(argv)
        # From the command line only (call_command does not come here): the file is
        # written and renamed and the database closed, so skip the interpreter's
        # teardown — freeing the typesetter's font caches alone takes ~0.1 s.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    def handle(self, *args, issue_id: int, kind: str, output: Path, **options):
        started = time.perf_counter()
        try:
            issue = Issue.objects.select_related("bulletin").get(pk=issue_id)
        except Issue.DoesNotExist as exc:
            raise CommandError(f"No issue with id {issue_id}") from exc
        try:
            document = rendering.render_issue_document(issue=issue, kind=kind)
        except RenderError as exc:
            raise CommandError(str(exc)) from exc
        write_atomically(output, document.content)
        seconds = time.perf_counter() - started
        pages = document.pages if document.pages is not None else "-"
        self.stdout.write(
            f"{output}: pages {pages}, size {document.size} bytes, {seconds:.2f} s"
        )


def write_atomically(path: Path, content: bytes) -> None:
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
