"""Admin sign-in is throttled per user name and per address (django-axes)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def sign_in(client, username, password, address="198.51.100.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def test_wrong_passwords_lock_the_account_with_a_chinese_message(client, settings):
    UserFactory(username="bianji")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "bianji", "wrong").status_code == 200  # the form again
    locked = sign_in(client, "bianji", "wrong")
    assert locked.status_code == 429
    # Even the right password is refused while the lock lasts, from another address too.
    with translation.override("zh-hans"):
        again = sign_in(client, "bianji", "pass-word-123", address="203.0.113.9")
    assert again.status_code == 429
    text = again.content.decode()
    assert "登录已锁定" in text and "15" in text
    assert "_auth_user_id" not in client.session


def test_one_address_trying_many_names_is_locked_too(client, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"guess{n}", "wrong", address="192.0.2.50")
    UserFactory(username="shenhe")
    assert sign_in(client, "shenhe", "pass-word-123", address="192.0.2.50").status_code == 429
    # The same user from a clean address is let in.
    assert sign_in(client, "shenhe", "pass-word-123", address="192.0.2.51").status_code == 302


def test_a_successful_sign_in_resets_the_count(client, settings):
    UserFactory(username="fabu")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "fabu", "wrong")
    assert sign_in(client, "fabu", "pass-word-123").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "fabu", "wrong").status_code == 200
    assert sign_in(client, "fabu", "pass-word-123").status_code == 302
