"""Faults between processes leave nothing stale: a lost purge, Redis down mid-import."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.cache import cache
from django.urls import reverse

from editorial.services import caching
from editorial.services.publishing import withdraw_issue
from tests.integration.test_public_pages import build_public_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached_site(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = True
    settings.PUBLIC_PAGE_GENERATION_TTL = 600  # the other process trusts its generation
    settings.PUBLIC_PAGE_VERSION_TTL = 0
    cache.clear()
    caching.forget_process_pages()
    monkeypatch.setattr("editorial.services.rendering.queue_issue_renditions", lambda **kw: [])
    yield build_public_site()
    cache.clear()
    caching.forget_process_pages()


def test_a_lost_purge_never_serves_a_withdrawn_issue(
    client, cached_site, publisher, monkeypatch, django_capture_on_commit_callbacks
):
    url = cached_site.articles[1].get_absolute_url()
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    trusted = caching._local.generation

    def unreachable(*args, **kwargs):
        raise ConnectionError("redis unreachable from this process")

    with monkeypatch.context() as patch:
        patch.setattr(cache, "incr", unreachable)
        patch.setattr(cache, "set", unreachable)
        with django_capture_on_commit_callbacks(execute=True):
            withdraw_issue(issue=cached_site.issue, user=publisher, reason="撤回")
        assert caching.purge_pending()

    # Another process: it never heard of the purge and still trusts its generation.
    caching._local.purge_pending = False
    caching._local.remember_generation(trusted)
    assert client.get(url).status_code == 404


def test_a_failed_purge_is_retried_by_the_next_request(client, cached_site, monkeypatch):
    before = caching.public_generation()
    with monkeypatch.context() as patch:
        patch.setattr(cache, "incr", lambda *a, **k: (_ for _ in ()).throw(ConnectionError()))
        assert caching.purge_public_pages() is False
    assert caching.purge_pending()
    client.get("/")
    assert not caching.purge_pending()
    assert caching.public_generation() > before


def test_a_hit_still_costs_no_query_within_the_version_ttl(client, cached_site, settings,
                                                          django_assert_num_queries):
    settings.PUBLIC_PAGE_VERSION_TTL = 60
    url = cached_site.issue.get_absolute_url()
    client.get(url)
    with django_assert_num_queries(0):
        assert client.get(url)["X-Page-Cache"] == "hit"


@pytest.mark.redis
def test_a_table_import_previews_and_confirms_with_redis_down(client, publisher, settings):
    # The checked rows wait for the confirm on their ImportJob row in the database, not
    # in the cache: a cache outage does not stop an import.
    from editorial.models import Organisation, Subscriber
    from scripts.stack import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    Organisation.objects.create(name="某研究院")
    client.force_login(publisher)
    upload = io.BytesIO("email,organisation\nwang@example.org,某研究院\n".encode())
    upload.name = "list.csv"
    response = client.post(
        reverse("admin:editorial_subscriber_import"),
        {"import_file": upload, "format": "0", "resource": "0"},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "wang@example.org" in page and not Subscriber.objects.exists()  # a preview
    assert "请几分钟后再试" not in page
    confirm = response.context["confirm_form"].initial
    client.post(reverse("admin:editorial_subscriber_process_import"), confirm, follow=True)
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["wang@example.org"]


@pytest.mark.django_db(transaction=True)  # on-commit work runs as in production
def test_withdrawing_says_so_when_the_purge_is_pending(client, cached_site, monkeypatch):
    from editorial.workflow import PUBLISHER
    from tests.factories import UserFactory

    issue = cached_site.issue
    client.force_login(UserFactory(username="withdrawing-publisher", roles=[PUBLISHER]))
    url = reverse("admin:editorial_issue_transition", args=[issue.pk, "withdraw"])
    with monkeypatch.context() as patch:
        patch.setattr(cache, "incr", lambda *a, **k: (_ for _ in ()).throw(ConnectionError()))
        response = client.post(url, {"comment": "撤回测试"}, follow=True)
    issue.refresh_from_db()
    assert issue.state == "withdrawn"
    shown = [str(m) for m in response.context["messages"]]
    assert any("缓存" in m or "cache" in m for m in shown), shown
    caching.retry_pending_purge()
