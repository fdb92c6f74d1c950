"""The SMTP hand-over against a real server (aiosmtpd), in-process: the row is marked
sent between the message content and the dot that ends DATA, so a row still in
``sending`` never reached the server; retries and permanent failures."""

from __future__ import annotations

import datetime

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import timezone

from editorial.mail.compose import build_delivery_message
from editorial.mail.transport import Superseded, TwoPhaseSMTPTransport, open_transport
from editorial.models import Delivery
from editorial.selectors.delivery import due_delivery_ids
from editorial.services import delivery
from tests.integration.test_delivery_support import (
    make_subscriptions,
    published_issue,
    smtp_server,
    smtp_settings,
)

pytestmark = pytest.mark.django_db

State = Delivery.State


@pytest.fixture
def smtp(settings):
    with smtp_server() as (handler, port):
        for name, value in smtp_settings(port).items():
            setattr(settings, name, value)
        settings.DELIVERY_RATE_LIMIT = 0
        settings.DELIVERY_RETRY_BASE_SECONDS = 1
        yield handler


def message(to="someone@example.org"):
    mail = EmailMultiAlternatives("主题", "正文", "bulletin@example.org", [to])
    mail.extra_headers["Message-ID"] = "<test@example.org>"
    return mail


def due_now(ids):
    Delivery.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())


def test_nothing_reaches_the_server_unless_the_commit_succeeds(smtp):
    transport = open_transport()
    assert isinstance(transport, TwoPhaseSMTPTransport)
    with pytest.raises(Superseded):
        transport.send(message(), commit=lambda: False)

    def crash():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        transport.send(message(), commit=crash)
    assert smtp.received == []  # DATA never ended: the server threw both away

    committed = []
    transport.send(message(), commit=lambda: committed.append(True) or True)
    transport.send(message("other@example.org"), commit=lambda: True)  # same connection again
    transport.close()
    assert committed == [True]
    assert [r.rcpt_tos for r in smtp.received] == [["someone@example.org"], ["other@example.org"]]
    assert smtp.received[0].message["Message-ID"] == "<test@example.org>"


def test_message_content_survives_dot_stuffing(smtp):
    transport = open_transport()
    mail = message()
    mail.body = "第一行\n.\n.以点开头的一行\n..两个点\n"
    transport.send(mail, commit=lambda: True)
    transport.close()
    body = smtp.received[0].message.get_content()
    assert body.replace("\r\n", "\n") == "第一行\n.\n.以点开头的一行\n..两个点\n"


def test_transient_refusal_after_data_is_retried_and_then_delivered(bulletin, smtp):
    subscriptions = make_subscriptions(bulletin, 3, languages=("en",))
    flaky = subscriptions[1].subscriber.email
    smtp.transient[flaky] = 2
    issue = published_issue(bulletin)
    ids = delivery.fan_out_issue_deliveries(issue_id=issue.pk)

    outcome = delivery.send_deliveries(delivery_ids=ids)
    row = Delivery.objects.get(subscription=subscriptions[1])
    assert len(outcome.sent) == 2 and outcome.retry == [row.pk]
    assert row.state == State.RETRYING and row.attempts == 1 and row.sent_at is None
    assert "451" in row.last_error
    first_wait = (row.next_attempt_at - timezone.now()).total_seconds()
    assert 0 < first_wait <= 1.25

    # Not due yet: a second run leaves it alone.
    assert delivery.send_deliveries(delivery_ids=ids).skipped == ids
    due_now([row.pk])
    delivery.send_deliveries(delivery_ids=[row.pk])
    row.refresh_from_db()
    second_wait = (row.next_attempt_at - timezone.now()).total_seconds()
    assert row.attempts == 2 and 1.5 < second_wait <= 2.5  # exponential
    due_now([row.pk])
    delivery.send_deliveries(delivery_ids=[row.pk])
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 3 and row.last_error == ""
    assert smtp.recipients() == {s.subscriber.email: 1 for s in subscriptions}


def test_unreachable_server_is_retried_until_the_attempts_run_out(bulletin, smtp, settings):
    make_subscriptions(bulletin, 2, languages=("en",))
    issue = published_issue(bulletin)
    ids = delivery.fan_out_issue_deliveries(issue_id=issue.pk)
    settings.EMAIL_PORT = smtp_settings(1)["EMAIL_PORT"]  # nothing listens on port 1
    settings.DELIVERY_MAX_ATTEMPTS = 2
    outcome = delivery.send_deliveries(delivery_ids=ids)
    assert sorted(outcome.retry) == ids
    assert set(Delivery.objects.values_list("state", flat=True)) == {State.RETRYING}
    assert "connecting" in Delivery.objects.first().last_error
    due_now(ids)
    outcome = delivery.send_deliveries(delivery_ids=ids)
    assert sorted(outcome.failed) == ids  # the last attempt gives up
    assert due_delivery_ids(now=timezone.now() + datetime.timedelta(days=1)) == []


def test_bad_address_fails_at_once_and_the_rest_are_delivered(bulletin, smtp):
    subscriptions = make_subscriptions(bulletin, 4, languages=("en",))
    bad = subscriptions[2].subscriber.email
    smtp.permanent.add(bad)
    issue = published_issue(bulletin)
    ids = delivery.fan_out_issue_deliveries(issue_id=issue.pk)
    outcome = delivery.send_deliveries(delivery_ids=ids)
    assert len(outcome.sent) == 3 and len(outcome.failed) == 1 and not outcome.retry
    row = Delivery.objects.get(subscription=subscriptions[2])
    assert row.state == State.FAILED and row.attempts == 1 and "550" in row.last_error
    assert set(smtp.recipients()) == {s.subscriber.email for s in subscriptions} - {bad}
    assert smtp.refusals[bad] == 1


def test_a_row_taken_over_after_its_lease_is_not_sent_by_the_old_claim(bulletin, smtp, settings):
    """A worker that stalls past its lease loses the row: its commit finds another claim
    and it drops the connection before the dot, so only the new owner's copy arrives."""
    subscription = make_subscriptions(bulletin, 1, languages=("en",))[0]
    issue = published_issue(bulletin)
    [delivery_id] = delivery.fan_out_issue_deliveries(issue_id=issue.pk)
    settings.DELIVERY_LEASE_SECONDS = 0
    stale_attempt = delivery._claim(delivery_id, now=timezone.now())
    newer_attempt = delivery._claim(delivery_id, now=timezone.now() + datetime.timedelta(seconds=1))
    assert (stale_attempt, newer_attempt) == (1, 2)
    row = Delivery.objects.select_related("issue__bulletin", "subscription__subscriber").get()
    mail = build_delivery_message(row)
    transport = open_transport()
    with pytest.raises(Superseded):
        transport.send(mail, commit=lambda: delivery._settle(
            delivery_id, stale_attempt, [State.SENDING], state=State.SENT))
    assert smtp.received == []
    transport.send(mail, commit=lambda: delivery._settle(
        delivery_id, newer_attempt, [State.SENDING], state=State.SENT))
    transport.close()
    assert smtp.recipients() == {subscription.subscriber.email: 1}


def test_real_smtp_messages_have_both_parts_and_working_headers(bulletin, smtp):
    make_subscriptions(bulletin, 1, languages=("en",))
    issue = published_issue(bulletin)
    delivery.send_deliveries(delivery_ids=delivery.fan_out_issue_deliveries(issue_id=issue.pk))
    parsed = smtp.received[0].message
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Message-ID"] == Delivery.objects.get().message_id
    assert parsed["From"].addresses[0].display_name == bulletin.name
    assert parsed.get_body(("plain",)) is not None and parsed.get_body(("html",)) is not None
    assert get_connection().__class__.__name__ == "EmailBackend"


def test_a_malformed_address_fails_at_once_without_touching_the_server(bulletin, smtp):
    subscriptions = make_subscriptions(bulletin, 2, languages=("en",))
    broken = subscriptions[0].subscriber
    type(broken).objects.filter(pk=broken.pk).update(email="no at sign\n@@")
    issue = published_issue(bulletin)
    outcome = delivery.send_deliveries(delivery_ids=delivery.fan_out_issue_deliveries(issue_id=issue.pk))
    assert len(outcome.failed) == 1 and len(outcome.sent) == 1
    row = Delivery.objects.get(subscription=subscriptions[0])
    assert row.state == State.FAILED and row.attempts == 1 and "malformed" in row.last_error
    assert smtp.recipients() == {subscriptions[1].subscriber.email: 1}
