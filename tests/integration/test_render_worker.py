"""Renders in a real Celery worker process, on a private Redis and the test database.

Publish → PDF and HTML appear; the worker killed mid-render → redelivered (or swept) and
completed; a render that kills its worker every time → failed, the last good file
kept; Redis down while publishing → the publish stands and the renders happen once
Redis is back and the sweeper has run.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from editorial.models import Rendition
from editorial.services import publishing, rendering
from tests.integration.celery_worker import (  # noqa: F401  (fixtures)
    Fault,
    celery_worker,
    redis_server,
    wait_until,
)
from tests.integration.test_rendering import make_issue

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TYPESET = "editorial.typesetting.documents:typeset_pdf"
FINISHED = (Rendition.State.SUCCEEDED, Rendition.State.FAILED)


def current(issue, kind) -> Rendition | None:
    return Rendition.objects.filter(issue=issue, kind=kind, is_current=True).first()


def wait_for(issue, kind, state=Rendition.State.SUCCEEDED, timeout=60) -> Rendition:
    def reached():
        rendition = current(issue, kind)
        if rendition and rendition.state == state:
            return rendition
        if rendition and state != Rendition.State.FAILED and rendition.state == Rendition.State.FAILED:
            pytest.fail(f"{kind} rendition failed: {rendition.error}")
        return None

    return wait_until(reached, timeout=timeout, interval=0.1, message=f"{kind} → {state}")


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_publish_makes_pdf_and_html_in_a_worker(celery_worker, bulletin, publisher):  # noqa: F811
    celery_worker()
    issue = make_issue(bulletin, long_first_section=False)
    publishing.publish_issue(issue=issue, user=publisher)
    pdf = wait_for(issue, "pdf")
    html = wait_for(issue, "html")
    assert Path(pdf.file.path).read_bytes().startswith(b"%PDF")
    assert pdf.pages and pdf.size and pdf.duration_ms is not None and pdf.attempts == 1
    assert "<!DOCTYPE html>" in Path(html.file.path).read_text()


def test_pool_process_killed_mid_render_is_redelivered_and_completes(
    celery_worker, bulletin, publisher, tmp_path  # noqa: F811
):
    started = tmp_path / "typeset-started"
    worker = celery_worker(faults=[Fault(TYPESET, "sleep", seconds=1.5, marker=str(started), times=1)])
    issue = make_issue(bulletin, long_first_section=False)
    publishing.publish_issue(issue=issue, user=publisher)

    wait_until(lambda: lines(started), timeout=30, message="the render to start")
    killed = worker.kill_child()
    pdf = wait_for(issue, "pdf")
    assert pdf.attempts == 2
    assert Path(pdf.file.path).read_bytes().startswith(b"%PDF")
    pids = lines(started)
    assert len(pids) == 2 and pids[0] == str(killed) and pids[1] != pids[0]
    wait_for(issue, "html")


def test_whole_worker_killed_mid_render_is_swept_and_completes(
    celery_worker, bulletin, publisher, tmp_path  # noqa: F811
):
    started = tmp_path / "typeset-started"
    worker = celery_worker(faults=[Fault(TYPESET, "sleep", seconds=60, marker=str(started))])
    issue = make_issue(bulletin, long_first_section=False)
    publishing.publish_issue(issue=issue, user=publisher)
    wait_until(lambda: lines(started), timeout=30, message="the render to start")

    worker.kill()  # main process and pool: the message stays unacknowledged in Redis
    lost = current(issue, "pdf")
    assert lost.state == Rendition.State.RUNNING
    worker.restart(faults=[])

    # Past the time limit the sweeper re-sends it (here: at once; again if the row
    # happened to be locked by the new worker at that moment and was skipped).
    def swept():
        rendering.sweep_renditions(older_than=datetime.timedelta(0))
        row = current(issue, "pdf")
        return row.state != Rendition.State.RUNNING or row.started_at != lost.started_at

    wait_until(swept, timeout=30, interval=0.5, message="the sweeper to re-send the render")
    pdf = wait_for(issue, "pdf")
    assert pdf.attempts == 2 and pdf.error == ""
    wait_for(issue, "html")


def test_a_render_that_kills_its_worker_every_time_is_marked_failed(
    celery_worker, bulletin, publisher  # noqa: F811
):
    worker = celery_worker()
    issue = make_issue(bulletin, long_first_section=False)
    publishing.publish_issue(issue=issue, user=publisher)
    good = wait_for(issue, "pdf")
    wait_for(issue, "html")
    good_bytes = Path(good.file.path).read_bytes()

    worker.restart(faults=[Fault(TYPESET, "kill")])
    rendering.rerender_issues(issues=[issue], user=publisher)
    failed = wait_for(issue, "pdf", state=Rendition.State.FAILED, timeout=90)
    assert failed.pk == good.pk
    assert failed.attempts == rendering.max_attempts()
    assert str(rendering.max_attempts()) in failed.error  # "Gave up after 3 attempts", translated
    assert failed.file.name == good.file.name
    assert Path(failed.file.path).read_bytes() == good_bytes
    assert current(issue, "html").state in FINISHED


def test_publish_while_redis_is_down_is_rendered_after_it_returns(
    celery_worker, redis_server, bulletin, publisher  # noqa: F811
):
    redis_server.stop()
    issue = make_issue(bulletin, long_first_section=False)
    publishing.publish_issue(issue=issue, user=publisher)  # must not fail nor hang
    issue.refresh_from_db()
    assert issue.state == "published"
    rows = list(Rendition.objects.filter(issue=issue, is_current=True))
    assert {r.kind for r in rows} == {"pdf", "html"}
    assert all(r.state == Rendition.State.QUEUED for r in rows)
    assert all(r.unsent for r in rows)

    redis_server.start()
    celery_worker()
    report = rendering.sweep_renditions()
    assert sorted(report.resent) == sorted(r.pk for r in rows)
    wait_for(issue, "pdf")
    wait_for(issue, "html")


def test_renders_have_a_queue_of_their_own(celery_worker, bulletin, publisher):  # noqa: F811
    """A worker of the other queues leaves renders alone; a render worker takes them."""
    import time

    celery_worker(queues=("default", "deliver"), name="mail-worker")
    issue = make_issue(bulletin, long_first_section=False)
    publishing.publish_issue(issue=issue, user=publisher)
    time.sleep(3)
    waiting = current(issue, "pdf")
    assert waiting is not None and waiting.state not in FINISHED
    celery_worker(queues=("render",), name="render-worker")
    assert wait_for(issue, "pdf").attempts == 1
    wait_for(issue, "html")
