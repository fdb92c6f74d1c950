"""Rendering issues to PDF (Typst) and HTML, kept as Rendition rows.

The flow: a publish or a correction calls ``queue_issue_renditions`` after commit; it
marks one current Rendition row per kind as queued and sends one task each. The task
calls ``render_rendition``, which

1. claims the row (locked; ``running``, one more attempt — a request that has used up
   RENDER_MAX_ATTEMPTS claims, e.g. because the render kills its worker each time, is
   marked failed instead of looping),
2. builds the issue's data once (editorial.typesetting.render_data) and hashes it with the template,
3. stops there when that hash is the one of the file already stored (same content is
   never rendered twice),
4. renders, writes the file aside under a new name through Django's storage API and
   swaps the row to it in one short transaction; the older files are deleted after
   commit, keeping the one before for readers that already had its name.

So a reader always gets the previous complete file or the new complete one, and a
render that fails leaves the last good file in place with the error on the row.

``sweep_renditions`` (beat and ``manage.py sweep_renditions``) re-sends renditions stuck
in queued or running past the task time limit, those that never reached the broker,
and creates the missing ones of published issues — a publish made while Redis was
down is rendered once it is back.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import posixpath
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.models import Issue, Rendition
from editorial.services.audit import record_action
from editorial.services.errors import PermissionRefused
from editorial.services.queueing import task_named
from editorial.typesetting.render_data import content_hash, data_uri_bytes, issue_render_data
from editorial.workflow import ISSUE_PUBLIC_STATES

logger = logging.getLogger(__name__)

KINDS = (Rendition.Kind.PDF, Rendition.Kind.HTML)
# Bump when the renderer changes what it makes from the same data and templates.
RENDERER_VERSION = "1"
TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates"
TYPST_TEMPLATE = TEMPLATE_DIR / "render" / "issue.typ"
HTML_TEMPLATE = "render/issue.html"
TEMPLATE_FILES = {
    Rendition.Kind.PDF: (TYPST_TEMPLATE,),
    Rendition.Kind.HTML: (
        TEMPLATE_DIR / "render" / "issue.html",
        TEMPLATE_DIR / "editorial" / "_article_blocks.html",
    ),
}
FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")
FONT_DIR_CANDIDATES = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/share/fonts/opentype/noto-cjk",
    "/usr/share/fonts/truetype/noto",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)
# Marks a queued row whose task never reached the broker: the next sweep sends it.
UNSENT_MARK = "[unsent]"
ERROR_LIMIT = 4000


class RenderError(Exception):
    """The issue cannot be rendered as it is (a template or data problem): no retry."""


class TransientRenderError(Exception):
    """The database, storage or broker failed for a moment: the task retries later."""


TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError, OSError)


def max_attempts() -> int:
    return int(getattr(settings, "RENDER_MAX_ATTEMPTS", 3))


def stuck_after() -> timedelta:
    """How long a rendition may sit in queued or running before the sweeper re-sends it."""
    limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or 360
    return timedelta(seconds=int(limit) + 30)


def retry_delay(retries: int) -> int:
    """Seconds before retry number ``retries + 1``: 20 s, 80 s, 320 s … capped at 15 min."""
    return min(900, 20 * 4**retries)


# --- Templates and content hash ------------------------------------------------------------

_digest_cache: dict[tuple, str] = {}


def template_digest(kind: str) -> str:
    """sha256 of the template files a kind is made from (and of the renderer version)."""
    paths = TEMPLATE_FILES[kind]
    key = (kind, *((str(p), p.stat().st_mtime_ns) for p in paths))
    if key not in _digest_cache:
        digest = hashlib.sha256(f"{kind}:{RENDERER_VERSION}".encode())
        for path in paths:
            digest.update(path.read_bytes())
        _digest_cache[key] = digest.hexdigest()
    return _digest_cache[key]


def rendition_hash(data: dict, kind: str) -> str:
    """What a rendition is keyed by: the issue's data and the template that typesets it."""
    return content_hash(data, salt=template_digest(kind))


# --- Typesetting (no database) ----------------------------------------------------------------


def font_dirs() -> list[str]:
    """Folders holding the Noto CJK fonts: RENDER_FONT_DIRS, else the usual places."""
    configured = getattr(settings, "RENDER_FONT_DIRS", None)
    if configured:
        return [str(d) for d in configured]
    found = []
    for candidate in FONT_DIR_CANDIDATES:
        path = Path(candidate)
        if path.is_dir() and any(path.glob("Noto*CJK*")):
            found.append(candidate)
    return found


class _Typesetter:
    """One Typst compiler per process: fonts are found and parsed once, not per render."""

    def __init__(self):
        self.lock = threading.Lock()
        self.compiler = None

    def get(self):
        if self.compiler is None:
            import typst

            dirs = font_dirs()
            fonts = typst.Fonts(
                include_system_fonts=not dirs, include_embedded_fonts=True, font_paths=dirs
            )
            missing = [family for family in FONT_FAMILIES if family not in fonts.families()]
            if missing:
                raise RenderError(
                    "Fonts not found: %s (install fonts-noto-cjk or set RENDER_FONT_DIRS)"
                    % ", ".join(missing)
                )
            self.compiler = typst.Compiler(font_paths=fonts, ignore_system_fonts=bool(dirs))
        return self.compiler

    def warm(self) -> None:
        """Find and parse the fonts now (a tiny document in each face), e.g. in a thread
        while the issue's data is being built; the compiler keeps them loaded."""
        with self.lock:
            compiler = self.get()
            faces = "".join(
                f'#text(font: "{family}", weight: "{weight}")[中文 Aa1，]'
                for family in FONT_FAMILIES
                for weight in ("regular", "bold")
            )
            compiler.compile(input=faces.encode("utf-8"), format="pdf")


_typesetter = _Typesetter()

_IMAGE_EXTENSIONS = {
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def _typst_data(data: dict, root: Path) -> dict:
    """The data as the Typst template reads it: images as files under ``root``.

    Typst has no base64 decoder, so each data-URI image is written once to the
    compile root and the block names the file instead of carrying the bytes.
    """
    result = copy.copy(data)
    result["sections"] = []
    written: dict[str, str] = {}
    for section in data["sections"]:
        section_copy = {**section, "articles": []}
        for article in section["articles"]:
            blocks = []
            for block in article["blocks"]:
                if block["type"] == "figure":
                    block = {**block, "image_file": None}
                    uri = block.pop("image_data_uri", None)
                    if uri:
                        block["image_file"] = _write_image(uri, root, written)
                blocks.append(block)
            section_copy["articles"].append({**article, "blocks": blocks})
        result["sections"].append(section_copy)
    return result


def _write_image(uri: str, root: Path, written: dict[str, str]) -> str | None:
    try:
        mime, content = data_uri_bytes(uri)
    except ValueError:
        return None
    extension = _IMAGE_EXTENSIONS.get(mime)
    if extension is None:
        return None
    name = f"img/{hashlib.sha1(content, usedforsecurity=False).hexdigest()}.{extension}"
    if name not in written:
        (root / "img").mkdir(exist_ok=True)
        (root / name).write_bytes(content)
        written[name] = name
    return "/" + name


_PAGES_COUNT = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b")


def pdf_page_count(pdf: bytes) -> int | None:
    match = _PAGES_COUNT.search(pdf)
    if not match:
        return None
    return int(match.group(1) or match.group(2))


@dataclass
class RenderedDocument:
    kind: str
    content: bytes
    content_hash: str
    pages: int | None = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.content)


def typeset_pdf(data: dict, *, timestamp: datetime | None = None) -> tuple[bytes, int | None, list]:
    """The issue PDF from its data: (bytes, pages, warnings). No database, no storage."""
    template = TYPST_TEMPLATE.read_bytes()
    with tempfile.TemporaryDirectory(prefix="bulletin-typst-") as tmp:
        root = Path(tmp)
        typst_data = _typst_data(data, root)
        with _typesetter.lock:
            compiler = _typesetter.get()

            def compile_once():
                return compiler.compile_with_warnings(
                    input=template,
                    format="pdf",
                    root=str(root),
                    sys_inputs={"issue": json.dumps(typst_data, ensure_ascii=False)},
                    # The PDF's dates come from the issue, so the same content gives the
                    # same bytes.
                    timestamp=timestamp or _issue_timestamp(data),
                )

            try:
                pdf, warnings = compile_once()
            except RuntimeError as exc:  # typst.TypstError
                # One unreadable upload must not cost the whole issue its PDF: print that
                # figure without its image and say so in the log.
                if not _drop_broken_images(compiler, typst_data, root):
                    raise RenderError(_typst_message(exc)) from exc
                try:
                    pdf, warnings = compile_once()
                except RuntimeError as again:
                    raise RenderError(_typst_message(again)) from again
    pdf = open_with_bookmarks(pdf)
    pages = pdf_page_count(pdf)
    return pdf, pages, [getattr(w, "message", str(w)) for w in warnings]


_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref\s*(\d+)\s*%%EOF\s*$", re.S)
_ROOT_REF = re.compile(rb"/Root\s+(\d+)\s+(\d+)\s+R")


def open_with_bookmarks(pdf: bytes) -> bytes:
    """The PDF set to open with its bookmarks panel shown (/PageMode /UseOutlines).

    Typst has no option for the page mode, so the catalog is rewritten as an incremental
    update appended to the file (a new catalog object, a one-entry cross-reference
    section and a trailer pointing back to the original): the bytes Typst wrote stay
    as they are. A PDF this does not recognise is returned unchanged.
    """
    trailer = _TRAILER.search(pdf[-4096:])
    root = _ROOT_REF.search(trailer.group(1)) if trailer else None
    if root is None or b"/Outlines" not in pdf:
        return pdf
    number, generation = root.group(1), root.group(2)
    start = pdf.rfind(b"\n" + number + b" " + generation + b" obj")
    end = pdf.find(b"endobj", start)
    if start < 0 or end < 0:
        return pdf
    body = pdf[start:end]
    opening = body.find(b"<<")
    closing = body.rfind(b">>")
    if opening < 0 or closing < 0 or b"/PageMode" in body:
        return pdf
    catalog = body[opening:closing] + b"/PageMode/UseOutlines>>"
    offset = len(pdf) + 1
    obj = b"\n" + number + b" " + generation + b" obj\n" + catalog + b"\nendobj\n"
    xref_at = offset - 1 + len(obj)
    old_trailer = trailer.group(1)
    size = re.search(rb"/Size\s+(\d+)", old_trailer)
    keep = b"".join(
        m.group(0) for m in re.finditer(rb"/(?:Info|ID)\s*(?:\d+\s+\d+\s+R|\[[^\]]*\])", old_trailer)
    )
    update = (
        obj
        + b"xref\n0 1\n0000000000 65535 f\r\n"
        + number + b" 1\n" + b"%010d %05d n\r\n" % (offset, int(generation))
        + b"trailer\n<</Size " + (size.group(1) if size else b"0") + b"/Root " + number + b" "
        + generation + b" R" + keep + b"/Prev " + trailer.group(2) + b">>\n"
        + b"startxref\n%d\n%%%%EOF\n" % xref_at
    )
    return pdf + update


def _drop_broken_images(compiler, typst_data: dict, root: Path) -> bool:
    """Try each image alone; unset the ones Typst cannot decode. True if any were."""
    checked: dict[str, bool] = {}  # image file → decodes
    for section in typst_data["sections"]:
        for article in section["articles"]:
            for block in article["blocks"]:
                name = block.get("image_file") if block["type"] == "figure" else None
                if not name:
                    continue
                if name not in checked:
                    probe = f'#image("{name}")'.encode()  # a path we made: /img/<sha1>.<ext>
                    try:
                        compiler.compile(input=probe, format="pdf", root=str(root))
                        checked[name] = True
                    except RuntimeError as exc:
                        logger.warning("Figure image %s (article %s) cannot be decoded: %s",
                                       name, article["id"], _typst_message(exc))
                        checked[name] = False
                if not checked[name]:
                    block["image_file"] = None
    return not all(checked.values())


def _issue_timestamp(data: dict) -> datetime:
    issue = data["issue"]
    return datetime(issue["year"], issue["month"], issue["day"], tzinfo=timezone.get_fixed_timezone(480))


def _typst_message(exc: Exception) -> str:
    message = getattr(exc, "diagnostic", None) or getattr(exc, "message", None) or str(exc)
    hints = getattr(exc, "hints", None) or []
    return "Typst: " + "\n".join([str(message), *map(str, hints)])


def render_html(data: dict) -> str:
    """The self-contained issue HTML from its data. No database, no storage."""
    return render_to_string(HTML_TEMPLATE, {"data": data})


def render_document(data: dict, kind: str) -> RenderedDocument:
    """One rendition of already-built issue data."""
    started = time.perf_counter()
    digest = rendition_hash(data, kind)
    if kind == Rendition.Kind.PDF:
        content, pages, warnings = typeset_pdf(data)
        for warning in warnings:
            logger.warning("Typst warning rendering issue %s: %s", data["issue"]["id"], warning)
    elif kind == Rendition.Kind.HTML:
        content, pages, warnings = render_html(data).encode("utf-8"), None, []
    else:
        raise RenderError(f"Unknown rendition kind {kind!r}")
    return RenderedDocument(
        kind=kind, content=content, content_hash=digest, pages=pages,
        seconds=time.perf_counter() - started, warnings=warnings,
    )


def render_issue_document(*, issue: Issue, kind: str) -> RenderedDocument:
    """Render an issue now, in this process, without touching its Rendition rows
    (``manage.py render_issue``, previews, the bench)."""
    started = time.perf_counter()
    warming = None
    if kind == Rendition.Kind.PDF and _typesetter.compiler is None:
        # A one-off process: load the fonts on another core while the data is built.
        warming = threading.Thread(target=_warm_quietly, daemon=True)
        warming.start()
    data = issue_render_data(issue)
    if warming is not None:
        warming.join()
    document = render_document(data, kind)
    document.seconds = time.perf_counter() - started
    return document


def _warm_quietly() -> None:
    try:
        _typesetter.warm()
    except Exception:  # the real compile reports the problem
        logger.debug("Typst warm-up failed", exc_info=True)


# --- Queueing ---------------------------------------------------------------------------------


def _send(rendition_ids: list[int], *, force: bool = False) -> None:
    render = task_named("editorial.render_issue_rendition")
    for rendition_id in rendition_ids:
        render.apply_async(
            args=(rendition_id,),
            kwargs={"force": force},
            # A publish must not hang on a dead broker: one quick retry, then the sweeper.
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5,
                          "interval_max": 0.5},
        )


def _send_or_mark(rendition_ids: list[int], *, force: bool = False) -> None:
    """Send the tasks; when the broker cannot be reached, mark the rows for the sweeper."""
    try:
        _send(rendition_ids, force=force)
    except Exception as exc:
        note = f"{UNSENT_MARK} {_('The task queue could not be reached; the sweeper will retry.')} ({exc})"
        Rendition.objects.filter(pk__in=rendition_ids, state=Rendition.State.QUEUED).update(
            error=note[:ERROR_LIMIT]
        )
        raise


def queue_issue_renditions(
    *, issue_id: int, supersede: bool = False, force: bool = False, kinds=KINDS
) -> list[int]:
    """Ask for the issue's renditions to be made (after a publish, a correction, or by hand).

    One current row per kind is marked queued (created when missing) and a task sent for
    each. ``supersede`` (a correction) keeps the current rows for the record
    (``is_current=False``) and starts new ones. ``force`` renders even when the content
    hash says the stored file is up to date. Returns the rendition ids.

    When the broker is down the rows stay queued with a note and the error is raised;
    the sweeper sends them later.
    """
    now = timezone.now()
    ids = []
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue_id)
        for kind in kinds:
            current = (
                Rendition.objects.select_for_update()
                .filter(issue=issue, kind=kind, is_current=True)
                .first()
            )
            if current is not None and supersede:
                if current.state in (Rendition.State.QUEUED, Rendition.State.RUNNING):
                    current.state = Rendition.State.FAILED
                    current.error = _("Superseded by a correction before it was rendered.")
                current.is_current = False
                current.save(update_fields=["is_current", "state", "error"])
                current = None
            if current is None:
                current = Rendition.objects.create(issue=issue, kind=kind, queued_at=now)
            else:
                current.state = Rendition.State.QUEUED
                current.queued_at = now
                current.attempts = 0
                current.error = ""
                current.save(update_fields=["state", "queued_at", "attempts", "error"])
            ids.append(current.pk)
    # Sent once the rows are committed, so a worker never looks for a row it cannot see.
    transaction.on_commit(lambda: _send_or_mark(ids, force=force))
    return ids


def rerender_issues(*, issues, user) -> list[int]:
    """Re-render issues on request (the admin action): forced, whatever the content hash."""
    if not (user.is_superuser or user.has_perm("editorial.change_rendition")
            or user.has_perm("editorial.change_issue")):
        raise PermissionRefused(_("You may not re-render issues."))
    ids = []
    failures = []
    for issue in issues:
        try:
            queued = queue_issue_renditions(issue_id=issue.pk, force=True)
        except Issue.DoesNotExist:
            continue
        except Exception as exc:
            logger.warning("Could not send render tasks for issue %s: %s", issue.pk, exc)
            failures.append(issue.pk)
            queued = list(
                Rendition.objects.filter(issue=issue, is_current=True).values_list("pk", flat=True)
            )
        ids.extend(queued)
        record_action(
            user=user, action="issue.rerender", obj=issue,
            changes={"renditions": queued, "sent": issue.pk not in failures},
        )
    if failures:
        logger.info("Renders of issues %s wait for the sweeper", failures)
    return ids


# --- Rendering one rendition ------------------------------------------------------------------


@dataclass
class RenderOutcome:
    rendition_id: int
    state: str
    rendered: bool = False  # False when skipped: unchanged content, duplicate or gave up
    detail: str = ""


def _claim(rendition_id: int) -> tuple[Rendition, datetime] | RenderOutcome:
    with transaction.atomic():
        rendition = Rendition.objects.select_for_update().filter(pk=rendition_id).first()
        if rendition is None:
            return RenderOutcome(rendition_id, "missing", detail="no such rendition")
        if not rendition.is_current:
            return RenderOutcome(rendition_id, rendition.state, detail="superseded")
        if rendition.state in (Rendition.State.SUCCEEDED, Rendition.State.FAILED):
            # A duplicate message (redelivery, sweeper) for a request already finished.
            return RenderOutcome(rendition_id, rendition.state, detail="already finished")
        if rendition.attempts >= max_attempts():
            rendition.state = Rendition.State.FAILED
            rendition.finished_at = timezone.now()
            rendition.error = _(
                "Gave up after %(attempts)d attempts: the render stopped its worker or kept "
                "failing. The last good file is kept."
            ) % {"attempts": rendition.attempts}
            rendition.save(update_fields=["state", "finished_at", "error"])
            logger.error("Rendition %s: %s", rendition.pk, rendition.error)
            return RenderOutcome(rendition_id, rendition.state, detail="gave up")
        rendition.state = Rendition.State.RUNNING
        rendition.attempts += 1
        rendition.started_at = timezone.now()
        rendition.save(update_fields=["state", "attempts", "started_at"])
        return rendition, rendition.queued_at


def render_rendition(
    *, rendition_id: int, force: bool = False, can_retry: bool = True
) -> RenderOutcome:
    """Make one rendition (the task's body). Safe to run twice: see the module docstring.

    Raises TransientRenderError when the database or storage failed for a moment and
    ``can_retry``; every other failure is recorded on the row and returned.
    """
    claimed = _claim(rendition_id)
    if isinstance(claimed, RenderOutcome):
        return claimed
    rendition, generation = claimed
    started = time.perf_counter()
    try:
        issue = Issue.objects.select_related("bulletin").get(pk=rendition.issue_id)
        data = issue_render_data(issue)
        digest = rendition_hash(data, rendition.kind)
        if not force and digest == rendition.content_hash and _stored(rendition):
            _finish(rendition.pk, generation, started, unchanged=True)
            return RenderOutcome(rendition_id, Rendition.State.SUCCEEDED, detail="unchanged")
        document = render_document(data, rendition.kind)
        name = _write_aside(rendition, issue, document)
        state = _swap(rendition.pk, generation, started, name, document)
        return RenderOutcome(rendition_id, state, rendered=True)
    except TRANSIENT_ERRORS as exc:
        if not can_retry:
            return _fail(rendition.pk, generation, started, exc)
        _release(rendition.pk, exc)
        raise TransientRenderError(str(exc)) from exc
    except SoftTimeLimitExceeded:
        error = RenderError(_("The render took longer than the time limit."))
        return _fail(rendition.pk, generation, started, error)
    except Exception as exc:
        return _fail(rendition.pk, generation, started, exc)


def _stored(rendition: Rendition) -> bool:
    return bool(rendition.file) and rendition.file.storage.exists(rendition.file.name)


def _file_stem(rendition: Rendition, issue: Issue) -> str:
    return f"{issue.bulletin.slug}-{issue.number}-{rendition.kind}-r{rendition.pk}-"


def _write_aside(rendition: Rendition, issue: Issue, document: RenderedDocument) -> str:
    """Save the new file under a new name; nobody reads it until the row points to it."""
    folder = f"renditions/{issue.bulletin.slug}/{issue.issue_date.year}"
    name = f"{folder}/{_file_stem(rendition, issue)}{document.content_hash[:12]}.{rendition.kind}"
    storage = rendition.file.storage
    return storage.save(name, ContentFile(document.content))


def _duration_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _swap(rendition_id: int, generation, started: float, name: str, document) -> str:
    with transaction.atomic():
        rendition = Rendition.objects.select_for_update().get(pk=rendition_id)
        previous = rendition.file.name if rendition.file else ""
        rendition.file.name = name
        rendition.size = document.size
        rendition.pages = document.pages
        rendition.checksum = hashlib.sha256(document.content).hexdigest()
        rendition.content_hash = document.content_hash
        rendition.finished_at = timezone.now()
        rendition.duration_ms = _duration_ms(started)
        rendition.error = ""
        # A request that came in while this ran keeps the row queued: its task will
        # compare hashes and render again only if the issue changed meanwhile.
        rendition.state = (
            Rendition.State.SUCCEEDED if rendition.queued_at == generation else Rendition.State.QUEUED
        )
        rendition.save()
        keep = {name, previous}
        storage = rendition.file.storage
        transaction.on_commit(lambda: _prune(storage, name, keep))
    return rendition.state


def _prune(storage, name: str, keep: set[str]) -> None:
    """Delete this rendition's older files, keeping the new one and the one before it."""
    folder, base = posixpath.split(name)
    stem = base.rsplit("-", 1)[0] + "-"
    try:
        _, files = storage.listdir(folder)
    except (OSError, NotImplementedError):
        return
    for other in files:
        path = posixpath.join(folder, other)
        if other.startswith(stem) and path not in keep:
            try:
                storage.delete(path)
            except OSError:
                logger.warning("Could not delete old rendition file %s", path)


def _finish(rendition_id: int, generation, started: float, *, unchanged: bool) -> None:
    with transaction.atomic():
        rendition = Rendition.objects.select_for_update().get(pk=rendition_id)
        rendition.state = (
            Rendition.State.SUCCEEDED if rendition.queued_at == generation else Rendition.State.QUEUED
        )
        rendition.finished_at = timezone.now()
        rendition.duration_ms = _duration_ms(started)
        rendition.error = ""
        rendition.save(update_fields=["state", "finished_at", "duration_ms", "error"])


def _error_text(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, RenderError) else f"{exc.__class__.__name__}: {exc}"
    return text[:ERROR_LIMIT]


def _fail(rendition_id: int, generation, started: float, exc: BaseException) -> RenderOutcome:
    logger.error("Rendition %s failed: %s", rendition_id, exc, exc_info=exc)
    with transaction.atomic():
        rendition = Rendition.objects.select_for_update().get(pk=rendition_id)
        # The file, its size, pages and hash still describe the last good rendition.
        rendition.state = (
            Rendition.State.FAILED if rendition.queued_at == generation else Rendition.State.QUEUED
        )
        rendition.error = _error_text(exc)
        rendition.finished_at = timezone.now()
        rendition.duration_ms = _duration_ms(started)
        rendition.save(update_fields=["state", "error", "finished_at", "duration_ms"])
    return RenderOutcome(rendition_id, rendition.state, detail=rendition.error)


def _release(rendition_id: int, exc: BaseException) -> None:
    """Back to queued after a transient error, for the retry (or the sweeper) to pick up."""
    try:
        Rendition.objects.filter(pk=rendition_id, state=Rendition.State.RUNNING).update(
            state=Rendition.State.QUEUED, error=_error_text(exc)
        )
    except DatabaseError:
        pass  # the database is what failed; the sweeper finds the row running later


def fail_rendition(*, rendition_id: int, error: str) -> None:
    """Record a failure decided outside the render (retries exhausted in the task)."""
    Rendition.objects.filter(
        pk=rendition_id, state__in=[Rendition.State.QUEUED, Rendition.State.RUNNING]
    ).update(state=Rendition.State.FAILED, error=error[:ERROR_LIMIT], finished_at=timezone.now())


# --- The sweeper ----------------------------------------------------------------------------------


@dataclass
class SweepReport:
    resent: list[int] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    unsent: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"re-sent {len(self.resent)}, created {len(self.created)}, "
            f"could not send {len(self.unsent)}"
        )


def sweep_renditions(
    *, now: datetime | None = None, older_than: timedelta | None = None, missing_limit: int = 50
) -> SweepReport:
    """Re-send renditions stuck in queued or running, and queue the missing ones.

    Stuck means queued or running for longer than ``older_than`` (the task time limit
    and a margin by default) — the worker was killed or the message lost — or queued
    with a note that the broker could not be reached. Attempts are not reset, so a
    render that kills its worker every time still ends as failed. Published issues
    without renditions get them, ``missing_limit`` issues per sweep, so a back catalogue
    is filled in over a few minutes rather than flooding the queue at once.
    """
    now = now or timezone.now()
    cutoff = now - (older_than if older_than is not None else stuck_after())
    report = SweepReport()
    stuck = Rendition.objects.filter(is_current=True).filter(
        Q(state=Rendition.State.QUEUED, queued_at__lt=cutoff)
        | Q(state=Rendition.State.QUEUED, error__startswith=UNSENT_MARK)
        | Q(state=Rendition.State.RUNNING, started_at__lt=cutoff)
        | Q(state=Rendition.State.RUNNING, started_at__isnull=True, queued_at__lt=cutoff)
    )
    for rendition in stuck.order_by("queued_at"):
        with transaction.atomic():
            locked = (
                Rendition.objects.select_for_update(skip_locked=True)
                .filter(pk=rendition.pk, state=rendition.state)
                .first()
            )
            if locked is None:
                continue
            if locked.state == Rendition.State.RUNNING:
                locked.error = _("The worker was lost; re-queued by the sweeper.")
            else:
                locked.error = ""
            locked.state = Rendition.State.QUEUED
            locked.queued_at = now
            locked.save(update_fields=["state", "queued_at", "error"])
        try:
            _send_or_mark([locked.pk])
            report.resent.append(locked.pk)
        except Exception:
            report.unsent.append(locked.pk)

    missing = public_issues_missing_renditions()
    for issue_id, kinds in list(missing.items())[:missing_limit]:
        try:
            report.created.extend(queue_issue_renditions(issue_id=issue_id, kinds=kinds))
        except Exception:
            report.unsent.extend(
                Rendition.objects.filter(issue_id=issue_id, is_current=True, kind__in=kinds)
                .values_list("pk", flat=True)
            )
    if report.resent or report.created or report.unsent:
        logger.info("Rendition sweep: %s", report)
    return report


def public_issues_missing_renditions() -> dict[int, list[str]]:
    """Published issues without a current rendition of some kind: issue id → kinds."""
    missing: dict[int, list[str]] = {}
    for kind in KINDS:
        has_current = Rendition.objects.filter(issue=OuterRef("pk"), kind=kind, is_current=True)
        for issue_id in (
            Issue.objects.filter(state__in=ISSUE_PUBLIC_STATES)
            .filter(~Exists(has_current))
            .order_by("-published_at", "-pk")  # the newest first: readers want those
            .values_list("pk", flat=True)
        ):
            missing.setdefault(issue_id, []).append(kind)
    return missing
