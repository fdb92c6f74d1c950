"""Heavy and hostile uploads never tie up a web request.

A .docx that expands far beyond its size is refused unopened; in the admin a .docx (or a
large text file) is read by a worker while the upload answers with the progress page at
once, and a job past a limit ends as failed with a clear message. Big spreadsheets are
refused by row count before any row is read.
"""

from __future__ import annotations

import io
import os
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from editorial.models import ImportJob, Issue
from editorial.parsing.docx import parse_docx
from editorial.parsing.packages import PackageLimits, check_package_size
from editorial.parsing.tree import BulletinParseError
from editorial.services import import_jobs, import_previews, upload_parsing
from editorial.services.errors import ImportRefused
from editorial.tables.reading import ImportFileRefused, read_csv_table, read_xlsx_table
from tests.integration.celery_worker import (  # noqa: F401  (fixtures)
    celery_worker,
    redis_server,
    wait_until,
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def small_docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("产业环境", level=1)
    document.add_heading("工信部发布数据中心发展指引", level=2)
    document.add_paragraph("工信部近日发布数据中心发展指引，提出到2025年的目标。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def expanding_docx(*, expanded_mb: int = 80, size_kb: int = 500) -> bytes:
    """A real .docx of about ``size_kb`` whose document.xml unpacks to ``expanded_mb``."""
    base = zipfile.ZipFile(io.BytesIO(small_docx()))
    out = io.BytesIO()
    paragraph = f'<w:p><w:r><w:t>{"行业数据监测" * 40}</w:t></w:r></w:p>'.encode()
    chunk = paragraph * (1024 * 1024 // len(paragraph))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for item in base.infolist():
            if item.filename != "word/document.xml":
                package.writestr(item, base.read(item.filename))
        with package.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>'.encode())
            for _ in range(expanded_mb):
                member.write(chunk)
            member.write(b"</w:body></w:document>")
        padding = max(0, size_kb * 1024 - out.tell())
        package.writestr(
            zipfile.ZipInfo("word/media/image1.bin"), os.urandom(padding), zipfile.ZIP_STORED
        )
    return out.getvalue()


def upload(client, bulletin, data: bytes, name: str):
    return client.post(
        reverse("admin:editorial_import_upload"),
        {"file": SimpleUploadedFile(name, data), "bulletin": bulletin.pk},
    )


# --- The package check ---------------------------------------------------------------------


def test_an_expanding_docx_is_refused_before_it_is_opened():
    data = expanding_docx(expanded_mb=80, size_kb=100)
    started = time.monotonic()
    with pytest.raises(BulletinParseError) as refused:
        parse_docx(data)
    assert refused.value.code == "too-expanded"
    assert time.monotonic() - started < 0.5


def test_the_ratio_cap_and_the_entry_cap_apply():
    data = expanding_docx(expanded_mb=8, size_kb=20)  # 8 MB from 20 KB: ratio ~400
    with pytest.raises(BulletinParseError):
        check_package_size(data, PackageLimits(max_bytes=10**9, max_ratio=100))
    check_package_size(data, PackageLimits(max_bytes=10**9, max_ratio=1000))
    with pytest.raises(BulletinParseError):
        check_package_size(small_docx(), PackageLimits(max_entries=3))
    check_package_size(b"not a zip at all")  # left for the reader to report


@pytest.mark.django_db
def test_parse_upload_names_the_size(settings):
    settings.BULLETIN_PACKAGE_MAX_EXPANDED_BYTES = 16 * 1024 * 1024
    with pytest.raises(ImportRefused) as refused:
        upload_parsing.parse_upload(data=expanding_docx(expanded_mb=20, size_kb=300), filename="a.docx")
    assert refused.value.code == "too-expanded"
    assert "16" in str(refused.value)


def test_an_xlsx_that_expands_is_refused():
    with pytest.raises(ImportFileRefused):
        read_xlsx_table(expanding_docx(expanded_mb=80, size_kb=100))


# --- The admin: a worker reads heavy uploads --------------------------------------------


@pytest.mark.postgres
@pytest.mark.redis
def test_expanding_docx_upload_answers_with_progress_and_fails_in_the_worker(
    celery_worker, client, editor, bulletin  # noqa: F811
):
    celery_worker()
    client.force_login(editor)
    data = expanding_docx(expanded_mb=80, size_kb=500)
    assert 450 * 1024 < len(data) < 600 * 1024

    started = time.monotonic()
    response = upload(client, bulletin, data, "expanding.docx")
    page = client.get(response.url)
    elapsed = time.monotonic() - started

    job = ImportJob.objects.get()
    assert response.url == reverse("admin:editorial_import_progress", args=[job.pk])
    assert page.status_code == 200 and b'id="import-progress"' in page.content
    assert elapsed < 1.0

    def finished():
        job.refresh_from_db()
        return job.state == ImportJob.State.FAILED

    wait_until(finished, timeout=30, message="the worker to refuse the upload")
    assert job.error == upload_parsing.refusal_message("too-expanded")
    status = client.get(response.url, HTTP_ACCEPT="application/json").json()
    assert status["error"] == job.error and not status["preview_url"]
    assert not Issue.objects.exists()


@pytest.mark.postgres
@pytest.mark.redis
def test_docx_upload_is_read_by_the_worker_then_previewed(
    celery_worker, client, editor, bulletin  # noqa: F811
):
    celery_worker()
    client.force_login(editor)
    response = upload(client, bulletin, small_docx(), "bulletin.docx")
    job = ImportJob.objects.get()
    assert response.url == reverse("admin:editorial_import_progress", args=[job.pk])

    def previewed():
        job.refresh_from_db()
        return job.state == ImportJob.State.PREVIEWED

    wait_until(previewed, timeout=30, message="the worker to parse the upload")
    status = client.get(response.url, HTTP_ACCEPT="application/json").json()
    assert status["preview_url"] == reverse("admin:editorial_import_preview", args=[job.pk])
    preview = client.get(status["preview_url"])
    assert preview.status_code == 200
    assert "工信部发布数据中心发展指引" in preview.content.decode()


@pytest.mark.django_db
def test_a_second_delivery_of_a_parse_ends_the_job_failed(editor, bulletin):
    job = import_jobs.create_import_job(
        data=small_docx(), filename="a.docx", bulletin=bulletin, user=editor
    )
    key = import_previews._parse_key(job)
    job.report = {"parse_key": key, "parse_started_at": timezone.now().isoformat()}
    job.save()
    assert import_previews.run_preview_parse(job_id=job.pk, key=key) == ImportJob.State.FAILED
    job.refresh_from_db()
    assert job.error == upload_parsing.refusal_message("too-slow")


@pytest.mark.django_db
def test_a_parse_whose_worker_died_is_reported_failed(editor, bulletin, settings):
    settings.BULLETIN_IMPORT_PARSE_SECONDS = 1
    job = import_jobs.create_import_job(
        data=small_docx(), filename="a.docx", bulletin=bulletin, user=editor
    )
    long_ago = (timezone.now() - timezone.timedelta(minutes=5)).isoformat()
    job.report = {"parse_key": "k", "parse_queued_at": long_ago, "parse_started_at": long_ago}
    job.save()
    job = import_jobs.fail_stalled_import_job(job)
    assert job.state == ImportJob.State.FAILED and "1" in job.error


def test_the_in_process_guard_stops_a_slow_parse():
    started = time.monotonic()
    with pytest.raises(ImportRefused) as refused, import_previews.parse_time_guard(1):
        while time.monotonic() - started < 5:
            pass
    assert refused.value.code == "too-slow"
    assert time.monotonic() - started < 2


# --- Big tables ----------------------------------------------------------------------------


def test_a_50000_row_csv_is_refused_at_once():
    rows = "\n".join(f"指标{n},2024-{n % 12 + 1:02d},{n}" for n in range(50_000))
    data = ("indicator,period,value\n" + rows).encode()
    started = time.monotonic()
    with pytest.raises(ImportFileRefused) as refused:
        read_csv_table(data)
    assert time.monotonic() - started < 1.0
    assert "50000" in str(refused.value) and "20000" in str(refused.value)
    assert read_csv_table(b"a,b\n1,2\n").height == 1


@pytest.mark.django_db
def test_a_parse_no_worker_started_is_reported_failed(editor, bulletin, settings):
    settings.BULLETIN_IMPORT_QUEUE_SECONDS = 60
    job = import_jobs.create_import_job(
        data=small_docx(), filename="a.docx", bulletin=bulletin, user=editor
    )
    long_ago = (timezone.now() - timezone.timedelta(minutes=5)).isoformat()
    job.report = {"parse_key": "k", "parse_queued_at": long_ago}
    job.save()
    job = import_jobs.fail_stalled_import_job(job)
    assert job.state == ImportJob.State.FAILED
    assert job.error == upload_parsing.refusal_message("not-started")
