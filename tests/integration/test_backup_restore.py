"""Backup and restore: a site restored into a fresh database and bucket serves the same issue.

The issue is published and rendered into bucket A; ``backup_site`` (pg_dump custom format
plus a copy of every object) runs as the operator would, as its own process;
``restore_site`` fills a new database and bucket B; then a web process on each site
answers the issue page and the PDF, and both answer the same bytes.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from editorial.models import Article, Rendition
from editorial.services import publishing
from editorial.workflow import PUBLISHER
from scripts.stack import S3_KEY, MotoS3Server, Stack, StackError
from tests.factories import BulletinFactory, UserFactory
from tests.integration.celery_worker import database_url_for_workers
from tests.integration.test_delivery_support import approved_issue

pytestmark = [pytest.mark.postgres]

SITE_URL = "https://bulletin.example.org"  # the same on both sites: pages name it
NONCE = re.compile(rb'nonce="[^"]*"')


def s3_storages(s3: MotoS3Server, bucket: str, staticfiles: dict) -> dict:
    return {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket, "endpoint_url": s3.endpoint, "access_key": S3_KEY,
                "secret_key": S3_KEY, "region_name": "us-east-1", "addressing_style": "path",
                "default_acl": None, "file_overwrite": False, "signature_version": "s3v4",
            },
        },
        "staticfiles": staticfiles,
    }


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def admin_url(database_url: str) -> str:
    return database_url.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture
def fresh_database():
    original = database_url_for_workers()
    name = f"{connection.settings_dict['NAME']}_restored"
    with psycopg.connect(admin_url(original), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield original.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin_url(original), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_site_serves_the_same_issue_from_a_fresh_database_and_bucket(
    transactional_db, fresh_database, tmp_path, settings
):
    with MotoS3Server(tmp_path) as s3:
        s3.create_bucket("site-a")
        s3.create_bucket("site-b")
        settings.STORAGES = s3_storages(s3, "site-a", settings.STORAGES["staticfiles"])
        bulletin = BulletinFactory()
        issue = approved_issue(bulletin, articles_per_section=2)
        # Tasks run in this process here: the publish renders into bucket A.
        publishing.publish_issue(issue=issue, user=UserFactory(roles=[PUBLISHER]))
        pdf = Rendition.objects.get(issue=issue, kind=Rendition.Kind.PDF, is_current=True)
        assert pdf.file.name in s3.keys("site-a")
        original_pdf = s3.client().get_object(Bucket="site-a", Key=pdf.file.name)["Body"].read()
        assert original_pdf.startswith(b"%PDF")

        extra = {"SITE_URL": SITE_URL}
        site_a = Stack(tmp_path / "a", database_url=database_url_for_workers(), redis_url="",
                       s3=s3, bucket="site-a", smtp_port=1, env=extra)
        site_b = Stack(tmp_path / "b", database_url=fresh_database, redis_url="",
                       s3=s3, bucket="site-b", smtp_port=1, env=extra)
        backup = tmp_path / "backup"
        site_a.manage("backup_site", str(backup))
        manifest = json.loads((backup / "manifest.json").read_text())
        assert pdf.file.name in manifest["files"]
        assert (backup / "database.dump").read_bytes()[:5] == b"PGDMP"  # custom format

        site_b.manage("restore_site", str(backup))
        assert s3.keys("site-b") == s3.keys("site-a")
        for key in s3.keys("site-a"):
            assert (s3.client().get_object(Bucket="site-b", Key=key)["Body"].read()
                    == s3.client().get_object(Bucket="site-a", Key=key)["Body"].read())
        with psycopg.connect(fresh_database) as restored:
            count = restored.execute("SELECT count(*) FROM editorial_article").fetchone()[0]
        assert count == Article.objects.count() > 0
        # A second restore over the restored site is refused, and changes nothing.
        with pytest.raises(StackError, match="not empty"):
            site_b.manage("restore_site", str(backup))

        try:
            site_a.web.start(timeout=60)
            site_b.web.start(timeout=60)
            page = issue.get_absolute_url()
            download = reverse("editorial:rendition", args=[bulletin.slug, issue.number, "pdf"])
            status_a, page_a = fetch(site_a.url(page))
            status_b, page_b = fetch(site_b.url(page))
            assert status_a == status_b == 200
            assert issue.bulletin.name.encode() in page_b
            assert NONCE.sub(b"", page_b) == NONCE.sub(b"", page_a)
            status_a, pdf_a = fetch(site_a.url(download))  # each via its own bucket's URL
            status_b, pdf_b = fetch(site_b.url(download))
            assert status_a == status_b == 200
            assert pdf_b == pdf_a == original_pdf
        finally:
            site_a.stop()
            site_b.stop()
