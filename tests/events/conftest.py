"""A real Celery worker (its own process, with the embedded beat for the sweep) against the
suite's own Redis database, and a real HTTP receiver on loopback, for the delivery tests
(both from `bench.webhooks`, which the webhook bench row uses too).

The worker reads the test database (the tests that use it commit: `transactional_db`) and
runs with short retry delays, lease and sweep interval from the environment, so each test
takes seconds. `TEST_REDIS_URL` names the Redis database (flushed when a worker starts).
"""

from __future__ import annotations

import os

import pytest
import redis
from django.conf import settings
from django.db import connection

from bench.webhooks import CeleryWorker, Receiver

WORKER_ENV = {
    "WEBHOOK_RETRY_SCHEDULE": "1,1,1,1,1",
    "WEBHOOK_RETRY_JITTER": "0.1",
    "WEBHOOK_LEASE_SECONDS": "3",
    "WEBHOOK_SWEEP_SECONDS": "1",
    "WEBHOOK_TIMEOUT_SECONDS": "5",
    "WEBHOOKS_ALLOW_PRIVATE": "1",
}


def worker_env() -> dict:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return {**os.environ, **WORKER_ENV, "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:"
                            f"{db['PORT'] or 5432}/{db['NAME']}",
            "TEST_REDIS_URL": settings.CELERY_BROKER_URL}


@pytest.fixture
def receiver():
    """`receiver(plan, start=True)`: a receiver on a free loopback port (stopped after)."""
    made = []

    def make(plan=None, *, start=True) -> Receiver:
        one = Receiver(plan=plan)
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
    one = CeleryWorker(worker_env(), tmp_path).start()
    yield one
    one.stop()

