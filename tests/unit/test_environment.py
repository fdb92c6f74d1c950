import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from bulletin.environment import (
    DEVELOPMENT_SECRET_KEY,
    env_bool,
    production_secret_key,
    secret_key_problem,
)

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "Zq8-" + "".join(chr(65 + (i * 7) % 26) for i in range(60))


@pytest.mark.parametrize(
    "key", [None, "", "short", DEVELOPMENT_SECRET_KEY, "django-insecure-" + "x" * 60, "a" * 80]
)
def test_insecure_keys_are_named(key):
    assert secret_key_problem(key)


def test_strong_key_passes():
    assert secret_key_problem(STRONG_KEY) is None
    assert production_secret_key(STRONG_KEY, debug=False) == STRONG_KEY


def test_refuses_to_start_without_key_when_debug_is_off():
    with pytest.raises(ImproperlyConfigured, match="Refusing to start"):
        production_secret_key(None, debug=False)


def test_debug_gets_a_development_key():
    assert production_secret_key(None, debug=True) == DEVELOPMENT_SECRET_KEY


def test_env_bool_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("SOME_FLAG", False)


def production_env(**extra):
    env = {
        key: value
        for key, value in os.environ.items()
        # Test-run settings (the browser tests allow async-unsafe ORM use) stay behind.
        if key not in {"DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "ALLOWED_HOSTS",
                       "DJANGO_ALLOW_ASYNC_UNSAFE", "WHITENOISE_USE_FINDERS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bulletin.settings",
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="bulletin.example.org",
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_site_refuses_to_start_on_a_missing_key():
    result = manage("check", env=production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "Refusing to start with DEBUG off" in result.stderr


def test_makemigrations_finds_nothing():
    result = manage("makemigrations", "--check", "--dry-run", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_translations_are_complete_and_compiled():
    """Every message of ours has a Chinese translation, none is left fuzzy, and the
    compiled .mo holds every entry of the .po (a stale one would show English)."""
    import gettext
    import re

    po = ROOT / "editorial" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    text = po.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text.split("\n\n", 1)[1]
    entries = text.split("\n\n")[1:]
    untranslated = [
        e for e in entries
        if e.rstrip().endswith('msgstr ""') and 'msgid "Home"' not in e  # Django has it
    ]
    assert untranslated == []
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog
    compiled = {key if isinstance(key, str) else key[0] for key in catalogue}
    for entry in entries:
        match = re.search(r'^msgid ((?:".*"\n)+)', entry + "\n", re.M)
        msgid = "".join(re.findall(r'"(.*)"', match.group(1))) if match else ""
        msgid = msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        if msgid and msgid != "Home":
            assert msgid in compiled, f"not compiled: {msgid!r} (run make messages)"
