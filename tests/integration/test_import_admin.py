"""The admin's 导入期刊 flow: upload, preview, correct, confirm."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from editorial.models import ImportJob, Issue
from editorial.workflow import IssueState

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bulletins" / "xxcy-2020-48.txt"


def upload(client, bulletin, data: bytes, name="xxcy.txt"):
    return client.post(
        reverse("admin:editorial_import_upload"),
        {"file": SimpleUploadedFile(name, data), "bulletin": bulletin.pk},
    )


def test_issue_list_offers_the_import_to_editors_only(client, editor, reviewer):
    client.force_login(editor)
    assert "导入期刊" in client.get(reverse("admin:editorial_issue_changelist")).content.decode()
    client.force_login(reviewer)
    assert "导入期刊" not in client.get(reverse("admin:editorial_issue_changelist")).content.decode()
    assert client.get(reverse("admin:editorial_import_upload")).status_code == 403


def test_upload_preview_correct_confirm(client, editor, bulletin):
    client.force_login(editor)
    response = upload(client, bulletin, FIXTURE.read_bytes())
    job = ImportJob.objects.get()
    assert response.url == reverse("admin:editorial_import_preview", args=[job.pk])

    preview = client.get(response.url).content.decode()
    assert "数据中心" in preview or "工信部" in preview
    assert "创建草稿期刊" in preview  # the confirm button, in Chinese
    job.refresh_from_db()
    assert job.state == ImportJob.State.PREVIEWED
    assert Issue.objects.count() == 0  # a preview saves no issue

    # The editor corrects a doubtful line: it becomes an article title.
    warning = job.report["warnings"][0]
    client.post(response.url, {"apply": "1", f"role-{warning['line']}": "title"})
    job.refresh_from_db()
    assert job.options["overrides"] == {str(warning["line"]): "title"}

    def titles(report):
        return [a["title"] for s in report["sections"] for a in s["articles"]]

    before = titles(job.report)
    assert warning["text"].strip() not in before
    client.get(response.url)
    job.refresh_from_db()
    after = titles(job.report)
    assert "".join(warning["text"].split()) in ["".join(t.split()) for t in after]

    confirmed = client.post(response.url, {"confirm": "1", "checksum": job.checksum})
    issue = Issue.objects.get()
    assert confirmed.url == reverse("admin:editorial_issue_change", args=[issue.pk])
    assert issue.state == IssueState.ASSEMBLING
    assert issue.articles.count() == len(after)
    job.refresh_from_db()
    assert job.state == ImportJob.State.SUCCEEDED and job.issue == issue


def test_confirming_a_different_file_is_refused(client, editor, bulletin):
    client.force_login(editor)
    upload(client, bulletin, FIXTURE.read_bytes())
    job = ImportJob.objects.get()
    client.get(reverse("admin:editorial_import_preview", args=[job.pk]))
    response = client.post(
        reverse("admin:editorial_import_preview", args=[job.pk]),
        {"confirm": "1", "checksum": "0" * 64},
        follow=True,
    )
    assert "不是您预览的文件" in response.content.decode()
    assert not Issue.objects.exists()


def test_confirming_twice_creates_one_issue(client, editor, bulletin):
    client.force_login(editor)
    upload(client, bulletin, FIXTURE.read_bytes())
    job = ImportJob.objects.get()
    url = reverse("admin:editorial_import_preview", args=[job.pk])
    client.get(url)
    client.post(url, {"confirm": "1", "checksum": job.checksum})
    client.post(url, {"confirm": "1", "checksum": job.checksum})
    assert Issue.objects.count() == 1


def test_bad_upload_shows_the_reason_and_keeps_nothing(client, editor, bulletin):
    client.force_login(editor)
    response = upload(client, bulletin, b"")
    assert response.status_code == 200
    assert "文件为空" in response.content.decode() or "空" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_binary_upload_fails_at_preview_with_a_clear_message(client, editor, bulletin):
    client.force_login(editor)
    upload(client, bulletin, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, name="x.png")
    job = ImportJob.objects.get()
    response = client.get(reverse("admin:editorial_import_preview", args=[job.pk]), follow=True)
    assert "二进制" in response.content.decode()
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and not Issue.objects.exists()


def test_large_file_runs_as_a_job_with_progress(client, editor, bulletin, settings):
    settings.BULLETIN_IMPORT_ASYNC_BYTES = 1000  # the fixture is larger: it goes to Celery
    client.force_login(editor)
    upload(client, bulletin, FIXTURE.read_bytes())
    job = ImportJob.objects.get()
    url = reverse("admin:editorial_import_preview", args=[job.pk])
    client.get(url)
    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(url, {"confirm": "1", "checksum": job.checksum})
    assert response.url == reverse("admin:editorial_import_progress", args=[job.pk])
    status = client.get(response.url, HTTP_ACCEPT="application/json").json()
    assert status["progress"] == 100 and status["issue_url"]
    assert status["state_label"] == "已完成"  # the page shows the state in Chinese, not its code
    assert Issue.objects.count() == 1
