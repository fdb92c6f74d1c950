"""The product as separate processes: publish → render → deliver, files in a bucket.

gunicorn (2 workers), one Celery worker per queue and beat run as their own processes
(scripts/stack.py), configured only through the environment, against the test
database, a private Redis, moto's S3 server and an SMTP server in this process. The PDF
the render worker writes is in the bucket, never on this host's disk; the web process
answers downloads with a signed redirect to it, and the link in the e-mail the deliver
worker sent downloads the same bytes.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from editorial.models import Delivery, Rendition
from editorial.services import publishing
from editorial.workflow import PUBLISHER
from scripts.stack import MotoS3Server, RedisServer, SmtpSink, Stack, StackError
from tests.factories import BulletinFactory, UserFactory
from tests.integration.celery_worker import celery_app_using, database_url_for_workers
from tests.integration.test_delivery_support import approved_issue, make_subscriptions

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BUCKET = "bulletin-media"
LINK = re.compile(r"https?://[^\s<>\"']+/subscriber/download/[^\s<>\"']+")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, *, method: str = "GET", follow: bool = True):
    """(status, headers, body) of one request; redirects followed only when asked."""
    opener = urllib.request.build_opener(*([] if follow else [NoRedirect()]))
    request = urllib.request.Request(url, method=method)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def wait_for(predicate, *, timeout: float, what: str, stack: Stack):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"Timed out waiting for {what}\n{stack.logs()}")


@pytest.fixture
def services(tmp_path):
    with MotoS3Server(tmp_path) as s3, RedisServer(tmp_path) as redis, SmtpSink() as smtp:
        s3.create_bucket(BUCKET)
        yield s3, redis, smtp


def test_publish_render_and_deliver_across_processes_from_a_bucket(
    transactional_db, services, tmp_path
):
    s3, redis, smtp = services
    bulletin = BulletinFactory()
    issue = approved_issue(bulletin, articles_per_section=2)
    subscriptions = make_subscriptions(bulletin, 3, formats=("pdf_link",))
    publisher = UserFactory(username="publisher", roles=[PUBLISHER])
    try:
        stack = Stack(tmp_path, database_url=database_url_for_workers(), redis_url=redis.url,
                      s3=s3, bucket=BUCKET, smtp_port=smtp.port).start(timeout=60)
    except StackError as exc:
        pytest.fail(str(exc))
    try:
        with celery_app_using(redis.url):
            publishing.publish_issue(issue=issue, user=publisher)

        def rendered():
            return Rendition.objects.filter(
                issue=issue, kind=Rendition.Kind.PDF, is_current=True,
                state=Rendition.State.SUCCEEDED,
            ).exclude(file="").first()

        pdf = wait_for(rendered, timeout=45, what="the render worker's PDF", stack=stack)
        # Written by the render worker to the bucket, not to any local folder.
        assert pdf.file.name in s3.keys(BUCKET)
        stored = s3.client().get_object(Bucket=BUCKET, Key=pdf.file.name)["Body"].read()
        assert stored.startswith(b"%PDF") and len(stored) == pdf.size
        grants = s3.client().get_object_acl(Bucket=BUCKET, Key=pdf.file.name)["Grants"]
        assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers grant

        # The issue page and the public download, from the web process.
        status, _headers, page = fetch(stack.url(issue.get_absolute_url()))
        assert status == 200 and issue.bulletin.name in page.decode()
        download = stack.url(
            reverse("editorial:rendition", args=[bulletin.slug, issue.number, "pdf"])
        )
        status, headers, _ = fetch(download, follow=False)
        assert status == 302, stack.web.log_tail()
        signed = urlsplit(headers["Location"])
        assert f"{signed.scheme}://{signed.netloc}" == s3.endpoint
        query = parse_qs(signed.query)
        assert query["X-Amz-Expires"] == ["300"] and "X-Amz-Signature" in query
        assert query["response-content-type"] == ["application/pdf"]
        assert query["response-content-disposition"][0].startswith("attachment;")
        assert headers["Cache-Control"] == "private, no-store"
        status, headers, body = fetch(download)
        assert status == 200 and body == stored
        assert headers["Content-Type"] == "application/pdf"
        assert headers["Content-Disposition"].startswith("attachment;")
        # HEAD is answered by the web process itself (the signature is for GET only).
        status, headers, body = fetch(download, method="HEAD", follow=False)
        assert status == 200 and headers["Content-Length"] == str(len(stored)) and body == b""
        # Without the signature the bucket refuses: the object is not public.
        bare = f"{s3.endpoint}/{BUCKET}/{pdf.file.name}"
        assert fetch(bare)[0] == 403

        # The deliver worker's e-mails, one per subscriber, each with a working link.
        wait_for(lambda: smtp.count() >= len(subscriptions), timeout=45,
                 what="the deliver worker's e-mails", stack=stack)
        time.sleep(1)  # any duplicate would arrive now
        emails = {s.subscriber.email for s in subscriptions}
        assert dict(smtp.recipients) == dict.fromkeys(emails, 1)
        message = email.message_from_bytes(smtp.messages[0], policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        (link,) = set(LINK.findall(text))
        assert link.startswith(stack.base_url)
        status, headers, _ = fetch(link, follow=False)
        assert status == 302 and headers["Location"].startswith(s3.endpoint)
        status, headers, body = fetch(link)
        assert status == 200 and body == stored
        assert set(
            Delivery.objects.filter(issue=issue).values_list("state", flat=True)
        ) == {Delivery.State.SENT}
        for name, process in [("web", stack.web), *stack.workers.items(), ("beat", stack.beat)]:
            assert process.alive, f"{name} died:\n{process.log_tail()}"
        assert "Traceback" not in stack.workers["render"].log()
    finally:
        stack.stop()


def test_collected_static_files_are_hashed_compressed_and_cached_for_ever(
    transactional_db, tmp_path
):
    stack = Stack(tmp_path, database_url=database_url_for_workers(), redis_url="", s3=None,
                  env={"WHITENOISE_USE_FINDERS": "0", "STATIC_ROOT": str(tmp_path / "static")})
    stack.manage("collectstatic", "--noinput")
    try:
        stack.web.start(timeout=60)
        _status, _headers, page = fetch(stack.url("/"))
        (stylesheet,) = set(re.findall(r'/static/css/site\.[0-9a-f]{12}\.css', page.decode()))
        request = urllib.request.Request(stack.url(stylesheet),
                                         headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable"
            assert response.headers["Content-Encoding"] == "gzip"
        # The unhashed name is still served, but briefly cached: it changes with a deploy.
        status, headers, _ = fetch(stack.url("/static/css/site.css"))
        assert status == 200 and "immutable" not in headers["Cache-Control"]
    finally:
        stack.stop()
