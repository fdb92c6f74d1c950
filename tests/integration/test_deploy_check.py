"""`manage.py check --deploy` is clean with production settings from the environment.

Run in a subprocess, because settings are read once, from the environment, at start-up.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def deploy_check(**overrides: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        # Not what a deployment sets (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE).
        if not key.startswith(("DEBUG", "SECURE_", "SESSION_", "CSRF_", "PYTEST", "DJANGO_ALLOW"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bulletin.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="bulletin.example.org",
        CSRF_TRUSTED_ORIGINS="https://bulletin.example.org",
        BEHIND_TLS_PROXY="1",
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_reports_a_weakened_setting():
    # The same run with HTTPS redirects switched off must warn: the check above can fail.
    result = deploy_check(SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout
    assert "security.W004" in result.stderr + result.stdout


def test_production_refuses_a_weak_secret_key():
    result = deploy_check(SECRET_KEY="short")
    assert result.returncode != 0
    assert "Refusing to start with DEBUG off" in result.stderr
