"""A real Celery worker (its own process, with the embedded beat for the sweep) against the
suite's own Redis database, and a real HTTP receiver on loopback, for the delivery tests.

The worker reads the test database (the tests that use it commit: `transactional_db`) and
runs with short retry delays, lease and sweep interval from the environment, so each test
takes seconds. `TEST_REDIS_URL` names the Redis database (flushed when a worker starts).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(8160, 8180)  # the loopback ports this project's tests may listen on
WORKER_ENV = {
    "WEBHOOK_RETRY_SCHEDULE": "1,1,1,1,1",
    "WEBHOOK_RETRY_JITTER": "0.1",
    "WEBHOOK_LEASE_SECONDS": "3",
    "WEBHOOK_SWEEP_SECONDS": "1",
    "WEBHOOK_TIMEOUT_SECONDS": "5",
    "WEBHOOKS_ALLOW_PRIVATE": "1",
}


def wait_for(predicate, what: str, timeout: float = 40):
    """Poll until `predicate()` is truthy (its value), or fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("No free port in 8160-8179 for the webhook receiver")


class Receiver:
    """An HTTP server on loopback that answers each POST with the next planned status
    (`"hold"`: wait until `release()`, then 200), and keeps every request it saw."""

    def __init__(self, port: int, plan: list[int | str] | None = None) -> None:
        self.port, self.plan, self.requests = port, list(plan or []), []
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.requests.append({"headers": headers, "body": body})
                    step = receiver.plan.pop(0) if receiver.plan else 200
                if step == "hold":
                    receiver.released.wait(30)
                    step = 200
                self.send_response(int(step))
                self.end_headers()
                self.wfile.write(json.dumps({"status": step}).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def release(self) -> None:
        self.released.set()

    def stop(self) -> None:
        self.released.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class Worker:
    """`celery -A config worker -B` in its own process group, on the test database."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path, self.process, self.log = tmp_path, None, None
        db = connection.settings_dict
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        self.env = {**os.environ, **WORKER_ENV,
                    "DJANGO_SETTINGS_MODULE": "tests.settings",
                    "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:"
                                    f"{db['PORT'] or 5432}/{db['NAME']}",
                    "TEST_REDIS_URL": settings.CELERY_BROKER_URL}

    def start(self) -> Worker:
        runs = len(list(self.tmp_path.glob("worker-*.log")))
        self.log = self.tmp_path / f"worker-{runs}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
             "--pool=threads", "--concurrency=2", "--loglevel=INFO", "--without-mingle",
             "--without-gossip", "-n", f"test-{os.getpid()}-{runs}@%h",
             "-s", str(self.tmp_path / f"beat-{runs}")],
            cwd=ROOT, env=self.env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_for(lambda: self.process.poll() is not None or b" ready." in self.log.read_bytes(),
                 "the Celery worker to start")
        assert self.process.poll() is None, self.log.read_text()[-3000:]
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: no cleanup, no acknowledgement."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


@pytest.fixture
def receiver():
    made = []

    def make(plan=None, *, port=None, start=True) -> Receiver:
        one = Receiver(port or free_port(), plan)
        made.append(one)
        return one.start() if start else one

    yield make
    for one in made:
        one.stop()


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A started worker (a fresh Redis database first); `worker.kill()`/`start()` restart."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database: PostgreSQL only")
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    one = Worker(tmp_path).start()
    yield one
    one.stop()
