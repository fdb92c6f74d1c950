"""Deliveries in-process (tasks eager, locmem mail): who gets what, in which language,
with which links and attachments; errata; the subscriber's pages; the admin report."""

from __future__ import annotations

import datetime
import io
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from editorial.links import make_page_token, make_unsubscribe_token
from editorial.models import Delivery, Issue, Metric, Rendition, Subscriber, Subscription
from editorial.selectors.delivery import delivery_report
from editorial.services import delivery, publishing
from editorial.services.subscriptions import unsubscribe_by_link
from editorial.tables.writing import XLSX_MIME
from editorial.workflow import IssueState
from tests.factories import IndicatorFactory, MetricFactory
from tests.integration.test_delivery_support import (
    add_rendition,
    approved_issue,
    make_subscriptions,
    published_issue,
    urls_in,
)

pytestmark = pytest.mark.django_db

State = Delivery.State



@pytest.fixture(autouse=True)
def no_renders(monkeypatch):
    """Renders are another task's business; here the test makes the files it needs."""
    monkeypatch.setattr(
        "editorial.services.rendering.queue_issue_renditions", lambda **kwargs: []
    )


def publish(issue, user, capture):
    with capture(execute=True):
        publishing.publish_issue(issue=issue, user=user)


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_publish_sends_one_email_per_active_subscription(
    bulletin, publisher, django_capture_on_commit_callbacks
):
    subscriptions = make_subscriptions(bulletin, 6)
    inactive, cancelled, ended, future = subscriptions[2:6]
    Subscriber.objects.filter(pk=inactive.subscriber_id).update(active=False)
    Subscription.objects.filter(pk=cancelled.pk).update(cancelled_at=timezone.now())
    today = timezone.localdate()
    Subscription.objects.filter(pk=ended.pk).update(
        starts_on=today - datetime.timedelta(days=30), ends_on=today - datetime.timedelta(days=1)
    )
    Subscription.objects.filter(pk=future.pk).update(starts_on=today + datetime.timedelta(days=1))
    issue = approved_issue(bulletin)

    publish(issue, publisher, django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mail.outbox) == ["reader000@example.org", "reader001@example.org"]
    rows = Delivery.objects.filter(issue=issue)
    assert rows.count() == 2 and set(rows.values_list("state", flat=True)) == {State.SENT}
    assert all(r.message_id.startswith("<delivery-") and r.attempts == 1 for r in rows)

    # Running the fan-out and the sending again changes nothing and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        ids = delivery.fan_out_issue_deliveries(issue_id=issue.pk)
        delivery.send_deliveries(delivery_ids=list(rows.values_list("pk", flat=True)))
    assert ids == [] and len(mail.outbox) == 2 and rows.count() == 2


def test_email_is_in_the_subscribers_language_with_text_html_and_unsubscribe_headers(
    bulletin, publisher, django_capture_on_commit_callbacks
):
    make_subscriptions(bulletin, 2)  # reader0 zh-hans, reader1 en
    issue = approved_issue(bulletin)
    publish(issue, publisher, django_capture_on_commit_callbacks)

    zh, en = sent_to("reader000@example.org")[0], sent_to("reader001@example.org")[0]
    for message in (zh, en):
        html = message.alternatives[0][0]
        assert message.alternatives[0][1] == "text/html"
        assert "<img" not in html and "src=" not in html  # no pixels, no remote anything
        assert message.subject == issue.display_title
        assert "产业环境要闻1" in message.body and "产业环境要闻1" in html
        unsubscribe = message.extra_headers["List-Unsubscribe"]
        assert unsubscribe.startswith("<http") and "/subscriber/unsubscribe/" in unsubscribe
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe.strip("<>") in message.body
    assert "Download the PDF" in en.body and "Unsubscribe" in en.alternatives[0][0]
    assert '<html lang="en">' in en.alternatives[0][0]
    assert '<html lang="zh-CN">' in zh.alternatives[0][0]
    assert zh.extra_headers["Content-Language"] == "zh-hans"
    # The full MIME message has both parts and the deterministic Message-ID.
    raw = en.message()
    assert raw["Message-ID"] == Delivery.objects.get(subscription__subscriber__email="reader001@example.org").message_id
    assert {part.get_content_type() for part in raw.walk()} >= {"text/plain", "text/html"}


def test_links_in_the_email_work(bulletin, publisher, client, django_capture_on_commit_callbacks):
    make_subscriptions(bulletin, 1, languages=("en",))
    issue = approved_issue(bulletin)
    publish(issue, publisher, django_capture_on_commit_callbacks)
    pdf = add_rendition(Issue.objects.get(pk=issue.pk))
    message = mail.outbox[0]
    links = {urlsplit(u).path.split("/")[2]: urlsplit(u).path for u in urls_in(message.body)
             if "/subscriber/" in u}

    response = client.get(links["download"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf.file.open("rb").read()
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"

    page = client.get(links[next(k for k in links if k not in {"download", "unsubscribe"})])
    assert page.status_code == 200 and issue.display_title in page.content.decode()
    # Same-origin: the token never reaches another site, and the page's forms still pass
    # CSRF checking (with "no-referrer" browsers send "Origin: null").
    assert page["Referrer-Policy"] == "same-origin"

    # RFC 8058 one-click: a bare POST, no cookies, no CSRF token.
    one_click = client.__class__(enforce_csrf_checks=True)
    response = one_click.post(links["unsubscribe"], {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Subscription.objects.get().cancelled_at is not None
    assert client.get(links["download"]).status_code == 403  # the links die with it


def test_unsubscribe_link_asks_before_acting_on_get(bulletin, client):
    subscription = make_subscriptions(bulletin, 1, languages=("en",))[0]
    url = reverse("subscriber:unsubscribe", args=[make_unsubscribe_token(subscription)])
    response = client.get(url)
    assert response.status_code == 200 and b"<form" in response.content
    subscription.refresh_from_db()
    assert subscription.cancelled_at is None  # link scanners fetch with GET
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 200  # twice is fine
    assert client.get(url[:-5] + "xxxx/").status_code == 404


def test_formats_attachments_and_sections(bulletin, publisher, django_capture_on_commit_callbacks):
    sections = list(bulletin.sections.order_by("position"))
    [attach, html, metrics, chosen] = make_subscriptions(bulletin, 4, languages=("en",))
    Subscription.objects.filter(pk=attach.pk).update(formats=["pdf_attachment"])
    Subscription.objects.filter(pk=html.pk).update(formats=["html"])
    Subscription.objects.filter(pk=metrics.pk).update(formats=["metrics", "pdf_link"])
    Subscription.objects.filter(pk=chosen.pk).update(formats=["pdf_link"])
    chosen.sections.set([sections[1]])
    issue = approved_issue(bulletin)
    MetricFactory(issue=issue, indicator=IndicatorFactory(name="软件业务收入"), value="65360",
                  status=Metric.Status.CONFIRMED, article=issue.articles.get(section=sections[1]))
    pdf = add_rendition(issue)
    publish(issue, publisher, django_capture_on_commit_callbacks)

    attached = sent_to(attach.subscriber.email)[0]
    assert [(name, mime) for name, _c, mime in attached.attachments] == [
        (f"{issue.file_stem}.pdf", "application/pdf")
    ]
    assert attached.attachments[0][1] == pdf.file.open("rb").read()
    assert "/subscriber/download/" not in attached.body  # it has the file itself

    full = sent_to(html.subscriber.email)[0]
    assert "产业环境正文第1篇。" in full.body and "产业环境正文第1篇。" in full.alternatives[0][0]
    assert not full.attachments

    figures = sent_to(metrics.subscriber.email)[0]
    [(name, content, mime)] = figures.attachments
    assert name.endswith("-metrics.xlsx") and mime == XLSX_MIME
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert any("软件业务收入" in row for row in rows)

    narrow = sent_to(chosen.subscriber.email)[0]
    assert "运营竞争要闻1" in narrow.body and "产业环境要闻1" not in narrow.body
    assert "Only the sections you chose" in narrow.body


def test_pdf_attachment_waits_for_a_queued_pdf_without_using_an_attempt(bulletin):
    subscription = make_subscriptions(bulletin, 1, formats=["pdf_attachment"])[0]
    issue = published_issue(bulletin)
    Rendition.objects.create(issue=issue, kind="pdf", state=Rendition.State.QUEUED)
    ids = delivery.fan_out_issue_deliveries(issue_id=issue.pk)
    outcome = delivery.send_deliveries(delivery_ids=ids)
    row = Delivery.objects.get(subscription=subscription)
    assert outcome.retry == ids and not mail.outbox
    assert row.state == State.PENDING and row.attempts == 0 and row.next_attempt_at > timezone.now()

    # Once the wait is over with still no PDF, the e-mail goes with a link instead.
    Issue.objects.filter(pk=issue.pk).update(published_at=timezone.now() - datetime.timedelta(hours=2))
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    delivery.send_deliveries(delivery_ids=ids)
    assert len(mail.outbox) == 1 and "/subscriber/download/" in mail.outbox[0].body


def test_correction_sends_an_erratum_to_those_who_received_the_issue(
    bulletin, publisher, django_capture_on_commit_callbacks
):
    received, _late = make_subscriptions(bulletin, 2, languages=("en",))
    issue = approved_issue(bulletin)
    publish(issue, publisher, django_capture_on_commit_callbacks)
    late = make_subscriptions(bulletin, 1, prefix="late", languages=("en",))[0]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        publishing.correct_issue(issue=Issue.objects.get(pk=issue.pk), user=publisher,
                                 erratum="第3页营收数据应为65360亿元。")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [received.subscriber.email, _late.subscriber.email]
    )
    notice = mail.outbox[0]
    assert notice.subject.startswith("Correction: ")
    assert "第3页营收数据应为65360亿元。" in notice.body
    assert "List-Unsubscribe" in notice.extra_headers
    assert not Delivery.objects.filter(subscription=late, kind="erratum").exists()
    # Someone sent the issue after the correction has the corrected text: no notice.
    with django_capture_on_commit_callbacks(execute=True):
        delivery.send_deliveries(delivery_ids=delivery.fan_out_issue_deliveries(issue_id=issue.pk))
    assert "第3页营收数据应为65360亿元。" in sent_to(late.subscriber.email)[0].body
    mail.outbox.clear()
    assert delivery.fan_out_issue_deliveries(issue_id=issue.pk, kind="erratum") == []

    # A second correction sends a second notice (same rows, new Message-ID); a rerun none.
    first_ids = set(Delivery.objects.filter(kind="erratum").values_list("message_id", flat=True))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.correct_issue(issue=Issue.objects.get(pk=issue.pk), user=publisher,
                                 erratum="另：第5页增速应为12%。")
    # ... to the two first readers and to the late one, who got the issue in between.
    assert len(mail.outbox) == 3 and "第5页增速应为12%" in mail.outbox[0].body
    second_ids = set(Delivery.objects.filter(kind="erratum").values_list("message_id", flat=True))
    assert not first_ids & second_ids
    with django_capture_on_commit_callbacks(execute=True):
        delivery.fan_out_issue_deliveries(issue_id=issue.pk, kind="erratum")
        delivery.send_deliveries(delivery_ids=list(Delivery.objects.values_list("pk", flat=True)))
    assert len(mail.outbox) == 3


def test_back_catalogue_publish_is_not_mailed(bulletin, publisher, django_capture_on_commit_callbacks):
    make_subscriptions(bulletin, 2)
    issue = approved_issue(bulletin)
    Issue.objects.filter(pk=issue.pk).update(state=IssueState.ASSEMBLING)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish_back_catalogue_issue(issue=Issue.objects.get(pk=issue.pk), user=publisher)
    assert not mail.outbox and not Delivery.objects.exists()


def test_withdrawn_issue_and_unsubscribed_reader_are_not_sent(bulletin):
    first, second = make_subscriptions(bulletin, 2)
    issue = published_issue(bulletin)
    ids = delivery.fan_out_issue_deliveries(issue_id=issue.pk)
    unsubscribe_by_link(token=make_unsubscribe_token(first))
    assert Delivery.objects.get(subscription=first).state == State.CANCELLED
    Issue.objects.filter(pk=issue.pk).update(state=IssueState.WITHDRAWN)
    outcome = delivery.send_deliveries(delivery_ids=ids)
    assert not mail.outbox
    assert outcome.cancelled == [Delivery.objects.get(subscription=second).pk]
    assert Delivery.objects.get(subscription=second).last_error == "The issue is no longer published."


def test_sweeper_fans_out_what_a_broker_outage_missed(
    bulletin, publisher, monkeypatch, django_capture_on_commit_callbacks
):
    make_subscriptions(bulletin, 3)
    issue = approved_issue(bulletin)

    def broker_down(**kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(delivery, "queue_issue_deliveries", broker_down)
    publish(issue, publisher, django_capture_on_commit_callbacks)  # the publish stands
    assert Issue.objects.get(pk=issue.pk).state == IssueState.PUBLISHED
    assert not Delivery.objects.exists()

    due = delivery.fan_out_due_deliveries(
        now=timezone.now() + datetime.timedelta(seconds=delivery._setting("DELIVERY_LEASE_SECONDS", 600) + 1)
    )
    assert len(due) == 3
    delivery.send_deliveries(delivery_ids=due)
    assert len(mail.outbox) == 3
    assert delivery.fan_out_due_deliveries() == []


def test_subscriber_page_lists_issues_and_changes_formats(bulletin, client):
    subscription = make_subscriptions(bulletin, 1, languages=("en",))[0]
    issue = published_issue(bulletin)
    add_rendition(issue)
    url = reverse("subscriber:page", args=[make_page_token(subscription.subscriber)])
    html = client.get(url).content.decode()
    assert issue.display_title in html and "/subscriber/download/" in html

    second = bulletin.sections.order_by("position")[1]
    prefix = f"s{subscription.pk}"
    response = client.post(url, {
        "subscription": subscription.pk, "action": "save",
        f"{prefix}-formats": ["html", "metrics"], f"{prefix}-sections": [second.pk],
    })
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.formats == ["html", "metrics"]
    assert list(subscription.sections.all()) == [second]

    response = client.post(url, {"subscription": subscription.pk, "action": "save"})
    assert response.status_code == 400 and "at least one format" in response.content.decode()

    # Someone else's subscription cannot be touched through this page.
    other = make_subscriptions(bulletin, 1, prefix="other")[0]
    assert client.post(url, {"subscription": other.pk, "action": "unsubscribe"}).status_code == 404

    assert client.post(url, {"subscription": subscription.pk, "action": "unsubscribe"}).status_code == 302
    subscription.refresh_from_db()
    assert subscription.cancelled_at is not None
    assert "/subscriber/download/" not in client.get(url).content.decode()


def test_refused_links_answer_with_a_clear_page(bulletin, client, monkeypatch):
    subscription = make_subscriptions(bulletin, 1, languages=("en",))[0]
    token = make_page_token(subscription.subscriber)
    assert client.get(reverse("subscriber:page", args=[token + "x"])).status_code == 404
    monkeypatch.setattr("editorial.links.link_max_age", lambda: datetime.timedelta(seconds=-1))
    response = client.get(reverse("subscriber:page", args=[token]))
    assert response.status_code == 410 and b"renew" in response.content
    response = client.post(reverse("subscriber:renew", args=[token]))
    assert response.status_code == 200
    assert [m.to for m in mail.outbox] == [[subscription.subscriber.email]]
    client.post(reverse("subscriber:renew", args=[token]))
    assert len(mail.outbox) == 1  # at most one per ten minutes
    Subscriber.objects.filter(pk=subscription.subscriber_id).update(active=False)
    monkeypatch.undo()
    assert client.get(reverse("subscriber:page", args=[token])).status_code == 403


def test_delivery_report_and_resend_action(
    bulletin, superuser, client, reviewer, django_capture_on_commit_callbacks
):
    subscriptions = make_subscriptions(bulletin, 3)
    issue = published_issue(bulletin)
    ids = delivery.fan_out_issue_deliveries(issue_id=issue.pk)
    delivery.send_deliveries(delivery_ids=ids)
    Delivery.objects.filter(subscription=subscriptions[0]).update(
        state=State.FAILED, last_error="550 5.1.1 No such user here", attempts=1
    )
    client.force_login(superuser)
    report_url = reverse("admin:editorial_issue_deliveries", args=[issue.pk])
    html = client.get(report_url).content.decode()
    assert "550 5.1.1 No such user here" in html and subscriptions[0].subscriber.email in html
    counts = delivery_report(issue=issue)["counts"]["issue"]
    assert counts[State.SENT] == 2 and counts[State.FAILED] == 1
    change = client.get(reverse("admin:editorial_issue_change", args=[issue.pk]))
    assert report_url in change.content.decode()

    mail.outbox.clear()
    changelist = reverse("admin:editorial_issue_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "resend_failed_deliveries",
                                            "_selected_action": [issue.pk]})
    assert response.status_code == 302
    assert Delivery.objects.get(subscription=subscriptions[0]).state == State.SENT
    assert [m.to for m in mail.outbox] == [[subscriptions[0].subscriber.email]]

    # A reviewer may read the report but not resend.
    Delivery.objects.filter(subscription=subscriptions[0]).update(state=State.FAILED)
    client.force_login(reviewer)
    assert client.get(report_url).status_code == 200
    client.post(report_url, {"action": "resend"})
    assert Delivery.objects.get(subscription=subscriptions[0]).state == State.FAILED


def test_email_charts_are_png_parts_referenced_by_content_id(
    bulletin, publisher, django_capture_on_commit_callbacks
):
    """Gmail and Outlook show no SVG: each chart is a PNG inside the message
    (multipart/related beside the HTML), and the HTML points at it by cid:."""
    import re

    sections = list(bulletin.sections.order_by("position"))
    [full, links_only] = make_subscriptions(bulletin, 2, languages=("zh-hans",))
    Subscription.objects.filter(pk=full.pk).update(formats=["html"])
    earlier = published_issue(bulletin, number=1)
    Issue.objects.filter(pk=earlier.pk).update(issue_date=datetime.date(2020, 11, 26))
    issue = approved_issue(bulletin, number=2)
    Issue.objects.filter(pk=issue.pk).update(issue_date=datetime.date(2020, 12, 3))
    issue.refresh_from_db()
    indicator = IndicatorFactory(name="电信业务收入", unit="亿元")
    for source, value, label in ((earlier, "11200", "1—9月"), (issue, "12451", "1—10月")):
        MetricFactory(issue=source, indicator=indicator, value=value, period_label=label,
                      status=Metric.Status.CONFIRMED, article=source.articles.get(section=sections[0]))
    publish(issue, publisher, django_capture_on_commit_callbacks)

    message = sent_to(full.subscriber.email)[0]
    html = message.alternatives[0][0]
    assert "data:image/svg" not in html
    cids = re.findall(r'<img src="cid:([^"]+)"', html)
    assert len(cids) == 1

    raw = message.message()
    alternative = next(part for part in raw.walk() if part.get_content_type() == "multipart/alternative")
    kinds = [part.get_content_type() for part in alternative.get_payload()]
    assert kinds == ["text/plain", "multipart/related"]
    related = alternative.get_payload()[1]
    parts = related.get_payload()
    assert parts[0].get_content_type() == "text/html"
    images = parts[1:]
    assert [part.get_content_type() for part in images] == ["image/png"]
    assert images[0]["Content-ID"] == f"<{cids[0]}>"
    assert images[0].get_content_disposition() == "inline"
    png = images[0].get_payload(decode=True)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    from PIL import Image

    width, height = Image.open(io.BytesIO(png)).size
    assert width >= 1200 and height >= 600  # drawn at twice the chart's 640 × 320
    # The whole message survives a round trip through the wire format.
    from email import message_from_bytes, policy

    parsed = message_from_bytes(raw.as_bytes(), policy=policy.default)
    assert [p.get_content_type() for p in parsed.walk()].count("image/png") == 1

    # A reader without the HTML edition gets no images.
    plain = sent_to(links_only.subscriber.email)[0].message()
    assert "image/png" not in [part.get_content_type() for part in plain.walk()]
