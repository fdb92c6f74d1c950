"""Every admin list and change page of a populated site speaks Chinese in zh-Hans.

Two things are looked for in the visible text (not in attributes, scripts or styles):
a message id of the project's catalogue shown as it is although it has a translation,
and a workflow or import code (``changes_requested``, ``unsure-subheading``) shown raw.
"""

from __future__ import annotations

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


def test_every_admin_page_is_in_chinese(client, superuser, populated):
    client.force_login(superuser)
    sentences = translated_sentences()
    findings: list[str] = []
    for url in admin_pages(client):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        for text in visible_text(response.content.decode()):
            for sentence in sentences:
                if sentence in text and re.search(
                    rf"(?<![A-Za-z]){re.escape(sentence)}(?![A-Za-z])", text
                ):
                    findings.append(f"{url}: untranslated “{sentence}”")
            for code in CODE_PATTERN.findall(text):
                if code in RAW_CODES or ("-" in code and code.islower() and len(code) > 6):
                    findings.append(f"{url}: raw code “{code}” in “{text[:80]}”")
    findings = sorted(set(findings))
    assert not findings, "\n".join(findings)
