"""Choose the test database and services before Django is configured.

Loaded with ``-p tests.service_probe`` (pyproject.toml), ahead of pytest-django.
PostgreSQL and Redis are used when reachable — from DATABASE_URL / REDIS_URL, or on
their local default ports. When one is not, tests marked ``postgres`` / ``redis`` are
skipped with the reason shown; with REQUIRE_SERVICES=1 the run fails instead.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bulletin"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
TEST_SECRET_KEY = "test-only-" + "k3y" * 20  # long and varied: production checks stay on

SERVICE_STATUS: dict[str, str | None] = {}  # service -> None when up, else why not


def _reachable(url: str, default_port: int) -> str | None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=1.5):
            return None
    except OSError as exc:
        return f"{parts.scheme} at {host}:{port} is unreachable ({exc.strerror or exc})"


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") in {"1", "true", "yes"}


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    os.environ.setdefault("SECRET_KEY", TEST_SECRET_KEY)
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("WHITENOISE_USE_FINDERS", "1")
    os.environ.setdefault("VAR_DIR", os.path.join(os.getcwd(), "var", "test"))

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if urlsplit(database_url).scheme.startswith("postgres"):
        SERVICE_STATUS["postgres"] = _reachable(database_url, 5432)
        if SERVICE_STATUS["postgres"] is None:
            os.environ["DATABASE_URL"] = database_url
        else:
            os.environ.pop("DATABASE_URL", None)  # SQLite in ./var/test
    else:
        SERVICE_STATUS["postgres"] = "DATABASE_URL does not name PostgreSQL"

    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    SERVICE_STATUS["redis"] = _reachable(redis_url, 6379)
    # The broker is never configured globally: unit and integration tests run tasks
    # in-process unless a test starts a real worker (tests/integration/celery_worker.py).
    os.environ["TEST_REDIS_URL"] = redis_url
    os.environ.pop("REDIS_URL", None)


def pytest_collection_modifyitems(config, items):
    for item in items:
        for service in ("postgres", "redis"):
            if service in item.keywords and SERVICE_STATUS.get(service):
                reason = f"needs {service}: {SERVICE_STATUS[service]}"
                if services_required():
                    item.user_properties.append(("missing_service", reason))
                else:
                    item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_setup(item):
    reasons = [value for key, value in item.user_properties if key == "missing_service"]
    if reasons:
        pytest.fail(f"REQUIRE_SERVICES=1 but {'; '.join(reasons)}", pytrace=False)


def pytest_report_header(config):
    lines = []
    for service, problem in SERVICE_STATUS.items():
        lines.append(f"{service}: {'available' if problem is None else problem}")
    return lines
