"""Invalidating the public pages' cache when what they show changes."""

from __future__ import annotations

from django.core.cache import cache

PUBLIC_GENERATION_KEY = "public-pages-generation"


def public_generation() -> int:
    """A number that changes whenever the public content changes; page cache keys use it."""
    return cache.get_or_set(PUBLIC_GENERATION_KEY, 1, timeout=None)


def purge_public_pages() -> None:
    """Make every cached public page stale at once (publish, correct, withdraw)."""
    try:
        cache.incr(PUBLIC_GENERATION_KEY)
    except ValueError:
        cache.set(PUBLIC_GENERATION_KEY, 2, timeout=None)
