"""Celery tasks in the logs and in Prometheus: context, durations and failures.

Connected to Celery's signals when the Celery app loads (bulletin/celery.py), so web
processes (which publish tasks) and workers (which run them) both have it:

- ``before_task_publish`` puts the publishing request's id (and issue) into the message
  headers; ``task_prerun`` sets them, with the task's id and name, for the task's logs.
- ``task_prerun``/``task_postrun`` time each task into ``bulletin_task_duration_seconds``
  (labelled by task and outcome); ``task_failure`` and ``task_retry`` count into
  ``bulletin_task_failures_total`` and ``bulletin_task_retries_total``.

A prefork worker runs its tasks in child processes, each with its own memory, so the
figures are collected in prometheus_client's multiprocess mode: set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory (one per worker, wiped at start) and
``CELERY_METRICS_PORT``; the worker's main process then serves all its children's
figures at ``http://<host>:<port>/metrics``. Without the directory only a solo or threads
pool reports (the children's figures would stay in the children).
"""

from __future__ import annotations

import inspect
import logging
import os
import time

import prometheus_client
from celery import signals
from prometheus_client import Counter, Histogram, multiprocess

from editorial.operations import request_context

logger = logging.getLogger(__name__)

TASK_DURATION = Histogram(
    "bulletin_task_duration_seconds",
    "How long Celery tasks ran, by task and outcome.",
    ["task", "state"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
TASK_FAILURES = Counter(
    "bulletin_task_failures_total", "Celery tasks that raised, by task and exception.",
    ["task", "exception"],
)
TASK_RETRIES = Counter(
    "bulletin_task_retries_total", "Celery task retries, by task.", ["task"]
)

REQUEST_ID_HEADER = "bulletin_request_id"
ISSUE_ID_HEADER = "bulletin_issue_id"

# task id -> (start time, context tokens); a worker process runs one task at a time per
# thread, but keyed by id it also holds for a threads pool.
_running: dict[str, tuple[float, list]] = {}


@signals.before_task_publish.connect
def _carry_request_context(sender=None, headers=None, **extra):
    if headers is None:
        return
    context = request_context.current_context()
    if context.get("request_id"):
        headers.setdefault(REQUEST_ID_HEADER, context["request_id"])
    if context.get("issue_id"):
        headers.setdefault(ISSUE_ID_HEADER, context["issue_id"])


def _issue_id_of(task, args, kwargs) -> int | None:
    """The issue a task is about, when it takes one (tasks take ids, not objects)."""
    if kwargs.get("issue_id") is not None:
        return kwargs["issue_id"]
    try:
        names = list(inspect.signature(task.run).parameters)
    except (TypeError, ValueError):
        return None
    if args and names and names[0] == "issue_id":
        return args[0]
    return None


def _header(task, name: str):
    request = getattr(task, "request", None)
    value = getattr(request, name, None) if request is not None else None
    if value is None and request is not None:
        value = (getattr(request, "headers", None) or {}).get(name)
    return value


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, args=None, kwargs=None, **extra):
    issue_id = _issue_id_of(task, args or (), kwargs or {}) or _header(task, ISSUE_ID_HEADER)
    tokens = request_context.bind(
        task_id=task_id,
        task_name=task.name,
        request_id=_header(task, REQUEST_ID_HEADER) or task_id,
        issue_id=int(issue_id) if issue_id is not None else None,
        user_id=None,
    )
    _running[task_id] = (time.perf_counter(), tokens)


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **extra):
    started, tokens = _running.pop(task_id, (None, None))
    if started is not None:
        TASK_DURATION.labels(task.name, state or "UNKNOWN").observe(
            time.perf_counter() - started
        )
    if tokens:
        try:
            request_context.unbind(tokens)
        except ValueError:
            # Set in another context (an eager task run inside a request): let them be.
            pass


@signals.task_failure.connect
def _task_failed(sender=None, exception=None, **extra):
    TASK_FAILURES.labels(getattr(sender, "name", "unknown"), type(exception).__name__).inc()


@signals.task_retry.connect
def _task_retried(sender=None, **extra):
    TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()


def metrics_registry():
    """The registry to serve: every process's figures in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


def start_metrics_server(port: int, address: str = "0.0.0.0"):  # nosec B104
    """Serve the worker's figures over HTTP on ``port``; returns (server, thread)."""
    return prometheus_client.start_http_server(port, addr=address, registry=metrics_registry())


@signals.worker_ready.connect
def _serve_worker_metrics(sender=None, **extra):
    port = os.environ.get("CELERY_METRICS_PORT")
    if not port:
        return
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        logger.warning(
            "CELERY_METRICS_PORT is set without PROMETHEUS_MULTIPROC_DIR: a prefork "
            "worker's task figures stay in its child processes and are not served."
        )
    address = os.environ.get("CELERY_METRICS_ADDRESS", "0.0.0.0")  # nosec B104
    start_metrics_server(int(port), address)
    logger.info("Serving task metrics on %s:%s/metrics", address, port)


@signals.worker_process_shutdown.connect
def _forget_dead_child(pid=None, **extra):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid or os.getpid())
