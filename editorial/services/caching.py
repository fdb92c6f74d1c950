"""Caching the public pages, and invalidating them when what they show changes.

Every cached page is stored with the *generation* it was rendered under; publishing,
correcting and withdrawing an issue (editorial.services.publishing) bump the generation,
and so do edits to what public pages show (bulletins, sections, indicators, a new
rendition, a figure or metric of a published issue — see ``connect_invalidation``).
A page whose generation is not the current one is re-rendered.

Two levels: Redis holds the pages for every process; each process also keeps the pages
it served lately, and trusts the generation it last read from Redis for
``PUBLIC_PAGE_GENERATION_TTL`` seconds (default 1). A hit inside that second costs no
network at all; otherwise one round trip (MGET of the generation and the page). So a
publish or a withdrawal reaches the process that made it at once and every other
process within that second.

Pages are cached when the cache is shared (Redis), or when ``PUBLIC_PAGE_CACHE`` says
so. A process-local cache (the SQLite demo, the tests) would not see another process's
publish, so it is not used for pages by default.

Only anonymous readers' pages are cached and served from the cache. A signed-in
subscriber or staff member may see more of a subscriber-only issue, and sees their name
in the header, so their requests bypass the cache both ways (never served a stored page,
never storing theirs) and their answers say ``Cache-Control: private``; every answer
varies on Cookie for the caches downstream.

If Redis is unreachable the pages are rendered uncached and a publish still succeeds;
entries left from before expire after ``PUBLIC_PAGE_CACHE_TIMEOUT`` seconds at most.

A purge can be lost (the process that withdraws an issue cannot reach Redis while the
others can), so a page's key also carries the *issue version*: the latest change to a
published or withdrawn issue, read from the database at most once every
``PUBLIC_PAGE_VERSION_TTL`` seconds (default 1) by each process. A publish, correction
or withdrawal changes it, so no process serves a page from before the change for longer
than that, whatever became of the purge. A purge that failed is tried again by the
process's next cached request (``purge_pending`` says whether one is waiting).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.safestring import mark_safe

from editorial.models import (
    Article,
    Bulletin,
    Figure,
    Indicator,
    Issue,
    Metric,
    Rendition,
    Section,
    Tag,
)
from editorial.selectors.access import reader_for_request
from editorial.services.exporting import queue_bundle_build
from editorial.workflow import ISSUE_PUBLIC_STATES, IssueState

logger = logging.getLogger(__name__)

PUBLIC_GENERATION_KEY = "public-pages-generation"
PAGE_KEY_PREFIX = "public-page"
# Headers a cached response keeps; everything else is added again by the middleware.
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "X-Robots-Tag", "Cache-Control")


def _fresh_generation() -> int:
    # Microseconds since the epoch: if the counter is ever lost (eviction, flush) it
    # restarts above every value it had (purges come far less often than one per
    # microsecond), so no old page can look current again.
    return time.time_ns() // 1000


def public_generation() -> int:
    """A number that changes whenever the public content changes; page cache keys use it."""
    return cache.get_or_set(PUBLIC_GENERATION_KEY, _fresh_generation, timeout=None)


def purge_public_pages() -> bool:
    """Make every cached public page stale at once (publish, correct, withdraw).

    Returns False when the shared cache could not be reached: the purge is then kept
    pending and tried again (the issue version keeps issue pages right meanwhile).
    """
    _local.forget_generation()
    _local.forget_version()
    try:
        try:
            cache.incr(PUBLIC_GENERATION_KEY)
        except ValueError:
            cache.set(PUBLIC_GENERATION_KEY, _fresh_generation(), timeout=None)
    except Exception:  # Redis down: the publish stands; the purge is tried again
        logger.exception("Could not invalidate the public page cache; it will be retried")
        _local.purge_pending = True
        return False
    _local.purge_pending = False
    return True


def purge_pending() -> bool:
    """Whether a purge of this process failed and waits to be tried again."""
    return _local.purge_pending


def retry_pending_purge() -> bool:
    """Try a failed purge again; True when none is left pending."""
    if not _local.purge_pending:
        return True
    return purge_public_pages()


def issue_version() -> int:
    """The latest change to a published or withdrawn issue (microseconds), read from the
    database at most once every PUBLIC_PAGE_VERSION_TTL seconds by this process."""
    version = _local.trusted_version()
    if version is not None:
        return version
    states = {*ISSUE_PUBLIC_STATES, IssueState.WITHDRAWN}
    latest = Issue.objects.filter(state__in=states).aggregate(m=Max("updated_at"))["m"]
    version = int(latest.timestamp() * 1_000_000) if latest else 0
    _local.remember_version(version)
    return version


def page_cache_enabled() -> bool:
    configured = getattr(settings, "PUBLIC_PAGE_CACHE", None)
    if configured is not None:
        return bool(configured)
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return "redis" in backend.lower() or "memcache" in backend.lower()


def page_cache_timeout() -> int:
    return int(getattr(settings, "PUBLIC_PAGE_CACHE_TIMEOUT", 600))


class _ProcessPages:
    """This process's recently served pages and the generation it last read."""

    MAX_BYTES = 32 * 1024 * 1024

    def __init__(self):
        self.lock = threading.Lock()
        self.pages: OrderedDict[str, tuple] = OrderedDict()
        self.size = 0
        self.generation: int | None = None
        self.read_at = 0.0
        self.version: int | None = None
        self.version_read_at = 0.0
        self.purge_pending = False

    def trusted_version(self) -> int | None:
        ttl = float(getattr(settings, "PUBLIC_PAGE_VERSION_TTL", 1.0))
        if self.version is not None and time.monotonic() - self.version_read_at < ttl:
            return self.version
        return None

    def remember_version(self, version: int) -> None:
        self.version, self.version_read_at = version, time.monotonic()

    def forget_version(self) -> None:
        self.version = None

    def trusted_generation(self) -> int | None:
        ttl = float(getattr(settings, "PUBLIC_PAGE_GENERATION_TTL", 1.0))
        if self.generation is not None and time.monotonic() - self.read_at < ttl:
            return self.generation
        return None

    def remember_generation(self, generation) -> None:
        self.generation, self.read_at = generation, time.monotonic()

    def forget_generation(self) -> None:
        self.generation = None

    def get(self, key: str, generation: int):
        with self.lock:
            entry = self.pages.get(key)
            if entry is None or entry[0] != generation:
                return None
            self.pages.move_to_end(key)
            return entry

    def put(self, key: str, entry: tuple) -> None:
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= len(old[3])
            self.pages[key] = entry
            self.size += len(entry[3])
            while self.size > self.MAX_BYTES and self.pages:
                _key, dropped = self.pages.popitem(last=False)
                self.size -= len(dropped[3])


_local = _ProcessPages()


def forget_process_pages() -> None:
    """Drop this process's copies (tests; after flushing the shared cache by hand)."""
    _local.__init__()


def page_key(request, allowed_params: tuple[str, ...]) -> str | None:
    """The cache key of a request, or None when it should not be cached (unknown
    parameters: random query strings must not fill the cache)."""
    params = request.GET
    if any(name not in allowed_params for name in params):
        return None
    query = "&".join(
        f"{name}={value}" for name in sorted(params) for value in params.getlist(name)
    )
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    raw = f"{language}|{request.path}|{query}"
    digest = hashlib.blake2b(raw.encode("utf-8"), digest_size=16).hexdigest()
    return f"{PAGE_KEY_PREFIX}:{digest}"


def reads_as_public(request) -> bool:
    """Whether the request is an anonymous reader's (the only pages the cache holds)."""
    return reader_for_request(request).is_anonymous


def cached_public_page(*allowed_params: str):
    """Serve a public view from the page cache; store its successful answers there.

    Only GET/HEAD answers with status 200 and no cookies, to anonymous readers, are
    stored, so a 404 is never cached and nothing personal is shared.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not reads_as_public(request):
                response = view(request, *args, **kwargs)
                patch_cache_control(response, private=True)
            else:
                response = _through_cache(request, allowed_params, lambda: view(request, *args, **kwargs))
            patch_vary_headers(response, ("Cookie",))
            return response

        return wrapper

    return decorator


def _cacheable_key(request, allowed_params: tuple[str, ...]) -> str | None:
    """The request's cache key, or None when this answer must be made afresh."""
    if request.method not in ("GET", "HEAD") or not page_cache_enabled():
        return None
    key = page_key(request, allowed_params)
    if key is None:
        return None
    if _local.purge_pending and not retry_pending_purge():
        return None  # a purge still owed: stored pages may be stale
    return key


def _through_cache(request, allowed_params: tuple[str, ...], render) -> HttpResponse:
    key = _cacheable_key(request, allowed_params)
    if key is None:
        return render()
    version = issue_version()
    generation = _local.trusted_generation()
    if generation is not None:
        entry = _local.get(key, (generation, version))
        if entry is not None:
            return _response_from(entry)
    try:
        found = cache.get_many([PUBLIC_GENERATION_KEY, key])
    except Exception:
        logger.warning("Page cache unreachable; rendering %s uncached", request.path)
        return render()
    generation = found.get(PUBLIC_GENERATION_KEY)
    entry = found.get(key)
    if generation is not None:
        _local.remember_generation(generation)
        if entry is not None and entry[0] == (generation, version):
            _local.put(key, entry)
            return _response_from(entry)
    response = render()
    if callable(getattr(response, "render", None)) and not response.is_rendered:
        response = response.render()  # a TemplateResponse (sitemaps)
    if _storable(response):
        _store(key, response, generation=generation, version=version, path=request.path)
    return response


def _store(key: str, response, *, generation, version, path: str) -> None:
    try:
        if generation is None:
            generation = public_generation()
        entry = _entry_of((generation, version), response)
        cache.set(key, entry, page_cache_timeout())
        _local.put(key, entry)
    except Exception:
        logger.warning("Page cache unreachable; %s not stored", path)


def _storable(response) -> bool:
    return response.status_code == 200 and not response.streaming and not response.cookies


def _entry_of(generation: tuple, response) -> tuple:
    headers = tuple((name, response[name]) for name in KEPT_HEADERS if response.has_header(name))
    return (generation, response.status_code, headers, response.content)


def _response_from(entry) -> HttpResponse:
    _generation, status, headers, content = entry
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response["X-Page-Cache"] = "hit"
    return response


def cached_fragment(name: str, parts, render: Callable[[], str]) -> str:
    """An HTML fragment of a public page from the cache, made by ``render`` when missing.

    ``parts`` holds everything the fragment shows that can change (rows with their
    ``updated_at``, names, the language), so a change makes a new key and nothing needs
    purging; old fragments expire. This is what keeps a page that bypasses the page
    cache (a signed-in reader, an unknown parameter) cheap as issues grow. Without the
    cache, or with Redis unreachable, the fragment is rendered.
    """
    if not page_cache_enabled():
        return render()
    key = f"fragment:{name}:" + hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]
    try:
        html = cache.get(key)
    except Exception:
        logger.warning("Page cache unreachable; fragment %s rendered", name)
        return render()
    if html is None:
        html = render()
        try:
            cache.set(key, str(html), page_cache_timeout())
        except Exception:
            logger.warning("Page cache unreachable; fragment %s not stored", name)
    return mark_safe(html)  # nosec B308 B703: our own template's output, escaped when made


# --- What else public pages show ------------------------------------------------------------


def _issue_is_public(issue) -> bool:
    return issue is not None and issue.state in ISSUE_PUBLIC_STATES


def _purge_after_commit() -> None:
    # After the commit, so no request can render the old rows under the new generation.
    transaction.on_commit(purge_public_pages)


def _purge_on_catalogue_change(sender, instance, **kwargs):
    _purge_after_commit()


def _purge_if_issue_public(sender, instance, **kwargs):
    if isinstance(instance, Issue):
        issue = instance
    elif hasattr(instance, "issue_id"):
        issue = instance.issue if instance.issue_id else None
    else:
        issue = instance.article.issue if instance.article_id else None
    if _issue_is_public(issue):
        _purge_after_commit()


def _purge_on_rendition(sender, instance, **kwargs):
    if instance.state == Rendition.State.SUCCEEDED and _issue_is_public(instance.issue):
        _purge_after_commit()
        # The issue's downloads change with its files: its bundle is built again.
        queue_bundle_build(instance.issue_id)


def connect_invalidation() -> None:
    """Bump the generation when something public pages show changes outside a publish.

    Called from EditorialConfig.ready(). Drafts are edited all day and must not flush
    the cache, so rows of unpublished issues are left alone.
    """
    for model in (Bulletin, Section, Indicator, Tag):
        post_save.connect(_purge_on_catalogue_change, sender=model, dispatch_uid=f"purge-{model.__name__}")
        post_delete.connect(_purge_on_catalogue_change, sender=model, dispatch_uid=f"purge-del-{model.__name__}")
    for model in (Issue, Article, Figure, Metric):
        post_save.connect(_purge_if_issue_public, sender=model, dispatch_uid=f"purge-{model.__name__}")
        post_delete.connect(_purge_if_issue_public, sender=model, dispatch_uid=f"purge-del-{model.__name__}")
    post_save.connect(_purge_on_rendition, sender=Rendition, dispatch_uid="purge-Rendition")
