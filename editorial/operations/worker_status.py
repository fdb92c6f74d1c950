"""Are the workers and beat alive? What the desk shows about the background processes.

Three readings, each bounded in time so the desk never waits on a dead broker for more
than about a second: the length of each Celery queue (Redis ``LLEN`` of the queue's
list; Celery's Redis transport keeps a queue as a list under its name), the workers that
answer a broadcast ping, and the scheduler's last run (the heartbeat beat's publish job
writes, editorial.selectors.desk.scheduler_status). The result is cached for a few seconds, so a
desk reloaded by several editors pings once.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

# The project's app itself, not celery.current_app: that one is per thread, and a web
# server's other threads would get Celery's unconfigured default.
from bulletin.celery import app as celery_app

logger = logging.getLogger(__name__)

QUEUES = ("default", "render", "deliver")
PING_TIMEOUT_SECONDS = 0.5
REDIS_TIMEOUT_SECONDS = 0.3
CACHE_KEY = "desk-worker-status"
CACHE_SECONDS = 10


@dataclass
class WorkerStatus:
    # False when tasks run in-process (no broker): there are no workers to see.
    broker_configured: bool
    queue_lengths: dict[str, int | None] = field(default_factory=dict)
    workers: list[str] = field(default_factory=list)
    broker_error: str = ""
    pinged: bool = False
    seconds: float = 0.0

    @property
    def queues(self) -> list[tuple[str, int | None]]:
        return list(self.queue_lengths.items())


def _broker_url() -> str:
    url = getattr(settings, "CELERY_BROKER_URL", "") or ""
    return url if url.startswith(("redis://", "rediss://", "unix://")) else ""


def queue_lengths(broker_url: str, queues=QUEUES) -> dict[str, int | None]:
    """Tasks waiting in each queue (None when Redis did not answer)."""
    # Loaded only with a Redis broker: in-process tasks (the demo) need no client.
    import redis

    client = redis.Redis.from_url(
        broker_url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.llen(queue)
            return dict(zip(queues, pipe.execute(), strict=True))
    finally:
        client.close()


def answering_workers(timeout: float = PING_TIMEOUT_SECONDS) -> list[str]:
    """The names of the workers that answered a ping within ``timeout`` seconds."""
    replies = celery_app.control.ping(timeout=timeout) or []
    return sorted(name for reply in replies for name in reply)


def read_worker_status() -> WorkerStatus:
    """Queue lengths and answering workers, now (at most about a second)."""
    broker_url = _broker_url()
    if not broker_url:
        return WorkerStatus(broker_configured=False)
    started = time.monotonic()
    status = WorkerStatus(broker_configured=True)
    try:
        status.queue_lengths = queue_lengths(broker_url)
    except Exception as exc:  # a broker that is down must not take the desk down
        status.queue_lengths = dict.fromkeys(QUEUES)
        status.broker_error = exc.__class__.__name__
        logger.warning("Desk: the broker did not answer (%s)", status.broker_error)
    if not status.broker_error:
        try:
            status.workers = answering_workers()
            status.pinged = True
        except Exception as exc:
            status.broker_error = exc.__class__.__name__
    status.seconds = round(time.monotonic() - started, 3)
    return status


def worker_status() -> WorkerStatus:
    """``read_worker_status``, cached for CACHE_SECONDS when the cache answers."""
    cached = None
    with contextlib.suppress(Exception):
        cached = cache.get(CACHE_KEY)
    if isinstance(cached, WorkerStatus):
        return cached
    status = read_worker_status()
    with contextlib.suppress(Exception):
        cache.set(CACHE_KEY, status, CACHE_SECONDS)
    return status
