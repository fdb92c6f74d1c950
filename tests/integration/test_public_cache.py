"""Public pages are cached and invalidated when something they show is published,
corrected or withdrawn — and not flushed by the day's draft edits."""

from __future__ import annotations

import datetime
import os
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from editorial.models import Article
from editorial.services import caching
from editorial.services.publishing import correct_issue, publish_issue, withdraw_issue
from editorial.workflow import IssueState
from tests.factories import ArticleFactory
from tests.integration.test_public_pages import build_public_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached_site(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = True
    settings.PUBLIC_PAGE_GENERATION_TTL = 0  # every request checks the shared generation
    cache.clear()
    caching.forget_process_pages()
    # Publishing queues renders; these tests are about the page cache only.
    monkeypatch.setattr("editorial.services.rendering.queue_issue_renditions", lambda **kw: [])
    yield build_public_site()
    cache.clear()
    caching.forget_process_pages()


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


def test_second_request_is_served_from_the_cache_without_queries(client, cached_site):
    url = cached_site.issue.get_absolute_url()
    first, first_queries = get(client, url)
    second, second_queries = get(client, url)
    assert first.status_code == second.status_code == 200
    assert first_queries > 0 and second_queries == 0
    assert second["X-Page-Cache"] == "hit" and second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_each_process_trusts_the_generation_for_a_moment(client, cached_site, settings):
    settings.PUBLIC_PAGE_GENERATION_TTL = 60
    url = cached_site.issue.get_absolute_url()
    get(client, url)
    assert get(client, url)[1] == 0
    cache.incr(caching.PUBLIC_GENERATION_KEY)  # another process purged
    assert get(client, url)[0]["X-Page-Cache"] == "hit"  # still trusted here, for up to the TTL
    caching.purge_public_pages()  # a purge in this process is seen at once
    _response, queries = get(client, url)
    assert queries > 0


def test_the_cache_is_per_language(client, cached_site):
    url = cached_site.bulletin.get_absolute_url()
    chinese, _ = get(client, url)
    client.cookies["django_language"] = "en"
    english, queries = get(client, url)
    assert queries > 0 and 'lang="en"' in english.content.decode()
    assert 'lang="zh-CN"' in chinese.content.decode()


def test_unknown_parameters_are_not_cached(client, cached_site):
    url = cached_site.issue.get_absolute_url() + "?utm=x"
    get(client, url)
    _response, queries = get(client, url)
    assert queries > 0


def test_404_is_not_cached(client, cached_site):
    url = cached_site.hidden[IssueState.APPROVED].issue.get_absolute_url()
    assert get(client, url)[0].status_code == 404
    _response, queries = get(client, url)
    assert queries > 0


def test_withdrawing_an_issue_purges_its_pages(client, cached_site, publisher, django_capture_on_commit_callbacks):
    issue = cached_site.issue
    article_url = cached_site.articles[1].get_absolute_url()
    for url in (issue.get_absolute_url(), article_url, "/"):
        get(client, url)
        assert get(client, url)[1] == 0
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_issue(issue=issue, user=publisher, reason="版权问题")
    assert get(client, issue.get_absolute_url())[0].status_code == 404
    assert get(client, article_url)[0].status_code == 404
    assert issue.display_title not in get(client, "/")[0].content.decode()


def test_publishing_shows_the_new_issue_at_once(client, cached_site, publisher, django_capture_on_commit_callbacks):
    approved = cached_site.hidden[IssueState.APPROVED].issue
    Article.objects.filter(issue=approved).update(state="approved")
    home_before = get(client, "/")[0].content.decode()
    assert approved.display_title not in home_before
    with django_capture_on_commit_callbacks(execute=True):
        publish_issue(issue=approved, user=publisher)
    assert approved.display_title in get(client, "/")[0].content.decode()
    assert get(client, approved.get_absolute_url())[0].status_code == 200


def test_a_correction_shows_its_erratum(client, cached_site, publisher, django_capture_on_commit_callbacks):
    url = cached_site.issue.get_absolute_url()
    get(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        correct_issue(issue=cached_site.issue, user=publisher, erratum="第3页数字更正为12451亿元。")
    assert "第3页数字更正为12451亿元。" in get(client, url)[0].content.decode()


def test_draft_edits_do_not_flush_the_cache(client, cached_site, django_capture_on_commit_callbacks):
    generation = caching.public_generation()
    draft = cached_site.hidden[IssueState.ASSEMBLING].issue
    with django_capture_on_commit_callbacks(execute=True):
        ArticleFactory(issue=draft, title="又一篇草稿")
        article = Article.objects.filter(issue=draft).first()
        article.title = "改过的草稿"
        article.save()
    assert caching.public_generation() == generation


def test_editing_what_public_pages_show_purges(client, cached_site, django_capture_on_commit_callbacks):
    generation = caching.public_generation()
    with django_capture_on_commit_callbacks(execute=True):
        cached_site.bulletin.description = "新的介绍"
        cached_site.bulletin.save()
    assert caching.public_generation() > generation
    assert "新的介绍" in get(client, cached_site.bulletin.get_absolute_url())[0].content.decode()


def test_generation_survives_a_lost_counter(cached_site):
    before = caching.public_generation()
    cache.delete(caching.PUBLIC_GENERATION_KEY)
    assert caching.public_generation() > before  # restarts above every value it had


def test_a_broken_cache_degrades_to_rendering(client, cached_site, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "get_many", broken)
    monkeypatch.setattr(cache, "incr", broken)
    assert get(client, cached_site.issue.get_absolute_url())[0].status_code == 200
    caching.purge_public_pages()  # logs, does not raise


@pytest.mark.redis
def test_pages_cached_in_redis_and_invalidated(client, settings, tmp_path, monkeypatch, publisher,
                                              django_capture_on_commit_callbacks):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["TEST_REDIS_URL"],
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = None  # decided by the backend: Redis caches pages
    settings.PUBLIC_PAGE_GENERATION_TTL = 0
    caching.forget_process_pages()
    monkeypatch.setattr("editorial.services.rendering.queue_issue_renditions", lambda **kw: [])
    site = build_public_site()
    url = site.articles[1].get_absolute_url()
    assert get(client, url)[1] > 0
    response, queries = get(client, url)
    assert queries == 0 and response["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_issue(issue=site.issue, user=publisher, reason="撤回")
    assert get(client, url)[0].status_code == 404
    from django.core.cache import cache as redis_cache

    redis_cache.clear()


# --- The issue's list of articles, kept as a fragment -------------------------------------------


def test_a_page_the_cache_does_not_store_reuses_the_list_of_articles(client, cached_site, monkeypatch):
    url = cached_site.issue.get_absolute_url() + "?from=newsletter"  # never stored whole
    renders = []
    original = caching.cached_fragment

    def counting(name, parts, render):
        return original(name, parts, lambda: renders.append(name) or render())

    monkeypatch.setattr("editorial.site.issues.cached_fragment", counting)
    first = client.get(url)
    second = client.get(url)
    assert "X-Page-Cache" not in second
    assert renders == ["issue-toc"], "the second page took the list from the cache"
    assert cached_site.articles[0].title in second.content.decode()
    assert first.content == second.content


def test_a_changed_title_is_in_the_list_at_once(client, cached_site):
    url = cached_site.issue.get_absolute_url() + "?from=newsletter"
    assert cached_site.articles[0].title in client.get(url).content.decode()
    # A correction's edit, as the correction service writes it (updated_at moves on).
    Article.objects.filter(pk=cached_site.articles[0].pk).update(
        title="更正后的标题", updated_at=cached_site.articles[0].updated_at + datetime.timedelta(seconds=1)
    )
    page = client.get(url).content.decode()
    assert "更正后的标题" in page and cached_site.articles[0].title not in page


def test_an_unreachable_cache_still_gives_the_list(client, cached_site, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(caching.cache, "get", unreachable)
    monkeypatch.setattr(caching.cache, "get_many", unreachable)
    response = client.get(cached_site.issue.get_absolute_url())
    assert response.status_code == 200
    assert cached_site.articles[0].title in response.content.decode()
