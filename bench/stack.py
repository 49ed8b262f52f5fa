"""Entitle as production runs it, on loopback: a scratch database, manage.py, gunicorn.

Shared by the benchmarks (`bench/run.py`) and the CI fuzz run (`tests/fuzz/run_schemathesis.py`):

    db = scratch_database(os.environ["DATABASE_URL"], "entitle_bench")   # dropped and recreated
    env = server_env(db.url)                      # settings come from the environment only
    manage(env, "migrate", "--noinput")
    with Gunicorn(env, workers=4) as server:      # a free port on 127.0.0.1
        ...server.url("/api/v1/access")...
    db.drop()

Every process runs the interpreter this one runs (the project's venv) from the project root.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
POSTGRES_SCHEMES = ("postgres://", "postgresql://")


def port_range(default: str | None = None) -> range | None:
    """BENCH_PORTS=first-last (for a machine whose engineers share out the ports), else
    `default` ("first-last"), else None (any port)."""
    text = os.environ.get("BENCH_PORTS") or default
    if not text:
        return None
    first, last = map(int, text.split("-"))
    return range(first, last + 1)


def free_port(ports: range | None = None) -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now: within `ports` (or
    BENCH_PORTS) when given, else any."""
    ports = ports or port_range()
    for port in ports or ():
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    if ports:
        raise RuntimeError(f"No free port in {ports.start}-{ports.stop - 1}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int, ports: range | None = None) -> list[int]:
    """`count` distinct free ports (as `free_port`), for servers started side by side."""
    chosen: list[int] = []
    for _ in range(count):
        rest = ports or port_range() or range(20000, 30000)
        chosen.append(free_port(range(max(rest.start, chosen[-1] + 1 if chosen else 0),
                                      rest.stop)))
    return chosen


def _admin_connect(url: str):
    """A psycopg connection to the `postgres` database of the server `url` names."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    return psycopg.connect(
        host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True, connect_timeout=5,
    )


@dataclass
class ScratchDatabase:
    """A database made for one run; `drop()` removes it (PostgreSQL) or its file (SQLite)."""

    url: str
    name: str
    server_url: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.server_url is not None

    def drop(self) -> None:
        if self.server_url is None:
            Path(self.name).unlink(missing_ok=True)
            return
        with _admin_connect(self.server_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def scratch_database(server_url: str, name: str) -> ScratchDatabase:
    """An empty database `name` on the PostgreSQL server of `server_url`, made afresh.

    Any database of that name is dropped first. When `server_url` is not PostgreSQL, a new
    SQLite file in the temporary directory stands in.
    """
    if not server_url.startswith(POSTGRES_SCHEMES):
        fd, path = tempfile.mkstemp(prefix=f"{name}-", suffix=".sqlite3")
        os.close(fd)
        Path(path).unlink()
        return ScratchDatabase(url=f"sqlite:///{path}", name=path)
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {name!r}")
    with _admin_connect(server_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = server_url.rpartition("/")
    return ScratchDatabase(url=f"{base}/{name}", name=name, server_url=server_url)


def database_name(url: str) -> str:
    """The database part of a PostgreSQL URL (`entitle` for …:5432/entitle?x=y)."""
    return url.rpartition("/")[2].partition("?")[0] or "entitle"


def server_env(database_url: str, *, settings: str = "config.settings", **extra: str) -> dict:
    """The environment of a production-like server on loopback (DEBUG off, no HTTPS)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "loopback-only-key-for-bench-and-fuzz-runs",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "PYTHONPATH": str(ROOT),
    }
    env.update(extra)
    return env


def manage(env: dict, *args: str) -> str:
    """Run `manage.py <args>` in `env`; its standard output (raises with stderr on failure)."""
    return _run([PYTHON, "manage.py", *args], env)


def run_json(env: dict, module: str, *args: str) -> dict:
    """Run `python -m module args` in `env` and parse the JSON object on its last line."""
    out = _run([PYTHON, "-m", module, *args], env)
    return json.loads(out.strip().splitlines()[-1])


def _run(argv: list[str], env: dict) -> str:
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:])} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return done.stdout


class Gunicorn:
    """`gunicorn config.wsgi` with sync workers on 127.0.0.1 (a free port), as a context.

    The server's output goes to `log_path` (a temporary file unless given); `log_tail()`
    reads it back, e.g. to show the traceback behind a 500.
    """

    def __init__(self, env: dict, *, workers: int = 4, port: int | None = None,
                 log_path: Path | None = None, ready_timeout: float = 60.0):
        self.env = env
        self.workers = workers
        self.port = port or free_port()
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        argv = [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.workers), "--worker-class", "sync",
                "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n"
                                   f"{self.log_tail()}")
            try:
                urllib.request.urlopen(self.url("/api/schema/"), timeout=5).close()
                return
            except urllib.error.HTTPError:
                return  # it answered: up
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {self.ready_timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""
