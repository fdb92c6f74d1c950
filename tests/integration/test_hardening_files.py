"""Files in production: stored files go out through a permission check (DEBUG off),
withdrawn issues' files are never public, and a sweeper removes rejected uploads and
superseded renditions' files after the retention period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from editorial.models import ImportJob, Rendition
from editorial.services import import_jobs
from editorial.services.retention import sweep_stored_files
from editorial.workflow import IssueState
from tests.factories import IssueFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEBUG = False


def rendition_of(issue, *, current=True, name="issue.pdf") -> Rendition:
    rendition = Rendition(issue=issue, kind="pdf", state="succeeded", is_current=current,
                          finished_at=timezone.now())
    rendition.file.save(name, ContentFile(b"%PDF-1.7"), save=True)
    return rendition


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_staff_download_links_work_with_debug_off(client, media, bulletin, editor):
    issue = IssueFactory(bulletin=bulletin)
    rendition = rendition_of(issue)
    url = rendition.file.url
    assert url.startswith("/media/")
    client.force_login(editor)
    response = client.get(url)
    assert response.status_code == 200 and body(response) == b"%PDF-1.7"
    assert response["Content-Security-Policy"] == "sandbox"


def test_anonymous_and_unpermitted_users_get_nothing(client, media, bulletin):
    issue = IssueFactory(bulletin=bulletin, state=IssueState.WITHDRAWN)
    rendition = rendition_of(issue)
    anonymous = client.get(rendition.file.url)
    assert anonymous.status_code == 302 and "/login/" in anonymous.url
    client.force_login(UserFactory(username="staff-without-roles", is_staff=True))
    assert client.get(rendition.file.url).status_code == 404
    assert client.get("/media/renditions/not-a-file.pdf").status_code in (302, 404)
    assert client.get("/media/../bulletin/settings.py").status_code == 404


def test_an_uploaded_file_is_for_importers(client, media, bulletin, editor):
    job = import_jobs.create_import_job(data=b"hello", filename="a.txt", bulletin=bulletin,
                                        user=editor)
    client.force_login(editor)
    assert body(client.get(job.file.url)) == b"hello"


def test_the_sweeper_removes_old_rejected_uploads_and_superseded_files(media, bulletin, editor,
                                                                       settings):
    settings.BULLETIN_FILE_RETENTION_DAYS = 7
    rejected = import_jobs.create_import_job(data=b"x", filename="a.txt", bulletin=bulletin,
                                             user=editor)
    recent = import_jobs.create_import_job(data=b"y", filename="b.txt", bulletin=bulletin,
                                           user=editor)
    long_ago = timezone.now() - timedelta(days=8)
    ImportJob.objects.filter(pk=rejected.pk).update(state="failed", finished_at=long_ago)
    ImportJob.objects.filter(pk=recent.pk).update(state="failed", finished_at=timezone.now())
    issue = IssueFactory(bulletin=bulletin, state=IssueState.WITHDRAWN)
    old = rendition_of(issue, current=False, name="old.pdf")
    Rendition.objects.filter(pk=old.pk).update(finished_at=long_ago)
    kept = rendition_of(issue, name="withdrawn-current.pdf")
    old_name = old.file.name

    report = sweep_stored_files()
    assert (report.uploads, report.renditions) == (1, 1)
    assert not default_storage.exists(rejected.file.name)
    assert default_storage.exists(recent.file.name)
    assert not default_storage.exists(old_name)
    assert default_storage.exists(kept.file.name)  # a withdrawn issue's file is kept
    assert ImportJob.objects.get(pk=rejected.pk).file.name == ""
    assert sweep_stored_files().uploads == 0  # twice is harmless
