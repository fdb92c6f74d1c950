"""The site's plumbing: switching language, /favicon.ico, robots.txt and /healthz."""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection
from django.http import (
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from editorial.links import absolute_url
from editorial.services.caching import cached_public_page


@require_safe
def switch_language(request, language: str):
    """Switch language with a plain link (no form, no CSRF token: pages stay cacheable)."""
    codes = {code for code, _name in settings.LANGUAGES}
    if language not in codes:
        raise Http404("Unknown language")
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        path=settings.LANGUAGE_COOKIE_PATH,
        samesite="Lax",
        secure=request.is_secure(),
    )
    translation.activate(language)
    return response


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the static one."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


@require_safe
@cached_public_page()
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /search/",
        "Disallow: /lang/",
        "Disallow: /subscriber/",
        "Disallow: /exports/",
        f"Sitemap: {absolute_url(reverse('sitemap-index'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def _redis_status(redis_url: str) -> str:
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    except Exception as exc:  # any failure means "not healthy", with the reason
        return f"error: {exc.__class__.__name__}"


@never_cache
def healthz(request):
    """For load balancers: 200 when the database and Redis answer, 503 otherwise."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not healthy", with the reason
        checks["database"] = f"error: {exc.__class__.__name__}"
    redis_url = getattr(settings, "REDIS_URL", "")
    checks["redis"] = _redis_status(redis_url) if redis_url else "not configured"
    healthy = all(value in ("ok", "not configured") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
