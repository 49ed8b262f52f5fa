"""Helpers every benchmark shares: a dedicated PostgreSQL database, an API key, gunicorn on
loopback, and timed HTTP requests. Standard library only (plus the project's own venv).

    from bench.common import BenchServer, timed_request, median_of

    with BenchServer(database="entitle_bench", port=8311) as server:
        key = server.api_key()
        status, body, seconds = timed_request(server.url("/api/v1/catalog-items"), key=key)

The database is dropped and recreated (then migrated) for each run, so figures never depend
on what an earlier run left behind; the server is stopped by its own pid at the end.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
DEFAULT_SERVER = os.environ.get("BENCH_POSTGRES", "postgres://root@127.0.0.1:5432")
RESULTS = ROOT / "bench" / "results"


def django_env(database_url: str) -> dict[str, str]:
    """A production-like environment (DEBUG off) that serves plain HTTP on loopback."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore:No directory at",
    }


def manage(env: dict[str, str], *args: str) -> str:
    """Run `manage.py` with `args`; its standard output."""
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout


def recreate_database(name: str, server: str = DEFAULT_SERVER) -> str:
    """Drop and create database `name` on `server`, migrate it; its DATABASE_URL."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    manage(django_env(url), "migrate", "--noinput", "-v0")
    return url


def http(method: str, url: str, *, key: str | None = None, body: object = None,
         timeout: float = 120) -> tuple[int, object]:
    """(status, parsed JSON or text) of one request."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def timed_request(method: str, url: str, **kwargs) -> tuple[int, object, float]:
    """(status, body, wall seconds) of one request."""
    started = time.perf_counter()
    status, body = http(method, url, **kwargs)
    return status, body, time.perf_counter() - started


def median_of(runs: int, measure: Callable[[int], float]) -> dict:
    """Call `measure(i)` `runs` times; the median, min and max of what it returns."""
    samples = [measure(i) for i in range(runs)]
    return {"runs": runs, "median": statistics.median(samples), "min": min(samples),
            "max": max(samples), "samples": samples}


class BenchServer:
    """gunicorn serving Entitle on 127.0.0.1:`port` against a fresh database `database`."""

    def __init__(self, *, database: str = "entitle_bench", port: int = 8311,
                 workers: int = 2, server: str = DEFAULT_SERVER):
        self.database, self.port, self.workers, self.server = database, port, workers, server
        self.process: subprocess.Popen | None = None
        self.env: dict[str, str] = {}

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def api_key(self, name: str = "bench") -> str:
        """A fresh API key (the last token `create_api_key` prints)."""
        return manage(self.env, "create_api_key", name).split()[-1]

    def __enter__(self) -> BenchServer:
        database_url = recreate_database(self.database, self.server)
        self.env = django_env(database_url)
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--worker-class", "sync", "--timeout", "120",
             "--log-level", "warning"],
            cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                http("GET", self.url("/api/schema/"), timeout=5)
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("gunicorn exited while starting") from None
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not answer on port {self.port} within 30 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # our own session: gunicorn + workers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def save_result(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
