"""Deliveries go out on events, not on a poll: the fan-out queues its send batches once
its rows are committed, and a delivery waiting for its PDF attachment is released when
the rendering service stores the PDF."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone

from editorial.models import Delivery, Rendition
from editorial.services import delivery, rendering
from editorial.services.queueing import task_named
from tests.integration.test_delivery_support import make_subscriptions, published_issue

pytestmark = pytest.mark.django_db

State = Delivery.State
PDF = b"%PDF-1.7\n% stored by the render\n%%EOF\n"


def test_fan_out_queues_its_batches_when_its_rows_are_committed(
    bulletin, settings, django_capture_on_commit_callbacks
):
    settings.DELIVERY_BATCH_SIZE = 2
    make_subscriptions(bulletin, 3)
    issue = published_issue(bulletin)

    with django_capture_on_commit_callbacks() as callbacks:
        task_named("editorial.fan_out_issue_deliveries").delay(issue.pk, "issue")
    rows = Delivery.objects.filter(issue=issue)
    assert rows.count() == 3
    assert set(rows.values_list("state", flat=True)) == {State.PENDING}
    assert not mail.outbox  # nothing is sent before the rows are committed...
    assert callbacks  # ... the batches are queued on commit

    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 3
    assert set(rows.values_list("state", flat=True)) == {State.SENT}


def _waiting_delivery(bulletin):
    """A PDF-attachment subscriber whose issue's first PDF is still queued."""
    subscription = make_subscriptions(bulletin, 1, formats=["pdf_attachment"], languages=("en",))[0]
    issue = published_issue(bulletin)
    rendition = Rendition.objects.create(issue=issue, kind="pdf", state=Rendition.State.QUEUED)
    ids = delivery.fan_out_issue_deliveries(issue_id=issue.pk)
    return subscription, issue, rendition, ids


def test_a_delivery_waiting_for_its_pdf_is_released_when_the_pdf_is_stored(
    bulletin, monkeypatch, django_capture_on_commit_callbacks
):
    subscription, issue, rendition, ids = _waiting_delivery(bulletin)
    delivery.send_deliveries(delivery_ids=ids)
    row = Delivery.objects.get(subscription=subscription)
    assert row.state == State.PENDING and row.attempts == 0 and not mail.outbox
    # It does not look again every minute: storing the PDF is what sends it.
    assert row.next_attempt_at > timezone.now() + datetime.timedelta(minutes=5)

    document = SimpleNamespace(kind="pdf", content=PDF, content_hash="f" * 64, pages=1, size=len(PDF))
    monkeypatch.setattr("editorial.services.rendering.render_document", lambda data, kind: document)
    with django_capture_on_commit_callbacks(execute=True):
        rendering.render_rendition(rendition_id=rendition.pk)

    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 1
    [message] = mail.outbox
    assert message.attachments == [(f"{issue.file_stem}.pdf", PDF, "application/pdf")]
    assert "/subscriber/download/" not in message.body


def test_an_html_rendition_releases_nothing(bulletin, django_capture_on_commit_callbacks):
    subscription, issue, _pdf, ids = _waiting_delivery(bulletin)
    delivery.send_deliveries(delivery_ids=ids)
    html = Rendition.objects.create(issue=issue, kind="html", state=Rendition.State.SUCCEEDED)
    html.file.save("stored.html", ContentFile(b"<html></html>"), save=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.release_deliveries_awaiting_pdf(rendition_id=html.pk) == []
    assert Delivery.objects.get(subscription=subscription).state == State.PENDING
    assert not mail.outbox


def test_a_pdf_stored_while_the_delivery_looked_for_it_is_not_missed(
    bulletin, monkeypatch, django_capture_on_commit_callbacks
):
    """The release runs while the row is claimed (so it passes the row by): the worker
    giving the claim back sees the PDF and makes the row due at once."""
    subscription, _issue, rendition, ids = _waiting_delivery(bulletin)
    looked = delivery._attachment_wait_until

    def stored_meanwhile(row, now):
        until = looked(row, now)
        rendition.file.save("stored.pdf", ContentFile(PDF), save=True)
        assert delivery.release_deliveries_awaiting_pdf(rendition_id=rendition.pk) == []
        return until

    monkeypatch.setattr(delivery, "_attachment_wait_until", stored_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = delivery.send_deliveries(delivery_ids=ids)
    row = Delivery.objects.get(subscription=subscription)
    assert row.state == State.PENDING and row.next_attempt_at <= timezone.now()
    assert outcome.retry == ids and outcome.retry_at <= timezone.now()

    monkeypatch.undo()
    delivery.send_deliveries(delivery_ids=ids)
    [message] = mail.outbox
    assert [mime for _name, _content, mime in message.attachments] == ["application/pdf"]
