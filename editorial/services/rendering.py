"""Rendering issues to PDF (Typst) and HTML, kept as Rendition rows: the rows' lifecycle.

The typesetting itself is editorial.typesetting's (documents.py: one rendition of the
render data and its content hash; pdf.py and html.py: the two renderers), and pure;
this module queues, claims, stores, swaps, fails and sweeps.

The flow: a publish or a correction calls ``queue_issue_renditions`` after commit; it
marks one current Rendition row per kind as queued and sends one task each. The task
calls ``render_rendition``, which

1. claims the row (locked; ``running``, one more attempt — a request that has used up
   RENDER_MAX_ATTEMPTS claims, e.g. because the render kills its worker each time, is
   marked failed instead of looping),
2. builds the issue's data once (editorial.selectors.render_data) and hashes it with the
   template (editorial.typesetting.documents.rendition_hash),
3. stops there when that hash is the one of the file already stored (same content is
   never rendered twice),
4. renders, writes the file aside under a new name through Django's storage API and
   swaps the row to it in one short transaction; the older files are deleted after
   commit, keeping the one before for readers that already had its name.

So a reader always gets the previous complete file or the new complete one, and a
render that fails leaves the last good file in place with the error on the row.

``sweep_renditions`` (beat and ``manage.py sweep_renditions``) re-sends renditions stuck
in queued or running past the task time limit, those whose task never reached the
broker (``Rendition.unsent``), and creates the missing ones of published issues — a
publish made while Redis was down is rendered once it is back.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.models import Issue, Rendition
from editorial.selectors.render_data import issue_render_data
from editorial.selectors.renditions import public_issues_missing_renditions
from editorial.services.audit import record_action
from editorial.services.delivery import release_deliveries_awaiting_pdf
from editorial.services.errors import PermissionRefused
from editorial.services.queueing import task_named
from editorial.typesetting.documents import RenderedDocument, render_document, rendition_hash
from editorial.typesetting.errors import RenderError
from editorial.typesetting.pdf import start_warming

logger = logging.getLogger(__name__)

KINDS = (Rendition.Kind.PDF, Rendition.Kind.HTML)
ERROR_LIMIT = 4000


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


# --- Rendering an issue here and now ---------------------------------------------------------


def render_issue_document(*, issue: Issue, kind: str) -> RenderedDocument:
    """Render an issue now, in this process, without touching its Rendition rows
    (``manage.py render_issue``, previews, the bench)."""
    started = time.perf_counter()
    # A one-off process: the fonts load on another core while the data is built.
    warming = start_warming() if kind == Rendition.Kind.PDF else None
    data = issue_render_data(issue)
    if warming is not None:
        warming.join()
    document = render_document(data, kind)
    document.seconds = time.perf_counter() - started
    return document


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
        note = f"{_('The task queue could not be reached; the sweeper will retry.')} ({exc})"
        Rendition.objects.filter(pk__in=rendition_ids, state=Rendition.State.QUEUED).update(
            unsent=True, error=note[:ERROR_LIMIT]
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
                current.unsent = False
                current.save(update_fields=["is_current", "state", "error", "unsent"])
                current = None
            if current is None:
                current = Rendition.objects.create(issue=issue, kind=kind, queued_at=now)
            else:
                current.state = Rendition.State.QUEUED
                current.queued_at = now
                current.attempts = 0
                current.error = ""
                current.unsent = False
                current.save(update_fields=["state", "queued_at", "attempts", "error", "unsent"])
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
            rendition.unsent = False
            rendition.save(update_fields=["state", "finished_at", "error", "unsent"])
            logger.error("Rendition %s: %s", rendition.pk, rendition.error)
            return RenderOutcome(rendition_id, rendition.state, detail="gave up")
        rendition.state = Rendition.State.RUNNING
        rendition.attempts += 1
        rendition.started_at = timezone.now()
        rendition.unsent = False  # its task has arrived
        rendition.save(update_fields=["state", "attempts", "started_at", "unsent"])
        return rendition, rendition.queued_at


def render_rendition(
    *,
    rendition_id: int,
    force: bool = False,
    can_retry: bool = True,
    time_limit_errors: tuple[type[BaseException], ...] = (),
) -> RenderOutcome:
    """Make one rendition (the task's body). Safe to run twice: see the module docstring.

    Raises TransientRenderError when the database or storage failed for a moment and
    ``can_retry``; every other failure is recorded on the row and returned. The task
    names the exceptions its time limit raises (``time_limit_errors``), so this module
    need not load Celery in processes that only render.
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
    except time_limit_errors:
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
        rendition.unsent = False
        # A request that came in while this ran keeps the row queued: its task will
        # compare hashes and render again only if the issue changed meanwhile.
        rendition.state = (
            Rendition.State.SUCCEEDED if rendition.queued_at == generation else Rendition.State.QUEUED
        )
        rendition.save()
        keep = {name, previous}
        storage = rendition.file.storage
        transaction.on_commit(lambda: _prune(storage, name, keep))
        transaction.on_commit(lambda: release_deliveries_awaiting_pdf(rendition_id=rendition_id), robust=True)
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
        rendition.unsent = False
        rendition.save(update_fields=["state", "finished_at", "duration_ms", "error", "unsent"])


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
        rendition.unsent = False
        rendition.finished_at = timezone.now()
        rendition.duration_ms = _duration_ms(started)
        rendition.save(update_fields=["state", "error", "unsent", "finished_at", "duration_ms"])
    return RenderOutcome(rendition_id, rendition.state, detail=rendition.error)


def _release(rendition_id: int, exc: BaseException) -> None:
    """Back to queued after a transient error, for the retry (or the sweeper) to pick up."""
    try:
        Rendition.objects.filter(pk=rendition_id, state=Rendition.State.RUNNING).update(
            state=Rendition.State.QUEUED, error=_error_text(exc), unsent=False
        )
    except DatabaseError:
        pass  # the database is what failed; the sweeper finds the row running later


def fail_rendition(*, rendition_id: int, error: str) -> None:
    """Record a failure decided outside the render (retries exhausted in the task)."""
    Rendition.objects.filter(
        pk=rendition_id, state__in=[Rendition.State.QUEUED, Rendition.State.RUNNING]
    ).update(
        state=Rendition.State.FAILED, error=error[:ERROR_LIMIT], unsent=False,
        finished_at=timezone.now(),
    )


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
        | Q(state=Rendition.State.QUEUED, unsent=True)
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
            locked.unsent = False
            locked.save(update_fields=["state", "queued_at", "error", "unsent"])
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
