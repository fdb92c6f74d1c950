"""Subscribers sign in without a password: one-time links, limits, seats, sign-out, and
signing in from the subscription page link of an issue e-mail."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from editorial import links
from editorial.models import (
    AccessLogEntry,
    Organisation,
    SignInLink,
    Subscriber,
    SubscriberSignIn,
    Subscription,
)
from editorial.selectors.access import SESSION_SUBSCRIBER_KEY
from editorial.services import retention, signing_in
from tests.integration.test_public_pages import text_of
from tests.integration.test_subscriber_access_matrix import (
    SECRET_SENTENCE,
    build_subscriber_site,
)

pytestmark = pytest.mark.django_db

SIGN_IN = "/subscriber/sign-in/"
LINK = re.compile(r"http://[^\s\"]+/subscriber/sign-in/([\w-]+)/(\?next=[^\s\"]*)?")


@pytest.fixture
def site(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    cache.clear()
    from tests.integration.test_public_pages import build_public_site

    build_public_site()  # the shared indicator the subscriber site quotes
    gated = build_subscriber_site()
    organisation = Organisation.objects.create(name="华信咨询有限公司", seat_limit=2)
    people = []
    for name, email in (("李雷", "li.lei@huaxin.example"), ("韩梅梅", "han.mei@huaxin.example"),
                        ("王芳", "wang.fang@huaxin.example")):
        subscriber = Subscriber.objects.create(organisation=organisation, name=name, email=email)
        Subscription.objects.create(subscriber=subscriber, bulletin=gated.bulletin)
        people.append(subscriber)
    gated.people = people
    return gated


def ask(client, email, *, address="127.0.0.1", next_url="", capture=None):
    data = {"email": email, "next": next_url}
    if capture is None:
        return client.post(SIGN_IN, data, REMOTE_ADDR=address)
    with capture(execute=True):
        return client.post(SIGN_IN, data, REMOTE_ADDR=address)


def form_errors(response) -> list[str]:
    return re.findall(r'<div class="errors" role="alert">(.*?)</div>', text_of(response), re.S)


def link_in_last_mail() -> tuple[str, str]:
    match = LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    url = urlsplit(match.group(0))
    return match.group(1), f"{url.path}?{url.query}" if url.query else url.path


def sign_in(client, subscriber, capture, *, next_url=""):
    mail.outbox.clear()
    ask(client, subscriber.email, next_url=next_url, capture=capture)
    _token, path = link_in_last_mail()
    return client.post(path, {"next": next_url})


def test_a_link_signs_in_once_for_the_session_length(client, site, settings, django_capture_on_commit_callbacks):
    article_url = site.article.get_absolute_url()
    assert SECRET_SENTENCE not in text_of(client.get(article_url))
    form = client.get(f"{SIGN_IN}?next={article_url}")
    assert form.status_code == 200 and 'name="email"' in text_of(form)
    response = ask(client, "Li.Lei@HuaXin.example ", next_url=article_url,
                   capture=django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li.lei@huaxin.example"]
    token, path = link_in_last_mail()
    link = SignInLink.objects.get()
    # Only the digest is kept, and the link lives SUBSCRIBER_SIGN_IN_LINK_MINUTES.
    assert link.token_digest == signing_in.token_digest(token) and token not in link.token_digest
    lifetime = link.expires_at - link.created_at
    assert abs(lifetime - datetime.timedelta(minutes=settings.SUBSCRIBER_SIGN_IN_LINK_MINUTES)) < datetime.timedelta(seconds=5)
    # Opening the link (as a mail scanner would) does not use it.
    confirm = client.get(path)
    assert confirm.status_code == 200 and "li.lei@huaxin.example" in text_of(confirm)
    assert SignInLink.objects.get().used_at is None
    done = client.post(path, {"next": article_url})
    assert done.status_code == 302 and done["Location"] == article_url
    assert client.session[SESSION_SUBSCRIBER_KEY] == site.people[0].pk
    assert abs(client.session.get_expiry_age() - settings.SUBSCRIBER_SESSION_DAYS * 86400) < 60
    sign_in_row = SubscriberSignIn.objects.get()
    assert sign_in_row.method == "email_link" and sign_in_row.organisation_id == site.people[0].organisation_id
    page = text_of(client.get(article_url))
    assert SECRET_SENTENCE in page and "李雷 · 华信咨询有限公司" in page
    assert reverse("subscriber:sign_out") in page
    # Single use: the same link again is refused and signs nobody in.
    client.post(reverse("subscriber:sign_out"))
    again = client.post(path)
    assert again.status_code == 410 and SESSION_SUBSCRIBER_KEY not in client.session
    assert client.get(path).status_code == 410
    assert SubscriberSignIn.objects.count() == 1


def test_an_expired_or_forged_link_is_refused(client, site, django_capture_on_commit_callbacks):
    ask(client, site.people[0].email, capture=django_capture_on_commit_callbacks)
    _token, path = link_in_last_mail()
    SignInLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.post(path).status_code == 410
    assert SESSION_SUBSCRIBER_KEY not in client.session
    assert client.post(f"{SIGN_IN}{'x' * 43}/").status_code == 404
    assert SubscriberSignIn.objects.count() == 0


def test_known_and_unknown_addresses_get_the_same_answer(client, site, django_capture_on_commit_callbacks):
    known = ask(client, site.people[0].email, capture=django_capture_on_commit_callbacks)
    unknown = ask(client, "nobody@elsewhere.example", address="127.0.0.2",
                  capture=django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert len(mail.outbox) == 1 and SignInLink.objects.count() == 1
    # The answer is made before anyone is looked up: the look-up and the mail come after
    # the response, so its timing says nothing either.
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(SIGN_IN, {"email": site.people[1].email}, REMOTE_ADDR="127.0.0.3")
    assert not any("editorial_subscriber" in query["sql"] for query in queries.captured_queries)
    assert len(callbacks) == 1
    # A deactivated subscriber is answered the same, and sent nothing.
    Subscriber.objects.filter(pk=site.people[2].pk).update(active=False)
    deactivated = ask(client, site.people[2].email, address="127.0.0.4",
                      capture=django_capture_on_commit_callbacks)
    assert deactivated.content == known.content and len(mail.outbox) == 1


def test_requests_are_limited_per_address_and_per_client(client, site, django_capture_on_commit_callbacks):
    for _ in range(signing_in.REQUESTS_PER_ADDRESS):
        assert ask(client, site.people[0].email, capture=django_capture_on_commit_callbacks).status_code == 200
    refused = ask(client, site.people[0].email, address="127.0.0.9", capture=django_capture_on_commit_callbacks)
    assert refused.status_code == 429 and len(mail.outbox) == signing_in.REQUESTS_PER_ADDRESS
    # An unknown address is limited the same way: the limit tells nobody who subscribes.
    for _ in range(signing_in.REQUESTS_PER_ADDRESS):
        ask(client, "nobody@elsewhere.example", address="127.0.0.10")
    unknown = ask(client, "nobody@elsewhere.example", address="127.0.0.11")
    assert unknown.status_code == 429 and form_errors(unknown) == form_errors(refused) != []
    # Per client address, whatever the e-mail addresses.
    answers = [
        ask(client, f"reader{n}@elsewhere.example", address="127.0.0.20").status_code
        for n in range(signing_in.REQUESTS_PER_CLIENT + 1)
    ]
    assert answers[:-1] == [200] * signing_in.REQUESTS_PER_CLIENT and answers[-1] == 429
    assert ask(client, "someone@elsewhere.example", address="127.0.0.21").status_code == 200


def test_bad_addresses_change_nothing(client, site):
    response = client.post(SIGN_IN, {"email": "not an address"})
    assert response.status_code == 400 and 'aria-invalid="true"' in text_of(response)
    assert not mail.outbox and not SignInLink.objects.exists()
    # An outside "next" is not followed after signing in.
    assert signing_in.safe_next("https://evil.example/") == ""
    assert signing_in.safe_next("//evil.example/") == ""
    assert signing_in.safe_next("/b/slcy/12/") == "/b/slcy/12/"


def test_deactivation_takes_effect_at_once(client, site, django_capture_on_commit_callbacks):
    assert sign_in(client, site.people[0], django_capture_on_commit_callbacks).status_code == 302
    url = site.article.get_absolute_url()
    assert SECRET_SENTENCE in text_of(client.get(url))
    Subscriber.objects.filter(pk=site.people[0].pk).update(active=False)
    html = text_of(client.get(url))
    assert SECRET_SENTENCE not in html and "李雷" not in html
    # A link mailed before the deactivation no longer signs in.
    other = client.__class__()
    ask(other, site.people[1].email, capture=django_capture_on_commit_callbacks)
    _token, path = link_in_last_mail()
    Organisation.objects.update(active=False)
    refused = other.post(path)
    assert refused.status_code == 403 and SESSION_SUBSCRIBER_KEY not in other.session
    assert SignInLink.objects.get(subscriber=site.people[1]).used_at is None


def test_seats_limit_distinct_people_per_period(client, site, settings, django_capture_on_commit_callbacks):
    first, second, third = site.people
    for person in (first, second):
        browser = client.__class__()
        assert sign_in(browser, person, django_capture_on_commit_callbacks).status_code == 302
    # Both seats are taken: the third person is refused, and nothing is changed.
    browser = client.__class__()
    refused = sign_in(browser, third, django_capture_on_commit_callbacks)
    assert refused.status_code == 403 and SESSION_SUBSCRIBER_KEY not in browser.session
    assert 'class="errors"' in text_of(refused) and "2" in text_of(refused)
    assert SubscriberSignIn.objects.count() == 2
    assert SignInLink.objects.get(subscriber=third).used_at is None
    # Someone holding a seat signs in again (another browser), and still only two seats are used.
    assert sign_in(client.__class__(), first, django_capture_on_commit_callbacks).status_code == 302
    assert signing_in.seats_used(first.organisation) == 2
    # Once the period has passed, the seats are free again.
    SubscriberSignIn.objects.update(
        signed_in_at=timezone.now() - datetime.timedelta(days=settings.BULLETIN_SEAT_PERIOD_DAYS + 1)
    )
    assert sign_in(browser, third, django_capture_on_commit_callbacks).status_code == 302
    assert signing_in.seats_used(first.organisation) == 1


def test_no_subscription_in_force_no_sign_in(client, site, django_capture_on_commit_callbacks):
    Subscription.objects.update(ends_on=timezone.localdate() - datetime.timedelta(days=1),
                                starts_on=timezone.localdate() - datetime.timedelta(days=90))
    refused = sign_in(client, site.people[0], django_capture_on_commit_callbacks)
    assert refused.status_code == 403 and not SubscriberSignIn.objects.exists()


def test_sign_out(client, site, django_capture_on_commit_callbacks):
    sign_in(client, site.people[0], django_capture_on_commit_callbacks)
    assert client.get(reverse("subscriber:sign_out")).status_code == 405
    response = client.post(reverse("subscriber:sign_out"))
    assert response.status_code == 302 and SESSION_SUBSCRIBER_KEY not in client.session
    assert SECRET_SENTENCE not in text_of(client.get(site.article.get_absolute_url()))


def test_the_subscription_page_link_of_an_email_signs_in(client, site):
    subscriber = site.people[0]
    page_url = urlsplit(links.page_url(subscriber)).path
    assert client.get(page_url).status_code == 200
    assert client.session[SESSION_SUBSCRIBER_KEY] == subscriber.pk
    assert SubscriberSignIn.objects.get().method == "delivery_link"
    client.get(page_url)  # already signed in: no second seat row
    assert SubscriberSignIn.objects.count() == 1
    assert SECRET_SENTENCE in text_of(client.get(site.article.get_absolute_url()))
    # A download through an e-mail's signed link is logged too.
    subscription = subscriber.subscriptions.get()
    subscription.starts_on = datetime.date(2020, 1, 1)  # the issue falls in its period
    subscription.save()
    download = urlsplit(links.download_url(subscription=subscription, issue=site.issue, kind="pdf")).path
    assert client.get(download).status_code == 200
    assert AccessLogEntry.objects.filter(resource="e-mail link:pdf", subscriber=subscriber).exists()


def test_retention_sweeps_spent_links_and_old_access_log(site):
    person = site.people[0]
    now = timezone.now()
    used = SignInLink.objects.create(subscriber=person, token_digest="a" * 64, expires_at=now + datetime.timedelta(minutes=5), used_at=now)
    expired = SignInLink.objects.create(subscriber=person, token_digest="b" * 64, expires_at=now - datetime.timedelta(minutes=1))
    live = SignInLink.objects.create(subscriber=person, token_digest="c" * 64, expires_at=now + datetime.timedelta(minutes=5))
    old = AccessLogEntry.objects.create(channel="download", organisation=person.organisation, resource="pdf")
    AccessLogEntry.objects.filter(pk=old.pk).update(at=now - datetime.timedelta(days=400))
    recent = AccessLogEntry.objects.create(channel="download", organisation=person.organisation, resource="pdf")
    report = retention.sweep_stored_files(now=now)
    assert (report.access_log, report.sign_in_links) == (1, 2)
    assert list(SignInLink.objects.values_list("pk", flat=True)) == [live.pk]
    assert list(AccessLogEntry.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not SignInLink.objects.filter(pk__in=[used.pk, expired.pk]).exists()


def test_admin_shows_seats_access_log_and_sign_ins(client, site, superuser, django_capture_on_commit_callbacks):
    sign_in(client.__class__(), site.people[0], django_capture_on_commit_callbacks)
    AccessLogEntry.objects.create(channel="download", organisation=site.people[0].organisation,
                                  subscriber=site.people[0], issue=site.issue, resource="pdf")
    client.force_login(superuser)
    organisations = text_of(client.get(reverse("admin:editorial_organisation_changelist")))
    assert "1 / 2" in organisations
    change = client.get(reverse("admin:editorial_organisation_change", args=[site.people[0].organisation_id]))
    assert change.status_code == 200 and 'name="seat_limit"' in text_of(change)
    log = client.get(reverse("admin:editorial_accesslogentry_changelist") + "?channel__exact=download")
    assert log.status_code == 200 and "li.lei@huaxin.example" in text_of(log)
    assert client.get(reverse("admin:editorial_accesslogentry_add")).status_code == 403
    sign_ins = client.get(reverse("admin:editorial_subscribersignin_changelist"))
    assert sign_ins.status_code == 200 and "li.lei@huaxin.example" in text_of(sign_ins)
    bulletin = text_of(client.get(reverse("admin:editorial_bulletin_change", args=[site.bulletin.pk])))
    assert 'name="access_level"' in bulletin and 'name="subscribe_note"' in bulletin
