"""Crawl the public site of a populated database: no link may lead to a server error.

The database holds what customers have: a bulletin imported from text with Chinese
section names (published, with its renditions), and the test site of the public-page
tests (every issue state, figures, tags, key figures). The crawl starts at the home page
and follows every same-site ``href`` and ``src`` it finds, pagination and feeds included.
"""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from tests.integration.test_chinese_slugs import _published_issue_of_imported_bulletin
from tests.integration.test_public_pages import build_public_site

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

_LINK = re.compile(
    r"""(?:href|src)\s*=\s*["']([^"']+)["']|<link>([^<]+)</link>|<loc>([^<]+)</loc>"""
    r"|^Sitemap:\s*(\S+)",
    re.MULTILINE,
)
_SKIP_PREFIXES = ("/admin/", "/static/", "/lang/")
MAX_PAGES = 800


def _links(base: str, body: str) -> set[str]:
    found = set()
    for groups in _LINK.findall(body):
        raw = unescape(next(g for g in groups if g)).strip()
        if raw.startswith(("mailto:", "javascript:", "data:", "tel:")):
            continue
        url, _fragment = urldefrag(urljoin(base, raw))
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/") and not path.startswith(_SKIP_PREFIXES):
            found.add(path)
    return found


def crawl(client, starts=("/", "/robots.txt", "/sitemap.xml")) -> dict[str, int]:
    seen: dict[str, int] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if response.status_code != 200:
            continue
        content_type = response.get("Content-Type", "")
        if not any(kind in content_type for kind in ("html", "xml", "rss", "atom", "text/plain")):
            continue
        body = (
            b"".join(response.streaming_content)
            if getattr(response, "streaming", False)
            else response.content
        ).decode("utf-8", "replace")
        for link in _links(f"http://testserver{url}", body):
            if link not in seen:
                queue.append(link)
    return seen


def test_no_link_on_the_public_site_leads_to_a_server_error(client, settings, tmp_path,
                                                            django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    build_public_site()
    with django_capture_on_commit_callbacks(execute=True):
        imported, issue = _published_issue_of_imported_bulletin()

    statuses = crawl(client)

    assert len(statuses) < MAX_PAGES, "the crawl did not finish: raise MAX_PAGES"
    errors = {url: status for url, status in statuses.items() if status >= 500}
    assert not errors, errors
    # The crawl really went everywhere: every section and article page of both bulletins.
    for section in imported.sections.filter(articles__issue=issue).distinct():
        assert any(url.startswith(f"/b/{imported.slug}/s/{section.slug}/") for url in statuses)
    article_pages = [url for url in statuses if f"/b/{imported.slug}/{issue.number}/a/" in url]
    assert len(article_pages) >= issue.articles.count()
    assert any(url.startswith("/sitemap") and url != "/sitemap.xml" for url in statuses)
    # No page links to a page that is not there.
    missing = {url: status for url, status in statuses.items() if status == 404}
    assert not missing, missing
