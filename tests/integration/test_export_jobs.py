"""Large exports as jobs: started by staff, run by a worker, downloaded from the admin."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from editorial.models import ExportJob, Metric
from editorial.services import exporting
from editorial.services.errors import PermissionRefused
from editorial.workflow import IssueState
from tests.factories import IndicatorFactory, IssueFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_metrics(bulletin):
    issue = IssueFactory(bulletin=bulletin, state=IssueState.PUBLISHED, published_at=timezone.now())
    indicator = IndicatorFactory(name="软件业务收入")
    Metric.objects.bulk_create(
        Metric(indicator=indicator, issue=issue, period_label=f"P{i}", value=i + 0.5,
               unit="亿元", status=Metric.Status.CONFIRMED)
        for i in range(250)
    )
    draft = IssueFactory(bulletin=bulletin)
    Metric.objects.create(indicator=indicator, issue=draft, period_label="草稿", value=1,
                          status=Metric.Status.CONFIRMED)


@pytest.mark.parametrize("kind", ["metrics_xlsx", "metrics_csv"])
def test_export_job_runs_and_is_downloadable(client, editor, published_metrics, kind,
                                             django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(exporting, "EXPORT_PROGRESS_EVERY", 100)
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:editorial_exportjob_start", args=[kind]))
    job = ExportJob.objects.get()
    assert response.url == reverse("admin:editorial_exportjob_change", args=[job.pk])
    assert (job.state, job.progress, job.rows) == (ExportJob.State.SUCCEEDED, 100, 250)
    download = client.get(reverse("admin:editorial_exportjob_download", args=[job.pk]))
    data = b"".join(download.streaming_content)
    if kind == "metrics_xlsx":
        sheet = load_workbook(io.BytesIO(data), read_only=True).active
        values = [row[0].value for row in sheet.iter_rows(min_row=2)]
        assert len(values) == 250
    else:
        assert data.startswith(b"\xef\xbb\xbf") and "草稿".encode() not in data
    assert "软件业务收入".encode() in data or kind == "metrics_xlsx"
    page = client.get(reverse("admin:editorial_exportjob_change", args=[job.pk]))
    assert page.status_code == 200


def test_running_twice_writes_once(editor, published_metrics):
    job = ExportJob.objects.create(kind="metrics_csv", created_by=editor)
    first = exporting.run_export_job(job_id=job.pk)
    second = exporting.run_export_job(job_id=job.pk)
    assert first.file.name == second.file.name and second.state == ExportJob.State.SUCCEEDED


def test_staff_without_export_permission_is_refused(client, published_metrics):
    clerk = UserFactory(username="clerk", roles=[])
    with pytest.raises(PermissionRefused):
        exporting.start_export_job(kind="metrics_xlsx", user=clerk)
    client.force_login(clerk)
    client.post(reverse("admin:editorial_exportjob_start", args=["metrics_xlsx"]))
    assert not ExportJob.objects.exists()
