"""A real Celery worker, and a private Redis for it, for integration tests.

Tests that need a worker use the ``celery_worker`` fixture (a factory: call it to start a
worker, as often as needed) with ``transactional_db``, so the rows they write are
committed and the worker — another process, on the test database — sees them::

    pytestmark = [pytest.mark.postgres, pytest.mark.redis]

    def test_something(celery_worker, transactional_db):
        worker = celery_worker()                  # started and ready
        ...                                       # send tasks as the code does
        worker.kill_child()                       # SIGKILL the pool process mid-task
        worker.kill(); worker.start()             # SIGKILL the whole worker, start again

The broker is a ``redis-server`` this module starts on a free port (never the machine's
shared Redis), so a test may stop and start it: ``redis_server.stop()`` / ``.start()``.
The test process's Celery app is pointed at it (not eager) while the fixture is active.

This module is also the worker's app (``celery -A tests.integration.celery_worker``):
the project's app, plus faults a test can inject without hooks in production code —
``faults=[Fault("editorial.typesetting.documents:typeset_pdf", "sleep", seconds=3,
marker=path)]`` makes that function write a line to ``marker`` when called (so the
test knows the task is mid-flight), then sleep, kill its own process, or raise.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest

from scripts import stack
from scripts.stack import RedisServer

ROOT = Path(__file__).resolve().parents[2]
WORKER_APP = "tests.integration.celery_worker"
DEFAULT_QUEUE = "default"
# Every queue the settings route tasks to: a test worker serves them all unless told.
ALL_QUEUES = (DEFAULT_QUEUE, "render", "deliver")
FAULTS_ENV = "TEST_WORKER_FAULTS"
# Test-only worker settings: notice a killed pool process in a second, not ten.
TEST_CONF = {"worker_lost_wait": 1.0}


@dataclass
class Fault:
    """Wrap ``target`` ("module:function") in the worker: note the call, then act.

    action: "sleep" (then run the function), "kill" (SIGKILL the worker process that
    called it), "raise" (RuntimeError(message)). ``times`` limits how many calls are
    affected in each worker process (0: all).
    """

    target: str
    action: str = "sleep"
    seconds: float = 0.0
    message: str = "fault injected by the test"
    marker: str = ""
    times: int = 0


# --- The worker side: runs inside ``celery -A tests.integration.celery_worker`` -------------


def _install_faults(**_kwargs) -> None:
    import importlib
    import threading

    for spec in json.loads(os.environ.get(FAULTS_ENV) or "[]"):
        fault = Fault(**spec)
        module_name, _, attribute = fault.target.partition(":")
        module = importlib.import_module(module_name)
        original = getattr(module, attribute)
        calls = {"n": 0}
        lock = threading.Lock()

        def wrapper(*args, __fault=fault, __original=original, __calls=calls, __lock=lock, **kw):
            with __lock:
                __calls["n"] += 1
                affected = not __fault.times or __calls["n"] <= __fault.times
            if __fault.marker:
                with open(__fault.marker, "a") as stream:
                    stream.write(f"{os.getpid()}\n")
            if affected:
                if __fault.action == "sleep":
                    time.sleep(__fault.seconds)
                elif __fault.action == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                elif __fault.action == "raise":
                    raise RuntimeError(__fault.message)
            return __original(*args, **kw)

        setattr(module, attribute, wrapper)


if os.environ.get("TEST_WORKER_APP") == "1":
    from celery.signals import worker_process_init

    from bulletin.celery import app  # ``celery -A`` finds the app here

    app.conf.task_default_queue = os.environ.get("TEST_CELERY_DEFAULT_QUEUE", DEFAULT_QUEUE)
    app.conf.update(json.loads(os.environ.get("TEST_CELERY_CONF") or "{}"))
    worker_process_init.connect(_install_faults, weak=False)


# --- The test side ------------------------------------------------------------------------


def wait_until(predicate, *, timeout: float, interval: float = 0.05, message: str = ""):
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    try:
        return stack.wait_until(
            predicate, timeout=timeout, interval=interval, what=message or str(predicate)
        )
    except stack.StackError as exc:
        pytest.fail(str(exc))


def database_url_for_workers() -> str:
    """DATABASE_URL naming the database this test process uses (the test database)."""
    from django.db import connection

    db = connection.settings_dict
    engine = db["ENGINE"]
    if "postgresql" not in engine:
        pytest.skip("a worker process needs the PostgreSQL test database")
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{db['NAME']}"


class CeleryWorker:
    """``celery -A tests.integration.celery_worker worker`` as a subprocess."""

    def __init__(
        self,
        broker_url: str,
        *,
        log_path: Path,
        env: dict[str, str] | None = None,
        faults: list[Fault] | None = None,
        queues: tuple[str, ...] = ALL_QUEUES,
        concurrency: int = 1,
        name: str = "test-worker",
        conf: dict | None = None,
        beat: bool = False,
    ):
        self.broker_url = broker_url
        self.log_path = log_path
        self.env = dict(env or {})
        self.faults = list(faults or [])
        self.queues = queues
        self.concurrency = concurrency
        self.name = name
        self.conf = {**TEST_CONF, **(conf or {})}
        self.beat = beat  # run celery beat inside the worker (-B), schedule file beside the log
        self.process: subprocess.Popen | None = None
        self._log_offset = 0

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", WORKER_APP, "worker",
            "--pool", "prefork", "--concurrency", str(self.concurrency),
            "-Q", ",".join(self.queues), "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-n", f"{self.name}-{os.getpid()}@%h",
            *(["-B", "-s", str(self.log_path.with_suffix(".beat"))] if self.beat else []),
        ]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "TEST_WORKER_APP": "1",
                "TEST_CELERY_DEFAULT_QUEUE": self.queues[0],
                "CELERY_BROKER_URL": self.broker_url,
                "DJANGO_SETTINGS_MODULE": "bulletin.settings",
                FAULTS_ENV: json.dumps([asdict(f) for f in self.faults]),
                "TEST_CELERY_CONF": json.dumps(self.conf),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("REDIS_URL", None)  # the broker only; cache and everything else as in tests
        env.update(self.env)
        return env

    def start(self, timeout: float = 60) -> CeleryWorker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # the child keeps its own descriptor
        self._log_offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.environment(), stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        wait_until(self._ready, timeout=timeout, interval=0.1, message="the Celery worker")
        return self

    def _ready(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            pytest.fail(f"The Celery worker exited:\n{self.log()[-4000:]}")
        return " ready." in self.log()[self._log_offset:]

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def child_pids(self) -> list[int]:
        """The pool processes (children of the main worker process)."""
        if not self.pid:
            return []
        try:
            text = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def kill_child(self) -> int:
        """SIGKILL the pool process (as the OOM killer would); the main process lives on."""
        children = wait_until(self.child_pids, timeout=10, message="a pool process")
        os.kill(children[0], signal.SIGKILL)
        return children[0]

    def kill(self) -> None:
        """SIGKILL the whole worker: main process and pool, nothing acknowledged."""
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self, timeout: float = 15) -> None:
        """Warm shutdown (SIGTERM), SIGKILL if it does not end in time."""
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def restart(self, **changes) -> CeleryWorker:
        """Kill the worker and start it again, with ``changes`` (e.g. ``faults=[]``)."""
        self.kill()
        for key, value in changes.items():
            setattr(self, key, value)
        return self.start()


@contextlib.contextmanager
def celery_app_using(broker_url: str, *, default_queue: str = DEFAULT_QUEUE):
    """Point this process's Celery app at ``broker_url`` (not eager) for a while."""
    from bulletin.celery import app

    keys = ("broker_url", "task_always_eager", "task_default_queue")
    # Attribute access resolves the CELERY_-namespaced Django settings; .get() does not.
    saved = {key: getattr(app.conf, key) for key in keys}

    def reset_connections():
        with contextlib.suppress(Exception):
            app.pool.force_close_all()
        app._pool = None
        with contextlib.suppress(AttributeError):
            app.amqp._producer_pool = None
        # kombu keeps producer pools in a process-wide registry keyed by connection;
        # the closed ones must go too, or the next send (even an eager one) gets one.
        kombu.pools.reset()

    reset_connections()
    app.conf.update(broker_url=broker_url, task_always_eager=False, task_default_queue=default_queue)
    try:
        yield app
    finally:
        reset_connections()
        app.conf.update(saved)


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery_worker(transactional_db, redis_server, tmp_path, settings):
    """A factory for real workers on ``redis_server`` and the test database.

    The workers write files under the test's MEDIA_ROOT (set to a temporary folder here)
    and are all stopped at the end of the test.
    """
    settings.MEDIA_ROOT = str(tmp_path / "media")
    workers: list[CeleryWorker] = []

    def start(**options) -> CeleryWorker:
        env = {
            "DATABASE_URL": database_url_for_workers(),
            "MEDIA_ROOT": settings.MEDIA_ROOT,
            **options.pop("env", {}),
        }
        worker = CeleryWorker(
            redis_server.url,
            log_path=tmp_path / f"worker-{len(workers)}.log",
            env=env,
            **options,
        )
        workers.append(worker)
        return worker.start()

    with celery_app_using(redis_server.url):
        yield start
    for worker in workers:
        worker.kill()
