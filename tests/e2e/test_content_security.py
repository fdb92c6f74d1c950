"""The public site and the admin work in a real browser under their Content-Security-Policy.

Chromium reports every blocked script, style or image as a ``securitypolicyviolation``
event and a console error; both are collected from before each page's first script runs.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from editorial.models import ImportJob
from tests.e2e.conftest import admin_login
from tests.e2e.test_public_browsing import build_reading_site
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def watch(page) -> list[str]:
    """Console errors about the policy, from now on."""
    errors: list[str] = []
    page.add_init_script(COLLECT_VIOLATIONS)
    page.on(
        "console",
        lambda message: errors.append(message.text)
        if message.type == "error" and "Content Security Policy" in message.text
        else None,
    )
    return errors


def violations(page, console_errors: list[str]) -> list[str]:
    return [*page.evaluate("window.__cspViolations || []"), *console_errors]


def test_public_pages_load_without_a_policy_violation(page, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    _bulletin, latest, articles, indicator = build_reading_site(settings.MEDIA_ROOT)
    console = watch(page)
    for path in (
        latest.get_absolute_url(),
        articles[1].get_absolute_url(),  # has a figure (an SVG image)
        reverse("editorial:indicator", args=[indicator.slug]),  # the chart as an image
        reverse("editorial:search") + "?q=数据中心",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert violations(page, console) == [], path
    # Stylesheets applied: the policy let the site's own CSS through.
    assert page.evaluate("document.styleSheets.length") >= 1


def test_admin_pages_load_without_a_policy_violation(page, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    bulletin, latest, articles, _indicator = build_reading_site(settings.MEDIA_ROOT)
    admin = UserFactory(username="zongbian", is_superuser=True)
    admin.set_password("mima-2020-xxcy")
    admin.save()
    job = ImportJob.objects.create(
        file=ContentFile(b"x", name="xxcy.txt"), original_name="第七期.txt",
        format=ImportJob.Format.TEXT, bulletin=bulletin, created_by=admin,
    )
    console = watch(page)
    admin_login(page, live_server.url, "zongbian", "mima-2020-xxcy")
    for url in (
        reverse("admin:index"),
        reverse("admin:editorial_issue_changelist"),
        reverse("admin:editorial_issue_change", args=[latest.pk]),
        reverse("admin:editorial_article_change", args=[articles[1].pk]),
        reverse("admin:editorial_import_upload"),
    ):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
        assert violations(page, console) == [], url
    # The change form's own scripts ran (Django's admin JavaScript sets up the form).
    page.goto(f"{live_server.url}{reverse('admin:editorial_issue_change', args=[latest.pk])}")
    assert page.evaluate("typeof window.django === 'object' && typeof django.jQuery") == "function"
    # An inline script of ours runs with its nonce: the progress page polls the job.
    with page.expect_response(lambda r: "/progress/" in r.url and r.request.headers.get(
            "accept") == "application/json") as polled:
        page.goto(f"{live_server.url}{reverse('admin:editorial_import_progress', args=[job.pk])}")
    assert polled.value.status == 200
    assert violations(page, console) == []


def test_the_api_docs_page_loads_without_a_policy_violation(page, live_server):
    console = watch(page)
    response = page.goto(f"{live_server.url}/api/docs")
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    assert page.locator("#swagger-ui").is_visible()
    assert violations(page, console) == []
