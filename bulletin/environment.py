"""Reading settings from the environment, with the checks that make them safe.

Kept apart from settings.py so the rules (what counts as an insecure key, how a
boolean is spelled) are testable on their own.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}

# Used only when DEBUG is on and no key is given, so the demo starts with nothing set.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # nosec B105


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from exc


def secret_key_problem(key: str | None) -> str | None:
    """Why ``key`` is unfit for production, or None when it is fine.

    Mirrors Django's own check (security.W009): at least 50 characters, at least 5
    distinct ones, and not one of the well-known development prefixes.
    """
    if not key:
        return "SECRET_KEY is not set."
    if key == DEVELOPMENT_SECRET_KEY or key.startswith("django-insecure") or "insecure" in key:
        return "SECRET_KEY is a development key."
    if len(key) < 50 or len(set(key)) < 5:
        return "SECRET_KEY is too short or too simple (50+ characters, 5+ distinct)."
    return None


def production_secret_key(key: str | None, *, debug: bool) -> str:
    """The key to use, refusing to start a non-debug site on an insecure one."""
    if debug:
        return key or DEVELOPMENT_SECRET_KEY
    problem = secret_key_problem(key)
    if problem:
        raise ImproperlyConfigured(
            f"Refusing to start with DEBUG off: {problem} Set SECRET_KEY in the environment to a "
            "long random value, e.g. the output of: python -c \"import secrets; "
            "print(secrets.token_urlsafe(64))\""
        )
    return key
