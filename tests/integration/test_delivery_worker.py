"""Deliveries through a real Celery worker, a real broker and a real SMTP server.

Publish to 200 subscribers → 200 e-mails, each once, with links that work; kill the
worker in the middle of a batch and start it again → still 200 and no duplicates; a
server that refuses for a while → retried and delivered; a bad address → that one
failed, the rest delivered.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.test import Client

from editorial.links import download_from_token
from editorial.models import Delivery, Issue
from editorial.selectors.delivery import delivery_report
from editorial.services import publishing
from editorial.tasks import sweep_deliveries
from tests.integration.celery_worker import (  # noqa: F401  (fixtures)
    Fault,
    celery_worker,
    redis_server,
    wait_until,
)
from tests.integration.test_delivery_support import (
    add_rendition,
    approved_issue,
    make_subscriptions,
    smtp_server,
    smtp_settings,
    text_part,
    urls_in,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

State = Delivery.State
LEASE_SECONDS = 2


@pytest.fixture
def smtp():
    with smtp_server() as (handler, port):
        handler.port = port
        yield handler


@pytest.fixture(autouse=True)
def no_renders(monkeypatch):
    """The worker would typeset PDFs; these tests bring their own file."""
    monkeypatch.setattr("editorial.services.rendering.queue_issue_renditions", lambda **kw: [])


def worker_env(smtp, **extra) -> dict[str, str]:
    env = {name: str(value) for name, value in smtp_settings(smtp.port).items()}
    env.update(
        {
            "DELIVERY_RATE_LIMIT": "0",
            "DELIVERY_BATCH_SIZE": "50",
            "DELIVERY_RETRY_BASE_SECONDS": "1",
            "DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
            "DELIVERY_MAX_ATTEMPTS": "4",
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def publish(bulletin, publisher, count, **subscription_options):
    subscriptions = make_subscriptions(bulletin, count, **subscription_options)
    issue = approved_issue(bulletin)
    add_rendition(issue)
    publishing.publish_issue(issue=issue, user=publisher)  # on_commit → fan-out task
    return Issue.objects.get(pk=issue.pk), subscriptions


def states(issue) -> Counter:
    return Counter(Delivery.objects.filter(issue=issue).values_list("state", flat=True))


def wait_for_states(issue, expected: dict, *, timeout: float, worker):
    def reached():
        return states(issue) == Counter(expected)

    if not wait_until_quietly(reached, timeout=timeout):
        pytest.fail(f"deliveries {dict(states(issue))}, wanted {expected}\n{worker.log()[-3000:]}")


def wait_until_quietly(predicate, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_publish_to_200_subscribers_sends_200_emails_once_with_working_links(
    celery_worker, smtp, bulletin, publisher  # noqa: F811
):
    worker = celery_worker(env=worker_env(smtp))
    issue, subscriptions = publish(bulletin, publisher, 200)

    assert smtp.wait_for(200, timeout=60), worker.log()[-3000:]
    wait_for_states(issue, {State.SENT: 200}, timeout=20, worker=worker)
    time.sleep(0.3)  # nothing more arrives
    recipients = smtp.recipients()
    assert len(smtp.received) == 200
    assert recipients == {s.subscriber.email: 1 for s in subscriptions}

    message_ids = {r.message["Message-ID"] for r in smtp.received}
    assert message_ids == set(Delivery.objects.values_list("message_id", flat=True))
    assert len(message_ids) == 200

    client = Client()
    pdf = issue.renditions.get().file.open("rb").read()
    for received in smtp.received:
        links = [u for u in urls_in(text_part(received.message)) if "/subscriber/download/" in u]
        assert len(links) == 1
        token = urlsplit(links[0]).path.split("/")[3]
        grant = download_from_token(token)
        assert grant.subscription.subscriber.email == received.rcpt_tos[0]
        assert grant.issue == issue
    sample = smtp.received[::20]
    for received in sample:
        [link] = [u for u in urls_in(text_part(received.message)) if "/subscriber/download/" in u]
        response = client.get(urlsplit(link).path)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf


def test_killing_the_worker_mid_batch_sends_no_email_twice(
    celery_worker, smtp, bulletin, publisher  # noqa: F811
):
    """The worker is SIGKILLed while it holds a row in ``sending`` (the server is made
    to sit on that message's RCPT), with more of its batch and other batches to go."""
    subscriptions = make_subscriptions(bulletin, 200, languages=("en",))
    stalled = subscriptions[120].subscriber.email
    smtp.hold[stalled] = threading.Event()
    worker = celery_worker(env=worker_env(smtp))
    issue = approved_issue(bulletin)
    add_rendition(issue)
    publishing.publish_issue(issue=issue, user=publisher)

    if not wait_until_quietly(lambda: stalled in smtp.held, timeout=60):
        pytest.fail(f"the worker never reached {stalled}: {dict(states(issue))}\n{worker.log()[-3000:]}")
    assert len(smtp.received) == 120
    row = Delivery.objects.get(subscription=subscriptions[120])
    assert row.state == State.SENDING and row.attempts == 1
    worker.kill()
    smtp.hold[stalled].set()  # the server answers again, to nobody
    time.sleep(0.3)
    assert len(smtp.received) == 120  # the message was never handed over
    before = states(issue)
    assert before[State.SENT] == 120 and before[State.SENDING] == 1

    worker.start()
    # The batches still in the queue are sent; the killed batch's task is stuck in the
    # broker (unacknowledged) until the sweeper finds its rows, and the stalled row
    # waits out its lease.
    time.sleep(LEASE_SECONDS + 0.5)
    sweep_deliveries.delay()
    assert smtp.wait_for(200, timeout=60), f"{dict(states(issue))}\n{worker.log()[-3000:]}"
    wait_for_states(issue, {State.SENT: 200}, timeout=20, worker=worker)
    sweep_deliveries.delay()  # a second sweep finds nothing to do
    time.sleep(1)
    assert smtp.recipients() == {s.subscriber.email: 1 for s in subscriptions}
    assert len(smtp.received) == 200
    assert Delivery.objects.get(subscription=subscriptions[120]).attempts == 2


def test_a_worker_killed_between_content_and_commit_hands_nothing_over(
    celery_worker, smtp, bulletin, publisher  # noqa: F811
):
    """The pool process dies at the moment it would mark the row sent — the message
    content is with the server, the dot that ends DATA is not. The server discards it;
    the row stays ``sending``, its lease runs out and it is sent once."""
    worker = celery_worker(
        env=worker_env(smtp),
        faults=[Fault("editorial.services.delivery:_settle", "kill", times=1)],
    )
    issue, subscriptions = publish(bulletin, publisher, 3, languages=("en",))
    wait_until(lambda: "SIGKILL" in worker.log(), timeout=30, message="the pool process to die")
    worker.kill()  # before its replacement process (same fault) gets far
    assert states(issue)[State.SENDING] >= 1
    assert smtp.received == []
    worker.faults = []
    worker.start()
    time.sleep(LEASE_SECONDS + 0.5)
    sweep_deliveries.delay()
    assert smtp.wait_for(3, timeout=30), worker.log()[-3000:]
    wait_for_states(issue, {State.SENT: 3}, timeout=20, worker=worker)
    time.sleep(0.5)
    assert smtp.recipients() == {s.subscriber.email: 1 for s in subscriptions}


def test_transient_refusals_are_retried_with_backoff_and_delivered(
    celery_worker, smtp, bulletin, publisher  # noqa: F811
):
    subscriptions = make_subscriptions(bulletin, 20, languages=("en",))
    flaky = [s.subscriber.email for s in subscriptions[::4]]
    for address in flaky:
        smtp.transient[address] = 2  # refused with 451 twice, then accepted
    worker = celery_worker(env=worker_env(smtp))
    issue = approved_issue(bulletin)
    add_rendition(issue)
    publishing.publish_issue(issue=issue, user=publisher)

    assert smtp.wait_for(20, timeout=60), f"{dict(states(issue))}\n{worker.log()[-3000:]}"
    wait_for_states(issue, {State.SENT: 20}, timeout=20, worker=worker)
    assert smtp.recipients() == {s.subscriber.email: 1 for s in subscriptions}
    attempts = dict(Delivery.objects.values_list("subscription__subscriber__email", "attempts"))
    assert {a: attempts[a] for a in flaky} == dict.fromkeys(flaky, 3)
    assert set(attempts.values()) == {1, 3}
    assert all(smtp.refusals[a] == 2 for a in flaky)


def test_a_bad_address_fails_at_once_and_the_rest_are_delivered(
    celery_worker, smtp, bulletin, publisher  # noqa: F811
):
    subscriptions = make_subscriptions(bulletin, 30, languages=("en",))
    bad = subscriptions[7].subscriber.email
    smtp.permanent.add(bad)
    worker = celery_worker(env=worker_env(smtp))
    issue = approved_issue(bulletin)
    publishing.publish_issue(issue=issue, user=publisher)

    assert smtp.wait_for(29, timeout=60), worker.log()[-3000:]
    wait_for_states(issue, {State.SENT: 29, State.FAILED: 1}, timeout=20, worker=worker)
    failed = Delivery.objects.get(state=State.FAILED)
    assert failed.subscription.subscriber.email == bad
    assert failed.attempts == 1 and "550" in failed.last_error
    assert smtp.refusals[bad] == 1
    assert set(smtp.recipients()) == {s.subscriber.email for s in subscriptions} - {bad}
    report = delivery_report(issue=issue)
    assert report["counts"]["issue"][State.SENT] == 29
    assert [d.pk for d in report["failed"]] == [failed.pk]
