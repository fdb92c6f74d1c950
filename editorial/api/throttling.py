"""Requests per token per minute (``BULLETIN_API_REQUESTS_PER_MINUTE``), in the shared cache.

A fixed one-minute window counted with the cache's atomic ``add``/``incr`` (Redis in
production), so every web process counts the same requests; ninja's own throttles keep a
list of timestamps with a read-then-write, which loses counts between processes.
Over the limit the API answers 429 with ``Retry-After``: the seconds left in the window.
If the cache is down, requests are let through rather than refused.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from ninja.throttling import BaseThrottle

WINDOW_SECONDS = 60


def requests_per_minute() -> int:
    return int(getattr(settings, "BULLETIN_API_REQUESTS_PER_MINUTE", 120))


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request) -> bool:
        limit = requests_per_minute()
        reader = getattr(request, "auth", None)
        token = getattr(reader, "api_token", None)
        if limit <= 0 or token is None:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"api-rate:{token.pk}:{window}"
        try:
            if cache.add(key, 1, WINDOW_SECONDS * 2):
                count = 1
            else:
                count = cache.incr(key)
        except Exception:  # the cache is down: do not refuse paying clients
            return True
        if count <= limit:
            return True
        # Kept on the request, not on this object: one throttle serves every request.
        request._api_retry_after = (window + 1) * WINDOW_SECONDS - now
        return False

    def wait(self) -> float | None:
        return None  # Retry-After is set by the API from the request (see site.py)
