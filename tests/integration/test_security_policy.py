"""Content-Security-Policy on public and admin pages, and upload limits.

The public site's policy allows no inline script and no inline style; the admin's allows
inline scripts only with the request's nonce. Download views keep their sandbox.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from editorial.models import ImportJob, Metric
from editorial.operations.upload_limits import validate_bulletin_upload
from editorial.workflow import IssueState
from tests.factories import ArticleFactory, IndicatorFactory, IssueFactory, MetricFactory

pytestmark = pytest.mark.django_db

CSP = "Content-Security-Policy"


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


class InlineCode(HTMLParser):
    """Collects what a strict policy would block: inline scripts, handlers, styles."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("inline <style>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name == "style":
                self.problems.append(f"{tag} style=")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"{tag} {name}=javascript:")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.problems


@pytest.fixture
def published(bulletin):
    issue = IssueFactory(
        bulletin=bulletin, number=47, state=IssueState.PUBLISHED, published_at=timezone.now()
    )
    ArticleFactory(
        issue=issue,
        title="工信部发布12项AI标准 覆盖芯片与算法评测",
        body="<p>12月1日，工业和信息化部发布人工智能芯片基准测试等12项行业标准。</p>"
        '<p style="color:red" onclick="alert(1)">据介绍，其中5项涉及芯片。</p>',
    )
    return issue


def public_urls(issue) -> list[str]:
    article = issue.articles.first()
    indicator = IndicatorFactory(name="电信业务收入", slug="telecom-revenue", confirmed=True)
    MetricFactory(indicator=indicator, issue=issue, status=Metric.Status.CONFIRMED)
    return [
        "/",
        issue.bulletin.get_absolute_url(),
        issue.get_absolute_url(),
        article.get_absolute_url(),
        reverse("editorial:search") + "?q=芯片",
        reverse("editorial:indicators"),
        reverse("editorial:indicator", args=[indicator.slug]),
        "/no-such-page/",
    ]


def test_public_pages_send_the_strict_policy_and_hold_no_inline_code(client, published):
    for url in public_urls(published):
        response = client.get(url)
        assert response.status_code == (404 if "no-such" in url else 200), url
        policy = directives(response[CSP])
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["default-src"] == ["'none'"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert not any("nonce-" in word for word in policy["script-src"])
        html = response.content.decode()
        assert inline_code(html) == [], (url, inline_code(html))
    # The article's own body had a handler and a style attribute: both were stripped.
    article_html = client.get(published.articles.first().get_absolute_url()).content.decode()
    assert "据介绍" in article_html and "alert(1)" not in article_html


def test_the_checker_sees_inline_code():
    # The scanner above must be able to fail.
    assert inline_code('<p onclick="x()">a</p><script>1</script><a href="javascript:x()">b</a>')
    assert inline_code('<div style="color:red">a</div>') == ["div style="]
    assert inline_code('<script src="/static/a.js"></script>') == []


def test_admin_pages_send_the_admin_policy(client, superuser, published):
    client.force_login(superuser)
    for url in (
        reverse("admin:index"),
        reverse("admin:editorial_issue_changelist"),
        reverse("admin:editorial_issue_change", args=[published.pk]),
        reverse("admin:editorial_article_change", args=[published.articles.first().pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = directives(response[CSP])
        assert policy["script-src"][0] == "'self'", url
        assert "'unsafe-inline'" not in policy["script-src"], url
        assert "'unsafe-inline'" in policy["style-src"], url
        assert policy["frame-ancestors"] == ["'none'"]


def test_an_admin_inline_script_carries_the_nonce_of_its_response(client, superuser, bulletin):
    client.force_login(superuser)
    job = ImportJob.objects.create(
        file=ContentFile(b"x", name="xxcy.txt"),
        original_name="第七期.txt",
        format=ImportJob.Format.TEXT,
        bulletin=bulletin,
        created_by=superuser,
    )
    first = client.get(reverse("admin:editorial_import_progress", args=[job.pk]))
    second = client.get(reverse("admin:editorial_import_progress", args=[job.pk]))
    nonces = []
    for response in (first, second):
        assert response.status_code == 200
        script_src = directives(response[CSP])["script-src"]
        [nonce_word] = [word for word in script_src if word.startswith("'nonce-")]
        nonce = nonce_word[len("'nonce-") : -1]
        html = response.content.decode()
        assert f'<script nonce="{nonce}">' in html
        nonces.append(nonce)
    assert nonces[0] != nonces[1]  # a fresh nonce per response


def test_the_admin_login_page_has_the_admin_policy(client):
    response = client.get(reverse("admin:login"))
    assert "'unsafe-inline'" in directives(response[CSP])["style-src"]


def test_downloads_keep_their_sandbox(client, published):
    indicator = IndicatorFactory(name="5G用户数", slug="5g-users", confirmed=True)
    MetricFactory(indicator=indicator, issue=published, status=Metric.Status.CONFIRMED)
    response = client.get(reverse("editorial:indicator_chart", args=[indicator.slug]))
    assert response.status_code == 200
    assert response[CSP] == "default-src 'none'; style-src 'unsafe-inline'"


@override_settings(CSP_MEDIA_ORIGINS=[])
def test_public_policy_lists_no_remote_script_origin(client, published):
    policy = directives(client.get("/")[CSP])
    assert all(re.match(r"^'self'$", word) for word in policy["script-src"])


# --- Uploads ---------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_unread_in_chinese(client, superuser, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client.force_login(superuser)
    # The declared length is over the limit; the body itself is never read.
    response = client.post(
        reverse("admin:editorial_import_upload"),
        data=b"x" * 10,
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(5 * 1024 * 1024),
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    )
    assert response.status_code == 413
    assert response["Connection"] == "close"
    assert response.content.decode() == "上传的内容过大：一次最多可发送 1 MB。"


def test_the_refusal_speaks_english_to_an_english_browser(client, settings):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    response = client.post(
        "/admin/login/",
        data=b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(3 * 1024 * 1024),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert response.content.decode() == (
        "The upload is too large: at most 2 MB may be sent at once."
    )


def test_a_real_upload_over_the_limit_is_refused_and_nothing_is_kept(
    client, editor, bulletin, settings
):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    client.force_login(editor)
    response = client.post(
        reverse("admin:editorial_import_upload"),
        {"file": SimpleUploadedFile("xxcy.txt", "产业环境\n".encode() * 20_000),
         "bulletin": bulletin.pk},
    )
    assert response.status_code == 413
    assert not ImportJob.objects.exists()
    # Under the limit the same form is served as before.
    assert client.get(reverse("admin:editorial_import_upload")).status_code == 200


def test_a_body_under_the_limit_passes(client, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    response = client.post("/admin/login/", {"username": "a", "password": "b"})
    assert response.status_code == 200  # the login form again, not 413


def test_django_limits_are_set(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024
    assert settings.UPLOAD_MAX_BYTES > settings.BULLETIN_IMPORT_MAX_BYTES


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("第40期.pdf", b"just text, not a PDF", "不是PDF"),
        ("第40期.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "不是Word文档"),
        ("第40期.txt", b"MZ\x90\x00" + bytes(100), "程序或压缩包"),
        ("第40期.txt", b"\x1f\x8b\x08\x00" + bytes(100), "程序或压缩包"),
    ],
)
def test_the_import_form_refuses_a_file_whose_bytes_contradict_it(
    client, editor, bulletin, name, data, message
):
    client.force_login(editor)
    response = client.post(
        reverse("admin:editorial_import_upload"),
        {"file": SimpleUploadedFile(name, data), "bulletin": bulletin.pk},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_import_form_refuses_an_oversized_file_before_reading_it(settings):
    settings.BULLETIN_IMPORT_MAX_BYTES = 1000

    class Unreadable(SimpleUploadedFile):
        def read(self, *args, **kwargs):
            raise AssertionError("read whole")

    upload = Unreadable("xxcy.txt", b"x" * 2000)
    with pytest.raises(ValidationError, match=r"too large|过大"):
        validate_bulletin_upload(upload)


def test_a_pdf_with_a_late_header_and_a_real_docx_pass(settings):
    validate_bulletin_upload(SimpleUploadedFile("a.pdf", b"\n\n%PDF-1.7\n" + bytes(50)))
    validate_bulletin_upload(SimpleUploadedFile("a.docx", b"PK\x03\x04" + bytes(50)))
    validate_bulletin_upload(SimpleUploadedFile("a.txt", "产业环境".encode()))


# --- Stored parses (bandit B301) -----------------------------------------------------------


class _Planted:
    """Unpickling this would create the marker file: what an attacker's pickle would do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_stored_parse_is_read_back_only_when_we_signed_it(bulletin, editor, tmp_path, settings):
    import pickle

    from django.core.files.storage import default_storage

    from editorial.services import import_previews

    settings.MEDIA_ROOT = str(tmp_path / "media")
    job = ImportJob.objects.create(
        file=ContentFile(b"x", name="xxcy.txt"), original_name="第七期.txt",
        format=ImportJob.Format.TEXT, bulletin=bulletin, created_by=editor,
    )
    key = "k" * 64
    parsed = {"sections": ["产业环境", "运营竞争"]}
    name = import_previews._store_parse(job, key, parsed)
    job.report = {"parsed_file": name, "parse_key": key}
    assert import_previews._stored_parse(job, key) == parsed
    # Someone with write access to the storage replaces the file with their own pickle.
    marker = tmp_path / "pwned"
    default_storage.delete(name)
    default_storage.save(name, ContentFile(pickle.dumps(_Planted(str(marker)))))
    assert import_previews._stored_parse(job, key) is None
    assert not marker.exists()
