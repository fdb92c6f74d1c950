"""The product's processes on one machine, each a real OS process, for tests and scripts.

``Stack`` starts what production runs (docs/operations.md, Procfile): gunicorn for the
web, one Celery worker per queue (render, deliver, default) and beat, all configured only
through the environment, against a given PostgreSQL database, Redis and S3-compatible
bucket, with e-mail sent over SMTP to a given port. Beside it, the services it needs can
be started privately on free ports, so a test or the load script may stop and restart
them without touching anybody else's: ``RedisServer``, ``MotoS3Server`` (moto's server
mode), ``PostgresCluster`` (initdb in a temporary folder) and ``SmtpSink`` (aiosmtpd,
in this process, counting what it receives).

Used by tests/integration/test_multiprocess_stack.py and scripts/load_and_faults.py::

    with MotoS3Server(workdir) as s3, RedisServer(workdir) as redis, SmtpSink() as smtp:
        s3.create_bucket("media")
        with Stack(workdir, database_url=..., redis_url=redis.url, s3=s3, bucket="media",
                   smtp_port=smtp.port) as stack:
            stack.get("/")

Every process is started in its own session and killed with its children on exit, also
when a start fails half-way.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUEUES = ("render", "deliver", "default")
S3_KEY = "stack-test-key"  # moto accepts any credentials; these only sign its URLs


class StackError(RuntimeError):
    """A process did not start or answer in time; the message carries its log's tail."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "it"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise StackError(f"Timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Process:
    """One command as a child process with its output in a log file."""

    def __init__(self, name: str, command: list[str], *, log_path: Path, env: dict | None = None,
                 ready=None, cwd: Path = ROOT):
        self.name = name
        self.command = command
        self.log_path = log_path
        self.env = env
        self.ready = ready  # callable(process) -> bool; None: started is ready
        self.cwd = cwd
        self.process: subprocess.Popen | None = None
        self._offset = 0

    def launch(self) -> Process:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self._offset = self.log_path.stat().st_size
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = 60) -> Process:
        def check():
            if not self.alive:
                raise StackError(f"{self.name} exited:\n{self.log_tail()}")
            return self.ready is None or self.ready(self)

        try:
            wait_until(check, timeout=timeout, what=self.name)
        except StackError as exc:
            raise StackError(f"{exc}\n{self.log_tail()}") from None
        return self

    def start(self, timeout: float = 60) -> Process:
        return self.launch().wait_ready(timeout)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def log(self, *, since_start: bool = True) -> str:
        try:
            with open(self.log_path, "rb") as stream:
                stream.seek(self._offset if since_start else 0)
                return stream.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, chars: int = 3000) -> str:
        return f"--- {self.name} ({self.log_path}) ---\n{self.log()[-chars:]}"

    def child_pids(self) -> list[int]:
        if not self.pid:
            return []
        try:
            return [int(p) for p in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]
        except OSError:
            return []

    def signal_group(self, signum: int) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL the process and everything in its session (workers' pool, gunicorn's)."""
        if self.process is None:
            return
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.process = None

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (warm shutdown), then SIGKILL when it does not end in time."""
        if self.process is None:
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self.kill()


class _Service:
    """A Process with context-manager use; subclasses set ``self.process``."""

    process: Process

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.process.start()
        return self

    def stop(self):
        self.process.stop(timeout=10)


class RedisServer(_Service):
    """A ``redis-server`` of our own on a free port, without persistence."""

    def __init__(self, workdir: Path, port: int | None = None):
        self.port = port or free_port()
        binary = shutil.which("redis-server")
        if binary is None:
            raise StackError("redis-server is not installed")
        folder = workdir / f"redis-{self.port}"
        folder.mkdir(parents=True, exist_ok=True)
        self.process = Process(
            "redis",
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder)],
            log_path=workdir / "redis.log", ready=lambda _p: self.ping(),
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class MotoS3Server(_Service):
    """moto's server mode: an S3 API on a free local port, held in memory."""

    def __init__(self, workdir: Path, port: int | None = None):
        self.port = port or free_port()
        self.process = Process(
            "moto",
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            log_path=workdir / "moto.log", env={**os.environ, "PYTHONUNBUFFERED": "1"},
            ready=lambda _p: port_open(self.port),
        )

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_KEY, region_name="us-east-1",
        )

    def create_bucket(self, name: str) -> str:
        client = self.client()
        client.create_bucket(Bucket=name)
        # Private by construction: no public ACL, and public access refused outright.
        client.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True,
                "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
            },
        )
        return name

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


class PostgresCluster(_Service):
    """A PostgreSQL server of our own (initdb in ``workdir``), so it may be restarted.

    Run as the ``postgres`` system user when this process is root (initdb refuses root).
    """

    def __init__(self, workdir: Path, port: int | None = None):
        self.port = port or free_port()
        self.folder = workdir / f"pg-{self.port}"
        self.bin = Path(subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip())
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.process = Process(
            "postgres",
            [*self.as_user, str(self.bin / "postgres"), "-D", str(self.folder / "data"),
             "-p", str(self.port), "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1",
             "-c", "fsync=off", "-c", "max_connections=200"],
            log_path=workdir / "postgres.log", ready=lambda _p: self.ready(),
        )

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def ready(self) -> bool:
        return subprocess.run(
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False,
        ).returncode == 0

    def start(self):
        if not (self.folder / "data").exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.as_user:
                shutil.chown(self.folder, "postgres")
                # The server's user must reach its folder through ours (mkdtemp's are 0700).
                parent = self.folder.parent
                parent.chmod(parent.stat().st_mode | 0o011)
            done = subprocess.run(
                [*self.as_user, str(self.bin / "initdb"), "-D", str(self.folder / "data"),
                 "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                check=False, capture_output=True, text=True,
            )
            if done.returncode:
                raise StackError(f"initdb failed: {done.stderr or done.stdout}")
        self.process.start(timeout=30)
        return self

    def restart(self) -> float:
        """Stop (fast shutdown) and start again; returns the seconds it was down."""
        started = time.monotonic()
        self.process.signal_group(signal.SIGINT)  # fast shutdown: ends open sessions
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.process.wait(timeout=30)
        self.process.kill()
        self.process.start(timeout=30)
        return time.monotonic() - started


class SmtpSink:
    """An SMTP server in this process (aiosmtpd) that accepts and counts every message."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[bytes] = []
        self.recipients: Counter = Counter()
        self.lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(bytes(envelope.original_content))
            self.recipients.update(envelope.rcpt_tos)
        return "250 2.0.0 Message accepted"

    def __enter__(self):
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc):
        if self.controller is not None:
            self.controller.stop()

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


class Stack:
    """gunicorn, a Celery worker per queue and beat, configured as production is."""

    def __init__(self, workdir: Path, *, database_url: str, redis_url: str,
                 s3: MotoS3Server | None, bucket: str = "", smtp_port: int = 1,
                 web_workers: int = 2, web_port: int | None = None,
                 env: dict | None = None, worker_concurrency: dict | None = None):
        self.workdir = Path(workdir)
        self.web_port = web_port or free_port()
        self.env = self._environment(database_url, redis_url, s3, bucket, smtp_port, env or {})
        concurrency = {"render": 1, "deliver": 1, "default": 1, **(worker_concurrency or {})}
        python = sys.executable
        self.web = Process(
            "web",
            [python, "-m", "gunicorn", "bulletin.wsgi", "--workers", str(web_workers),
             "--bind", f"127.0.0.1:{self.web_port}", "--timeout", "60",
             "--access-logfile", "-", "--graceful-timeout", "5"],
            log_path=self.workdir / "web.log", env=self.env, ready=self._web_ready,
        )
        self.workers = {
            queue: Process(
                f"worker-{queue}",
                [python, "-m", "celery", "-A", "bulletin", "worker", "-Q", queue,
                 "--concurrency", str(concurrency[queue]), "--loglevel", "INFO",
                 "-n", f"{queue}-{self.web_port}@%h",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                log_path=self.workdir / f"worker-{queue}.log", env=self.env,
                ready=lambda process: " ready." in process.log(),
            )
            for queue in QUEUES
        }
        self.beat = Process(
            "beat",
            [python, "-m", "celery", "-A", "bulletin", "beat", "--loglevel", "INFO",
             "-s", str(self.workdir / "celerybeat-schedule")],
            log_path=self.workdir / "beat.log", env=self.env,
            ready=lambda process: "beat: Starting" in process.log(),
        )

    @property
    def processes(self) -> list[Process]:
        return [self.web, *self.workers.values(), self.beat]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _environment(self, database_url, redis_url, s3, bucket, smtp_port, extra) -> dict:
        env = dict(os.environ)
        for name in ("CELERY_BROKER_URL", "EMAIL_BACKEND", "MEDIA_ROOT", "DJANGO_SETTINGS_MODULE",
                     "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL"):
            env.pop(name, None)  # a test process's own choices must not leak into the stack
        env.update({
            "DJANGO_SETTINGS_MODULE": "bulletin.settings",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "0",
            "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{self.web_port}",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "WHITENOISE_USE_FINDERS": "1",  # no collectstatic for a throw-away stack
            "VAR_DIR": str(self.workdir / "var"),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "0",
        })
        if s3 is not None:
            env.update({
                "AWS_STORAGE_BUCKET_NAME": bucket, "AWS_S3_ENDPOINT_URL": s3.endpoint,
                "AWS_ACCESS_KEY_ID": S3_KEY, "AWS_SECRET_ACCESS_KEY": S3_KEY,
                "AWS_S3_REGION_NAME": "us-east-1",
            })
        else:  # the filesystem, in the stack's own folder
            env["MEDIA_ROOT"] = str(self.workdir / "media")
        env.update(extra)
        return env

    def _web_ready(self, _process) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + "/", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def start(self, timeout: float = 60) -> Stack:
        for process in self.processes:  # all launched at once: they import Django in parallel
            process.launch()
        for process in self.processes:
            process.wait_ready(timeout)
        return self

    def stop(self) -> None:
        for process in self.processes:
            process.signal_group(signal.SIGTERM)
        for process in self.processes:
            process.stop(timeout=10)

    def logs(self) -> str:
        return "\n".join(process.log_tail() for process in self.processes)

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    def manage(self, *args: str, timeout: float = 300) -> str:
        """``manage.py`` with the stack's environment (migrate, load_demo, …); its output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
            text=True, timeout=timeout, check=False,
        )
        if done.returncode:
            raise StackError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout
