"""Every admin list and change page of a populated site speaks Chinese in zh-Hans.

Two things are looked for in the visible text (not in attributes, scripts or styles):
a message id of the project's catalogue shown as it is although it has a translation,
and a workflow or import code (``changes_requested``, ``unsure-subheading``) shown raw.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

import bulletin.urls  # noqa: F401  (discovers the admin modules, as the web process does)
from editorial import workflow
from editorial.models import (
    Delivery,
    ImportJob,
    ImportWarning,
    Organisation,
    Rendition,
    Subscriber,
    Subscription,
)
from editorial.services import reviewing
from editorial.workflow import ArticleState, IssueState
from tests.factories import ArticleFactory, IssueFactory, MetricFactory

pytestmark = pytest.mark.django_db

CATALOGUE = Path(__file__).resolve().parents[2] / "editorial/locale/zh_Hans/LC_MESSAGES/django.po"
EDITORIAL_MODELS = [m for m in admin.site._registry if m._meta.app_label == "editorial"]
# Codes that are never meant to be read: states, transitions, review events.
RAW_CODES = (
    {s.value for s in workflow.ArticleState} | {s.value for s in workflow.IssueState}
    | set(workflow.ISSUE_TRANSITIONS) | set(workflow.ARTICLE_TRANSITIONS)
) - {"approve", "publish", "submit", "correct", "withdraw", "schedule", "release"}
# Multi-word codes only: "approved" alone could be an English word in a proper name, but
# "changes_requested" or "unsure-subheading" is a code wherever it shows.
CODE_PATTERN = re.compile(r"\b[a-z]+(?:[_-][a-z]+)+\b")


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "textarea"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "textarea") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


def translated_sentences() -> set[str]:
    """Message ids with a Chinese translation that read as English words (not codes)."""
    sentences = set()
    for entry in polib.pofile(str(CATALOGUE)):
        text = entry.msgid
        if (entry.msgstr and entry.msgstr != text and not entry.obsolete
                and "%" not in text and "{" not in text and re.search(r"[A-Za-z]{3}", text)
                and " " in text):
            sentences.add(text)
    return sentences


@pytest.fixture
def populated(bulletin, editor, reviewer, publisher):
    issue = IssueFactory(bulletin=bulletin, title="第七期")
    sections = list(bulletin.sections.order_by("position"))
    first = ArticleFactory(issue=issue, section=sections[0], position=1, title="环境第一篇",
                           created_by=editor)
    ArticleFactory(issue=issue, section=sections[1], position=1, title="运营第一篇",
                   created_by=editor)
    reviewing.transition_article(article=first, action="submit", user=editor)
    reviewing.transition_article(article=first, action="request_changes", user=reviewer,
                                 comment="请补充来源")
    MetricFactory(issue=issue)
    job = ImportJob.objects.create(format=ImportJob.Format.TEXT, bulletin=bulletin, issue=issue,
                                   original_name="第七期.txt", state=ImportJob.State.SUCCEEDED,
                                   created_by=editor)
    ImportWarning.objects.create(issue=issue, job=job, line=3, code="unsure-subheading",
                                 message="Could be a title or a subheading; taken as a subheading.",
                                 text="一、市场")
    published = IssueFactory(bulletin=bulletin, state=IssueState.PUBLISHED,
                             published_at=timezone.now())
    ArticleFactory(issue=published, section=sections[0], state=ArticleState.APPROVED,
                   created_by=editor)
    Rendition.objects.create(issue=published, kind=Rendition.Kind.PDF,
                             state=Rendition.State.FAILED, error="typst")
    subscriber = Subscriber.objects.create(
        organisation=Organisation.objects.create(name="某研究院"), email="r@example.org"
    )
    subscription = Subscription.objects.create(subscriber=subscriber, bulletin=bulletin,
                                               formats=["pdf_link", "metrics"])
    Delivery.objects.create(subscription=subscription, issue=published,
                            state=Delivery.State.FAILED, last_error="550")
    return issue


def admin_pages(client):
    yield "/admin/"
    for model in EDITORIAL_MODELS:
        info = (model._meta.app_label, model._meta.model_name)
        yield reverse("admin:%s_%s_changelist" % info)
        for obj in model.objects.all()[:2]:
            yield reverse("admin:%s_%s_change" % info, args=[obj.pk])


@functools.cache
def django_admin_sentences() -> frozenset[str]:
    """English phrases of Django's own admin templates (the message ids of its source
    catalogue): shown whole as a page's text, they were left untranslated (Django's
    Chinese catalogue lacks a few newer ones; the project's catalogue supplies them)."""
    import django

    catalogue = Path(django.__file__).parent / "contrib/admin/locale/en/LC_MESSAGES/django.po"
    return frozenset(
        entry.msgid for entry in polib.pofile(str(catalogue))
        if " " in entry.msgid and re.fullmatch(r"[A-Za-z ]+", entry.msgid)
    )


def findings_in(url: str, html: str, sentences: set[str]) -> list[str]:
    findings = []
    stock = django_admin_sentences()
    for text in visible_text(html):
        if text in stock:
            findings.append(f"{url}: untranslated Django admin text “{text}”")
        for sentence in sentences:
            if sentence in text and re.search(
                rf"(?<![A-Za-z]){re.escape(sentence)}(?![A-Za-z])", text
            ):
                findings.append(f"{url}: untranslated “{sentence}”")
        for code in CODE_PATTERN.findall(text):
            if code in RAW_CODES or ("-" in code and code.islower() and len(code) > 6):
                findings.append(f"{url}: raw code “{code}” in “{text[:80]}”")
    return findings


def test_every_admin_page_is_in_chinese(client, superuser, populated):
    client.force_login(superuser)
    sentences = translated_sentences()
    findings: list[str] = []
    for url in admin_pages(client):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        findings += findings_in(url, response.content.decode(), sentences)
    findings = sorted(set(findings))
    assert not findings, "\n".join(findings)


BULLETIN_TEXT = (
    Path(__file__).resolve().parents[2] / "fixtures" / "bulletins" / "xxcy-2020-48.txt"
)


def test_the_import_pages_are_in_chinese(
    client, editor, bulletin, settings, django_capture_on_commit_callbacks,
):
    """导入期刊: the upload form, the preview with the parser's warnings and evidence, the
    preview after a correction, the preview of a file already imported, and the progress
    page of an import run as a job."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from editorial.models import Issue

    client.force_login(editor)
    sentences = translated_sentences()
    upload_url = reverse("admin:editorial_import_upload")
    pages = [(upload_url, client.get(upload_url, HTTP_ACCEPT_LANGUAGE="zh-hans"))]

    def upload():
        response = client.post(
            upload_url, {"file": SimpleUploadedFile("xxcy.txt", BULLETIN_TEXT.read_bytes()),
                         "bulletin": bulletin.pk},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        assert response.status_code == 302, response.content.decode()[:500]
        return response.url

    preview_url = upload()
    preview = client.get(preview_url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    pages.append((preview_url, preview))
    job = ImportJob.objects.get()
    warnings = job.report["warnings"]
    assert warnings, "the fixture is expected to leave the parser a doubt to show"
    assert any(w["text"].strip()[:6] in preview.content.decode() for w in warnings)

    # A correction: the preview re-parsed with the editor's choice.
    client.post(preview_url, {"apply": "1", f"role-{warnings[0]['line']}": "title"},
                HTTP_ACCEPT_LANGUAGE="zh-hans")
    pages.append((preview_url + "?corrected", client.get(preview_url,
                                                         HTTP_ACCEPT_LANGUAGE="zh-hans")))
    job.refresh_from_db()

    # Confirmed as a job (as a big file is): its progress page.
    settings.BULLETIN_IMPORT_ASYNC_BYTES = 1000
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(preview_url, {"confirm": "1", "checksum": job.checksum},
                               HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.url == reverse("admin:editorial_import_progress", args=[job.pk])
        # Seen while the job waits for its worker (once done, the page moves on).
        pages.append((response.url, client.get(response.url, HTTP_ACCEPT_LANGUAGE="zh-hans")))
    assert Issue.objects.filter(bulletin=bulletin).count() == 1

    # The same file again: the preview warns that it was imported already.
    again = upload()
    pages.append((again + "?again", client.get(again, HTTP_ACCEPT_LANGUAGE="zh-hans")))

    findings: list[str] = []
    for url, response in pages:
        assert response.status_code == 200, url
        findings += findings_in(url, response.content.decode(), sentences)
    findings = sorted(set(findings))
    assert not findings, "\n".join(findings)


def test_the_revision_compare_is_in_chinese(client, editor, article):
    """The revisions page: why each revision was made by name (not ``edited``), and the
    compare's headings and folded paragraphs."""
    from editorial.models import Article

    long_body = "".join(f"<p>第{n}段：电信业务收入保持增长。</p>" for n in range(1, 6))
    article = reviewing.save_article(article=article, changes={"body": long_body}, user=editor,
                                     expected_version=Article.objects.get(pk=article.pk).version)
    article = reviewing.save_article(
        article=article, changes={"body": long_body.replace("第5段：电信", "第5段：移动")},
        user=editor, expected_version=article.version,
    )
    records = list(article.history.order_by("history_id"))
    client.force_login(editor)
    url = reverse("admin:editorial_article_revisions", args=[article.pk])
    response = client.get(url, {"a": records[-2].history_id, "b": records[-1].history_id},
                          HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert "<del>电信</del>" in html and "<ins>移动</ins>" in html
    texts = visible_text(html)
    assert "edited" not in texts
    findings = findings_in(url, html, translated_sentences())
    for english in ("unchanged paragraph", "Older:", "Newer:", "added", "changed"):
        findings += [f"{url}: untranslated “{t}”" for t in texts if english in t]
    assert not findings, "\n".join(sorted(set(findings)))
