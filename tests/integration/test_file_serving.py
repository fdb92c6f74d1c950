"""editorial.site.file_serving: how a stored file leaves a bucket or the filesystem.

The bucket is moto's in-process S3; the multi-process test does the same through a
real S3 server and gunicorn.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.http import Http404
from django.test import RequestFactory
from moto import mock_aws
from storages.backends.s3 import S3Storage

from editorial.site.file_serving import is_bucket, stored_file_response

# Closing a streamed response sends request_finished, which checks the database
# connection Django keeps: every test here may touch it.
pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.7\n" + "监测简报".encode() * 200_000 + b"\n%%EOF\n"  # ~2.4 MB


@pytest.fixture
def bucket(settings):
    with mock_aws():
        storage = S3Storage(bucket_name="media-test", region_name="us-east-1",
                            access_key="k", secret_key="k", default_acl=None,
                            file_overwrite=False, signature_version="s3v4")
        storage.connection.meta.client.create_bucket(Bucket="media-test")
        settings.MEDIA_SIGNED_URL_SECONDS = 120
        settings.MEDIA_BUCKET_STREAM = False
        yield storage


def request(method="GET"):
    return RequestFactory().generic(method, "/download/")


def test_a_bucket_file_is_a_short_signed_redirect_naming_the_download(bucket):
    name = bucket.save("renditions/2026/issue.pdf", ContentFile(CONTENT))
    assert is_bucket(bucket)
    response = stored_file_response(request(), name, storage=bucket,
                                    filename="产业简报-12.pdf", attachment=True)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["X-Amz-Expires"] == ["120"]
    assert query["response-content-type"] == ["application/pdf"]
    disposition = query["response-content-disposition"][0]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"


def test_head_on_a_bucket_file_is_answered_here_with_its_length(bucket):
    name = bucket.save("renditions/2026/issue.pdf", ContentFile(CONTENT))
    response = stored_file_response(request("HEAD"), name, storage=bucket,
                                    filename="issue.pdf", attachment=True)
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(CONTENT))
    assert "Location" not in response and response.content == b""


def test_a_missing_bucket_file_is_a_404_for_get_and_head(bucket):
    for method in ("GET", "HEAD"):
        with pytest.raises(Http404):
            stored_file_response(request(method), "renditions/gone.pdf", storage=bucket,
                                 filename="gone.pdf", attachment=True)


def test_streamed_from_the_bucket_in_blocks_never_whole(bucket, settings):
    settings.MEDIA_BUCKET_STREAM = True
    name = bucket.save("exports/big.pdf", ContentFile(CONTENT))
    response = stored_file_response(request(), name, storage=bucket,
                                    filename="big.pdf", attachment=True)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Length"] == str(len(CONTENT))
    blocks = list(response.streaming_content)
    assert len(blocks) >= 4 and max(map(len, blocks)) <= 512 * 1024
    assert b"".join(blocks) == CONTENT
    response.close()


@pytest.mark.parametrize("filename", ["issue.html", "chart.svg"])
def test_html_and_svg_leave_a_bucket_through_this_site_never_by_redirect(bucket, filename):
    # From the bucket's origin the file would open without the sandbox policy the
    # download views put on it, and could run a script there.
    body = b"<html><script>alert(1)</script></html>" if filename.endswith("html") else (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    name = bucket.save(f"renditions/2026/{filename}", ContentFile(body))
    response = stored_file_response(request(), name, storage=bucket,
                                    filename=filename, attachment=False)
    assert response.status_code == 200 and "Location" not in response
    assert b"".join(response.streaming_content) == body
    response.close()


def test_the_public_html_edition_from_a_bucket_keeps_its_sandbox(bucket, client, settings,
                                                                  tmp_path, monkeypatch):
    from editorial.models import Rendition
    from tests.integration.test_public_pages import build_public_site

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    site = build_public_site()
    rendition = Rendition.objects.filter(issue=site.issue, kind="html").first()
    assert rendition is not None and rendition.file
    monkeypatch.setattr(rendition.file.field, "storage", bucket)
    with rendition.file.open("rb") as handle:
        bucket.save(rendition.file.name, ContentFile(handle.read()))
    response = client.get(
        f"{site.issue.get_absolute_url()}download/html/"
    )
    assert response.status_code == 200, response.status_code
    assert "sandbox" in response["Content-Security-Policy"]
    assert "Location" not in response


def test_the_filesystem_streams_or_hands_over_to_nginx(tmp_path, settings):
    storage = FileSystemStorage(location=tmp_path)
    name = storage.save("renditions/issue.html", ContentFile(b"<p>\xe7\xae\x80</p>"))
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = ""
    response = stored_file_response(request(), name, storage=storage,
                                    filename="issue.html", attachment=False)
    assert response.streaming and b"".join(response.streaming_content) == b"<p>\xe7\xae\x80</p>"
    assert response["Content-Type"] == "text/html"
    assert response["Content-Disposition"].startswith("inline;")
    response.close()

    head = stored_file_response(request("HEAD"), name, storage=storage,
                                filename="issue.html", attachment=False)
    assert head["Content-Length"] == str(len(b"<p>\xe7\xae\x80</p>")) and head.content == b""

    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    accel = stored_file_response(request(), name, storage=storage,
                                 filename="issue.html", attachment=True)
    assert accel["X-Accel-Redirect"] == "/protected-media/renditions/issue.html"
    assert accel["Content-Disposition"].startswith("attachment;") and accel.content == b""

    with pytest.raises(Http404):
        stored_file_response(request(), "renditions/none.html", storage=storage,
                             filename="none.html", attachment=False)
