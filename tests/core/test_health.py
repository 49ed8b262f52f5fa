"""`/healthz` answers while the process lives; `/readyz` says whether PostgreSQL, the Redis
cache, the broker and the migrations are there, turning 503 the moment one stops (a scratch
`redis-server` and a scratch PostgreSQL cluster, stopped and started again) and 200 when it
is back."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time

import pytest
import redis
from django.db import connections
from django.test import override_settings

from bench.webhooks import free_port, wait_for
from core import health

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def ready(client):
    started = time.monotonic()
    response = client.get("/readyz")
    return response, time.monotonic() - started


# --- /healthz --------------------------------------------------------------------------------

def test_healthz_answers_ok_without_touching_the_database(client):
    response = client.get("/healthz")  # no `db`: a query would fail the test
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_needs_no_credentials_and_is_never_cached(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


# --- /readyz on the suite's own services -----------------------------------------------------

def test_readyz_is_200_and_names_every_check_when_all_answer(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "migrations"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_checks_the_redis_cache_only_when_one_is_configured(client, db, settings):
    settings.CACHES = {"default": {"BACKEND": REDIS_CACHE,
                                   "LOCATION": settings.CELERY_BROKER_URL}}
    assert "cache" in client.get("/readyz").json()["checks"]


# --- a scratch Redis, stopped and started ----------------------------------------------------

class ScratchRedis:
    def __init__(self, workdir: str) -> None:
        self.port, self.workdir, self.process = free_port(), workdir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> ScratchRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        wait_for(lambda: _answers(client), "the scratch redis-server to start", timeout=20)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _answers(client) -> bool:
    try:
        return client.ping()
    except redis.RedisError:
        return False


@pytest.fixture
def scratch_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    one = ScratchRedis(str(tmp_path)).start()
    yield one
    one.stop()


@pytest.mark.parametrize("check", ["cache", "broker"])
def test_readyz_turns_503_when_redis_stops_and_200_when_it_returns(
        client, db, settings, scratch_redis, check):
    if check == "cache":
        settings.CACHES = {"default": {"BACKEND": REDIS_CACHE, "LOCATION": scratch_redis.url}}
    else:
        settings.CELERY_BROKER_URL = scratch_redis.url
    assert client.get("/readyz").status_code == 200

    scratch_redis.stop()
    response, took = ready(client)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"][check]["ok"] is False
    assert body["checks"][check]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True
    assert took < 1  # the bound the probe relies on, not a speed figure

    scratch_redis.start()
    assert client.get("/readyz").status_code == 200


# --- a scratch PostgreSQL cluster, stopped and started ---------------------------------------

class ScratchPostgres:
    """A throwaway cluster in a temporary directory (`initdb` + `pg_ctl`, as the `postgres`
    user when run as root), trust authentication, on a free loopback port."""

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not binaries:
            pytest.skip("needs PostgreSQL's initdb")
        self.bin = os.path.dirname(binaries[-1])
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix="entitle-scratch-pg-")
        self.data = os.path.join(self.root, "data")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._as_owner([f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U", "root",
                        "--no-sync"])

    def _as_owner(self, command: list[str], *, check: bool = True) -> None:
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=check, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)

    def start(self) -> None:
        self._as_owner([f"{self.bin}/pg_ctl", "-D", self.data, "-w", "-l",
                        os.path.join(self.root, "log"), "-o",
                        f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off", "start"])

    def stop(self) -> None:
        self._as_owner([f"{self.bin}/pg_ctl", "-D", self.data, "-w", "-m", "fast", "stop"])

    def remove(self) -> None:
        self._as_owner([f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "stop"],
                       check=False)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def scratch_postgres(db, monkeypatch):
    """The scratch cluster as the connection `/readyz` checks."""
    cluster = ScratchPostgres()
    cluster.start()
    scratch = connections["default"].__class__(
        {**connections.settings["default"], "NAME": "postgres", "HOST": "127.0.0.1",
         "PORT": str(cluster.port), "USER": "root", "PASSWORD": "", "CONN_MAX_AGE": 60},
        alias="scratch")
    monkeypatch.setattr(health, "database", lambda: scratch)
    yield cluster
    scratch.close()
    cluster.remove()


@pytest.mark.postgres
def test_readyz_turns_503_when_postgresql_stops_and_200_when_it_returns(
        client, scratch_postgres, monkeypatch):
    # The scratch cluster holds no schema: this test is about reaching PostgreSQL.
    monkeypatch.setattr(health, "_migrations_applied", True)
    assert client.get("/readyz").status_code == 200  # and it holds a connection now

    scratch_postgres.stop()
    response, took = ready(client)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": False, "error": "OperationalError",
                                  "ms": checks["database"]["ms"]}
    assert checks["migrations"]["ok"] is False
    assert took < 1
    assert client.get("/readyz").status_code == 503  # a fresh connection is refused too

    scratch_postgres.start()
    assert client.get("/readyz").status_code == 200


@pytest.mark.postgres
def test_readyz_names_the_migrations_not_applied(client, scratch_postgres, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    response = client.get("/readyz")
    assert response.status_code == 503
    migrations = response.json()["checks"]["migrations"]
    assert migrations["ok"] is False
    assert "not applied: accounts.0" in migrations["error"]


@override_settings(SECURE_SSL_REDIRECT=True)
def test_probes_and_the_scraper_over_plain_http_are_not_sent_to_https(client, db):
    assert client.get("/").status_code == 301
    assert [client.get(path).status_code for path in ("/healthz", "/readyz", "/metrics")] \
        == [200, 200, 403]


def test_a_failing_probe_is_logged_as_a_warning_not_mailed_as_an_error(client, db, settings,
                                                                        mailoutbox):
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens
    assert client.get("/readyz").status_code == 503
    assert mailoutbox == []
