"""Logs with request and task context, readiness, metrics, and the desk's process panel."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
import time
import urllib.request

import pytest
from celery import shared_task
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.signals import request_finished
from django.db import OperationalError
from django.test import RequestFactory
from django.urls import resolve, reverse
from prometheus_client import REGISTRY

from editorial.models import SchedulerHeartbeat
from editorial.operations import monitoring, request_context, worker_status
from editorial.services.publishing import RELEASE_JOB
from editorial.workflow import PUBLISHER
from scripts.stack import free_port
from tests.factories import IssueFactory, UserFactory
from tests.integration.celery_worker import wait_until

pytestmark = pytest.mark.django_db


# --- JSON logs ---------------------------------------------------------------------------


@pytest.fixture
def json_log():
    """The project's JSON formatter and context filter on a handler of our own."""
    stream = io.StringIO()
    config = django_settings.LOGGING
    formatter_config = dict(config["formatters"]["json"])
    factory = formatter_config.pop("()")
    module, _, name = factory.rpartition(".")
    formatter = getattr(__import__(module, fromlist=[name]), name)(**formatter_config)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(request_context.LogContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_settings_log_json_with_the_context_filter():
    handler = django_settings.LOGGING["handlers"]["console"]
    assert handler["formatter"] == "json" and handler["filters"] == ["context"]


def test_a_request_logs_its_id_and_echoes_it(client, json_log):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-0123456789abcdef")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-0123456789abcdef"
    [line] = [line for line in json_log() if line["message"].startswith("Not Found")]
    assert line["request_id"] == "req-0123456789abcdef"
    assert line["level"] == "WARNING" and line["logger"] == "django.request"
    assert line["user_id"] is None


def test_a_request_without_an_id_gets_a_fresh_one_and_a_bad_one_is_replaced(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert "\n" not in forged and " " not in forged and len(forged) == 32


def test_the_user_is_named_once_the_app_has_looked_them_up(client, superuser, json_log):
    client.force_login(superuser)
    client.get("/admin/no-such-admin-page/", HTTP_X_REQUEST_ID="req-admin-404-page")
    lines = [line for line in json_log() if line.get("request_id") == "req-admin-404-page"]
    assert lines and all(line["user_id"] == superuser.pk for line in lines)


def test_the_issue_of_an_admin_issue_page_is_in_its_logs(superuser, bulletin, json_log):
    issue = IssueFactory(bulletin=bulletin)
    url = reverse("admin:editorial_issue_change", args=[issue.pk])
    request = RequestFactory().get(url)
    request.resolver_match = resolve(url)
    request.user = superuser

    def view(request):
        logging.getLogger("editorial.test").info("inside the issue page")
        from django.http import HttpResponse

        return HttpResponse("ok")

    middleware = request_context.RequestContextMiddleware(None)

    def get_response(request):
        middleware.process_view(request, view, (), request.resolver_match.kwargs)
        return view(request)

    middleware.get_response = get_response
    response = middleware(request)
    [line] = [line for line in json_log() if line["message"] == "inside the issue page"]
    assert line["issue_id"] == issue.pk and line["user_id"] == superuser.pk
    assert line["request_id"] == response["X-Request-ID"]
    # The context ends with the request (Django sends request_finished once it is sent).
    request_finished.send(sender=RequestFactory)
    logging.getLogger("editorial.test").info("after the request")
    after = next(line for line in json_log() if line["message"] == "after the request")
    assert after["request_id"] is None and after["issue_id"] is None


@shared_task(name="tests.observability.log_in_task")
def log_in_task(issue_id: int) -> str:
    logging.getLogger("editorial.test").info("working on the issue")
    return "done"


@shared_task(name="tests.observability.fail_in_task")
def fail_in_task() -> None:
    raise ValueError("this task always fails")


def test_task_logs_carry_the_task_and_its_issue(json_log):
    result = log_in_task.apply(args=(4711,))
    [line] = [line for line in json_log() if line["message"] == "working on the issue"]
    assert line["task_name"] == "tests.observability.log_in_task"
    assert line["task_id"] == result.id and line["issue_id"] == 4711
    logging.getLogger("editorial.test").info("outside the task")
    outside = next(line for line in json_log() if line["message"] == "outside the task")
    assert outside["task_id"] is None


def _sample(name: str, labels: dict) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_task_durations_and_failures_are_counted():
    ok = {"task": "tests.observability.log_in_task", "state": "SUCCESS"}
    failed = {"task": "tests.observability.fail_in_task", "exception": "ValueError"}
    before_ok = _sample("bulletin_task_duration_seconds_count", ok)
    before_failed = _sample("bulletin_task_failures_total", failed)
    log_in_task.apply(args=(1,))
    log_in_task.apply(args=(2,))
    fail_in_task.apply(throw=False)
    assert _sample("bulletin_task_duration_seconds_count", ok) == before_ok + 2
    assert _sample("bulletin_task_failures_total", failed) == before_failed + 1
    assert _sample(
        "bulletin_task_duration_seconds_count",
        {"task": "tests.observability.fail_in_task", "state": "FAILURE"},
    ) >= 1


@pytest.mark.postgres
@pytest.mark.redis
def test_a_worker_logs_the_publishing_request_and_serves_its_metrics(
    celery_worker, bulletin, tmp_path
):
    port = free_port()
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    worker = celery_worker(
        env={"CELERY_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
             "CELERY_METRICS_ADDRESS": "127.0.0.1", "LOG_FORMAT": "json"},
        queues=("deliver",),
    )
    issue = IssueFactory(bulletin=bulletin)
    from editorial.tasks import fan_out_issue_deliveries

    tokens = request_context.bind(request_id="req-publish-0001")
    try:
        fan_out_issue_deliveries.apply_async(args=(issue.pk,))
    finally:
        request_context.unbind(tokens)

    def task_line():
        for raw in worker.log().splitlines():
            if raw.startswith("{") and "succeeded in" in raw:
                line = json.loads(raw)
                if line.get("task_name") == "editorial.fan_out_issue_deliveries":
                    return line
        return None

    line = wait_until(task_line, timeout=30, message="the task's log line")
    assert line["request_id"] == "req-publish-0001"
    assert line["issue_id"] == issue.pk and line["task_id"]

    def scraped():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
        wanted = 'bulletin_task_duration_seconds_count{state="SUCCESS",task="editorial.fan_out_issue_deliveries"} 1.0'
        return text if wanted in text else None

    assert wait_until(scraped, timeout=10, message="the worker's metrics")


# --- Readiness ---------------------------------------------------------------------------


def test_readyz_is_ready_with_everything_up(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["database"] == "ok" and body["checks"]["storage"] == "ok"
    assert body["failed"] == []
    assert not list(tmp_path.rglob("*.probe"))  # the probe file is deleted again


def test_readyz_names_the_storage_when_it_cannot_write(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only")

    monkeypatch.setattr(default_storage, "save", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]
    assert response.json()["checks"]["storage"] == "error: PermissionError"


def test_readyz_names_redis_when_it_is_down(client, settings):
    port = free_port()  # nothing listens there
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    started = time.monotonic()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]
    assert time.monotonic() - started < 3


def test_readyz_names_the_database_when_it_fails(client, monkeypatch):
    def broken():
        raise OperationalError("connection refused")

    monkeypatch.setattr(monitoring, "check_database", broken)
    response = client.get("/readyz")
    assert response.status_code == 503 and "database" in response.json()["failed"]


# --- Metrics -----------------------------------------------------------------------------


def test_metrics_from_loopback_show_requests_latencies_and_queries(client):
    client.get("/")  # a request and its queries to count
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert "django_http_responses_total_by_status_total" in text
    assert "django_db_execute_total" in text


def test_metrics_are_refused_to_other_addresses(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 403
    assert "django_http" not in response.content.decode()


def test_metrics_with_a_token_need_the_token(client, settings):
    settings.METRICS_BEARER_TOKEN = "s3cr3t-token-for-the-scraper"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope", REMOTE_ADDR="203.0.113.7")
    assert wrong.status_code == 403 and wrong["WWW-Authenticate"].startswith("Bearer")
    right = client.get(
        "/metrics",
        HTTP_AUTHORIZATION="Bearer s3cr3t-token-for-the-scraper",
        REMOTE_ADDR="203.0.113.7",
    )
    assert right.status_code == 200 and "django_http" in right.content.decode()


# --- The desk's process panel ----------------------------------------------------------------


@pytest.fixture
def publisher_client(client):
    client.force_login(UserFactory(username="fabu", roles=[PUBLISHER]))
    return client


def test_the_desk_shows_queue_lengths_and_the_last_scheduler_run(
    publisher_client, settings, redis_server, monkeypatch
):
    import redis
    from django.utils import timezone

    SchedulerHeartbeat.objects.update_or_create(
        name=RELEASE_JOB, defaults={"last_run_at": timezone.now()}
    )
    settings.CELERY_BROKER_URL = redis_server.url
    client = redis.Redis.from_url(redis_server.url)
    client.rpush("render", *[b"task"] * 3)
    client.rpush("deliver", b"task")
    monkeypatch.setattr(worker_status, "answering_workers", lambda timeout=0.5: [])
    cache.delete(worker_status.CACHE_KEY)  # an earlier test's reading
    html = publisher_client.get(reverse("admin:index")).content.decode()
    assert 'id="desk-processes"' in html
    assert 'data-queue="render"' in html
    panel = html[html.index('id="desk-processes"'):]
    waiting = dict(re.findall(r'data-queue="(\w+)"><th scope="row">[^<]*</th>\s*<td>(\d+) ', panel))
    assert waiting == {"default": "0", "render": "3", "deliver": "1"}
    assert 'id="desk-scheduler-last-run"' in panel
    assert 'id="desk-workers"' in panel


@pytest.mark.postgres
@pytest.mark.redis
def test_the_desk_names_a_running_worker(celery_worker, settings, redis_server):
    worker = celery_worker(name="ops-desk")
    settings.CELERY_BROKER_URL = redis_server.url
    status = worker_status.read_worker_status()
    assert status.pinged and any(name.startswith("ops-desk-") for name in status.workers), status
    assert status.queue_lengths == {"default": 0, "render": 0, "deliver": 0}
    assert status.seconds < 1.5
    worker.kill()
    after = worker_status.read_worker_status()
    assert after.workers == []


def test_a_dead_broker_does_not_hold_the_desk(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    status = worker_status.read_worker_status()
    assert time.monotonic() - started < 1.0
    assert status.broker_error and status.queue_lengths == dict.fromkeys(worker_status.QUEUES)
    assert not status.pinged


def test_without_a_broker_the_desk_says_tasks_run_in_process(settings):
    settings.CELERY_BROKER_URL = "memory://"
    assert worker_status.read_worker_status().broker_configured is False
