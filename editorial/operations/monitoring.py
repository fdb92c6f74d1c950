"""Endpoints for the machines that watch the site: readiness and Prometheus metrics.

``/healthz`` (editorial.site.plumbing) says the process is alive and sees the database and Redis;
``/readyz`` says it can serve: the database, Redis (when configured) and the file storage
(a small probe file saved and deleted), and names what failed with a 503. ``/metrics``
serves django-prometheus's figures (requests, latencies, database) to the scraper only:
with ``METRICS_BEARER_TOKEN`` set, to a request bearing that token; without it, to
loopback addresses alone (a scraper on the same host or through the proxy's own check).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_prometheus.exports import ExportToDjangoView

logger = logging.getLogger(__name__)

PROBE_PREFIX = "readyz/"


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis(url: str) -> None:
    # Loaded only when Redis is configured: the SQLite demo runs without it (~0.06 s).
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def check_storage() -> None:
    """Save a few bytes and delete them again: the storage is there and writable."""
    name = default_storage.save(f"{PROBE_PREFIX}{uuid.uuid4().hex}.probe", ContentFile(b"ok"))
    try:
        if not default_storage.exists(name):
            raise OSError("the probe file was not found after saving it")
    finally:
        default_storage.delete(name)


def readiness_checks() -> dict[str, str]:
    """Each dependency's state: "ok", "not configured", or "error: <kind>"."""
    results: dict[str, str] = {}
    checks = [("database", check_database), ("storage", check_storage)]
    redis_url = getattr(settings, "REDIS_URL", "")
    if redis_url:
        checks.insert(1, ("redis", lambda: check_redis(redis_url)))
    else:
        results["redis"] = "not configured"
    for name, check in checks:
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready", with the reason
            logger.warning("Readiness: %s failed: %s", name, exc.__class__.__name__)
            results[name] = f"error: {exc.__class__.__name__}"
    return results


@never_cache
@require_safe
def readyz(request):
    """200 when the database, Redis and storage answer; 503 naming those that did not."""
    results = readiness_checks()
    failed = sorted(name for name, state in results.items() if state.startswith("error"))
    body = {"status": "error" if failed else "ok", "failed": failed, "checks": results}
    return JsonResponse(body, status=503 if failed else 200)


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def metrics_allowed(request) -> bool:
    token = getattr(settings, "METRICS_BEARER_TOKEN", "")
    if token:
        sent = request.headers.get("Authorization", "")
        scheme, _, value = sent.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), token)
    return _is_loopback(request.META.get("REMOTE_ADDR", ""))


@never_cache
@require_safe
def metrics(request):
    """django-prometheus's export, for the scraper only (see the module's docstring)."""
    if not metrics_allowed(request):
        response = HttpResponse("Forbidden\n", status=403, content_type="text/plain")
        if getattr(settings, "METRICS_BEARER_TOKEN", ""):
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return ExportToDjangoView(request)
