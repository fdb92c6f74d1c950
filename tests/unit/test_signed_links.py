"""Signed subscriber links: they expire, cannot be forged or re-purposed, and stop
working when the subscription or the subscriber does. Plus the pure delivery rules."""

from __future__ import annotations

import datetime
import smtplib
import time
from unittest import mock

import pytest
from django.core import signing
from django.utils import timezone

from editorial import links
from editorial.links import LinkRefused
from editorial.mail import transport
from editorial.models import Organisation, Subscriber, Subscription
from editorial.services import delivery
from editorial.workflow import IssueState
from tests.factories import IssueFactory

DAY = 24 * 3600


@pytest.fixture
def subscription(db, bulletin):
    organisation = Organisation.objects.create(name="某研究院")
    subscriber = Subscriber.objects.create(
        organisation=organisation, email="reader@example.org", language="en"
    )
    return Subscription.objects.create(subscriber=subscriber, bulletin=bulletin, formats=["pdf_link"])


@pytest.fixture
def public_issue(bulletin):
    return IssueFactory(bulletin=bulletin, state=IssueState.PUBLISHED, published_at=timezone.now())


def signed_days_ago(days: float, make):
    """A token made ``days`` ago (the signer's clock is time.time)."""
    with mock.patch("django.core.signing.time.time", return_value=time.time() - days * DAY):
        return make()


def refusal(call) -> str:
    with pytest.raises(LinkRefused) as caught:
        call()
    return caught.value.code


# --- Downloads -----------------------------------------------------------------------------


def test_download_link_grants_its_issue_and_kind(subscription, public_issue):
    token = links.make_download_token(subscription=subscription, issue=public_issue, kind="pdf")
    grant = links.download_from_token(token)
    assert (grant.subscription, grant.issue, grant.kind) == (subscription, public_issue, "pdf")


def test_download_link_expires_after_the_configured_days(subscription, public_issue, settings):
    def make():
        return links.make_download_token(subscription=subscription, issue=public_issue, kind="pdf")

    assert links.download_from_token(signed_days_ago(29, make)).issue == public_issue
    assert refusal(lambda: links.download_from_token(signed_days_ago(31, make))) == "expired"
    settings.SUBSCRIBER_LINK_MAX_AGE_DAYS = 2
    assert refusal(lambda: links.download_from_token(signed_days_ago(3, make))) == "expired"


def test_tampered_download_link_is_refused(subscription, public_issue, bulletin):
    token = links.make_download_token(subscription=subscription, issue=public_issue, kind="pdf")
    rest = token.partition(":")[2]
    # Pointing the token at another issue without the key breaks the signature.
    other = IssueFactory(bulletin=bulletin, state=IssueState.PUBLISHED, published_at=timezone.now())
    forged_payload = signing.dumps(
        {"s": subscription.pk, "i": other.pk, "k": "pdf"}, salt="wrong"
    ).partition(":")[0]
    for forged in (
        f"{forged_payload}:{rest}",
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        token + "x",
        "garbage",
    ):
        assert refusal(lambda f=forged: links.download_from_token(f)) == "invalid"


def test_a_token_of_one_purpose_is_useless_for_another(subscription, public_issue):
    page_token = links.make_page_token(subscription.subscriber)
    unsubscribe_token = links.make_unsubscribe_token(subscription)
    assert refusal(lambda: links.download_from_token(page_token)) == "invalid"
    assert refusal(lambda: links.download_from_token(unsubscribe_token)) == "invalid"
    download = links.make_download_token(subscription=subscription, issue=public_issue, kind="pdf")
    assert refusal(lambda: links.subscriber_from_page_token(download)) == "invalid"
    assert refusal(lambda: links.subscription_from_unsubscribe_token(download)) == "invalid"


def test_cancelled_or_ended_subscription_revokes_download_links(subscription, public_issue):
    token = links.make_download_token(subscription=subscription, issue=public_issue, kind="pdf")
    subscription.cancelled_at = timezone.now()
    subscription.save()
    assert refusal(lambda: links.download_from_token(token)) == "revoked"

    subscription.cancelled_at = None
    subscription.starts_on = timezone.localdate() - datetime.timedelta(days=10)
    subscription.ends_on = timezone.localdate() - datetime.timedelta(days=1)
    subscription.save()
    assert refusal(lambda: links.download_from_token(token)) == "revoked"

    subscription.ends_on = None
    subscription.save()
    assert links.download_from_token(token).issue == public_issue


def test_deactivated_subscriber_or_organisation_revokes_links(subscription, public_issue):
    token = links.make_download_token(subscription=subscription, issue=public_issue, kind="pdf")
    page = links.make_page_token(subscription.subscriber)
    Subscriber.objects.filter(pk=subscription.subscriber_id).update(active=False)
    assert refusal(lambda: links.download_from_token(token)) == "revoked"
    assert refusal(lambda: links.subscriber_from_page_token(page)) == "revoked"

    Subscriber.objects.filter(pk=subscription.subscriber_id).update(active=True)
    Organisation.objects.filter(pk=subscription.subscriber.organisation_id).update(active=False)
    assert refusal(lambda: links.download_from_token(token)) == "revoked"
    assert refusal(lambda: links.subscriber_from_page_token(page)) == "revoked"


def test_withdrawn_or_foreign_issue_is_not_downloadable(subscription, public_issue):
    token = links.make_download_token(subscription=subscription, issue=public_issue, kind="pdf")
    public_issue.state = IssueState.WITHDRAWN
    public_issue.save()
    assert refusal(lambda: links.download_from_token(token)) == "gone"

    foreign = IssueFactory(state=IssueState.PUBLISHED, published_at=timezone.now())  # other bulletin
    token = links.make_download_token(subscription=subscription, issue=foreign, kind="pdf")
    assert refusal(lambda: links.download_from_token(token)) == "gone"


def test_subscription_not_started_or_issue_from_before_it_is_not_granted(
    subscription, public_issue, bulletin
):
    token = links.make_download_token(subscription=subscription, issue=public_issue, kind="pdf")
    Subscription.objects.filter(pk=subscription.pk).update(
        starts_on=timezone.localdate() + datetime.timedelta(days=1)
    )
    assert refusal(lambda: links.download_from_token(token)) == "revoked"  # not started

    Subscription.objects.filter(pk=subscription.pk).update(
        starts_on=timezone.localdate() - datetime.timedelta(days=5)
    )
    older = IssueFactory(
        bulletin=bulletin, state=IssueState.PUBLISHED,
        published_at=timezone.now() - datetime.timedelta(days=10),
    )
    token = links.make_download_token(subscription=subscription, issue=older, kind="pdf")
    assert refusal(lambda: links.download_from_token(token)) == "gone"
    assert links.download_from_token(
        links.make_download_token(subscription=subscription, issue=public_issue, kind="pdf")
    ).issue == public_issue


# --- Page and unsubscribe links --------------------------------------------------------------


def test_page_link_expires_and_dies_with_an_address_change(subscription):
    subscriber = subscription.subscriber
    assert links.subscriber_from_page_token(links.make_page_token(subscriber)) == subscriber
    old = signed_days_ago(31, lambda: links.make_page_token(subscriber))
    assert refusal(lambda: links.subscriber_from_page_token(old)) == "expired"
    # ... but an expired genuine link may ask for a fresh one, for the same person only.
    assert links.subscriber_for_renewal(old) == subscriber
    assert links.subscriber_for_renewal("garbage:token") is None

    token = links.make_page_token(subscriber)
    subscriber.email = "successor@example.org"
    subscriber.save()
    assert refusal(lambda: links.subscriber_from_page_token(token)) == "invalid"


def test_unsubscribe_link_does_not_expire(subscription):
    token = signed_days_ago(400, lambda: links.make_unsubscribe_token(subscription))
    assert links.subscription_from_unsubscribe_token(token) == subscription
    assert refusal(lambda: links.subscription_from_unsubscribe_token(token[:-3])) == "invalid"


# --- Pure rules ---------------------------------------------------------------------------


def test_retry_delay_grows_exponentially_and_is_capped():
    delays = [delivery.retry_delay_seconds(n, base=60, cap=3600, jitter=lambda: 0) for n in range(1, 9)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    jittered = delivery.retry_delay_seconds(2, base=60, cap=3600, jitter=lambda: 1)
    assert jittered == 150  # at most 25% more
    assert delivery.retry_delay_seconds(3, base=0, cap=10) == 0


def test_smtp_errors_are_sorted_into_transient_and_permanent():
    assert transport.describe_smtp_error(smtplib.SMTPRecipientsRefused(
        {"x@example.org": (550, b"5.1.1 no such user")}
    ))[1] is True
    assert transport.describe_smtp_error(smtplib.SMTPRecipientsRefused(
        {"x@example.org": (450, b"4.2.1 mailbox busy")}
    ))[1] is False
    assert transport.describe_smtp_error(smtplib.SMTPDataError(451, b"try later"))[1] is False
    assert transport.describe_smtp_error(smtplib.SMTPDataError(554, b"rejected"))[1] is True
    assert transport.describe_smtp_error(ConnectionRefusedError(111, "refused"))[1] is False
    assert transport.describe_smtp_error(smtplib.SMTPServerDisconnected("gone"))[1] is False


def test_pacer_spaces_hand_overs_to_the_rate_limit():
    clock = {"now": 100.0}
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        clock["now"] += seconds

    pacer = delivery.Pacer(120, clock=lambda: clock["now"], sleep=sleep)  # one per 0.5 s
    for _ in range(4):
        pacer.wait()
    assert slept == [0.5, 0.5, 0.5]
    unlimited = delivery.Pacer(0, sleep=lambda s: pytest.fail("no limit, no sleep"))
    unlimited.wait()
    unlimited.wait()


def test_batches_split_ids_without_duplicates():
    assert delivery.delivery_batches([5, 1, 3, 3, 2], size=2) == [[1, 2], [3, 5]]
    assert delivery.delivery_batches([], size=50) == []
