"""What the production processes need: HEAD answers, and a worker for every queue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.integration.test_public_pages import build_public_site

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_monitoring_tools_may_use_head(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    site = build_public_site()
    for url in ("/", site.bulletin.get_absolute_url(), site.issue.get_absolute_url(),
                site.articles[0].get_absolute_url(), "/search/?q=数据中心", "/healthz"):
        response = client.head(url)
        assert response.status_code == 200, (url, response.status_code)
        assert response.content == b"", url


def test_every_routed_queue_has_a_process_and_every_process_a_queue():
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    queues = routed | {settings.CELERY_TASK_DEFAULT_QUEUE}
    procfile = (ROOT / "Procfile").read_text()
    served = set()
    for line in procfile.splitlines():
        match = re.search(r"celery -A bulletin worker -Q (\S+)", line)
        if match:
            served |= set(match.group(1).split(","))
    assert served == queues
    compose = (ROOT / "compose.yaml").read_text()
    assert {q for q in re.findall(r"worker -Q (\S+)", compose)} == queues
    assert "celery -A bulletin beat" in procfile and "celery -A bulletin beat" in compose
