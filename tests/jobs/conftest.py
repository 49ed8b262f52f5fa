"""A real Celery worker for the jobs tests (the events tests' worker, `tests.events.conftest`),
with small chunks, a pause after each (so a test can kill it mid-job) and a short stale time
and sweep interval, so a killed worker's job is picked up within seconds."""

import pytest
import redis
from django.conf import settings
from django.db import connection

from bench.webhooks import CeleryWorker
from tests.events.conftest import worker_env

JOB_ENV = {
    "JOB_CHUNK_SIZE": "50",
    "JOB_CHUNK_PAUSE_SECONDS": "0.1",
    "JOB_STALE_SECONDS": "2",
    "JOB_SWEEP_SECONDS": "1",
}


@pytest.fixture
def jobs_worker(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database: PostgreSQL only")
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    one = CeleryWorker({**worker_env(), **JOB_ENV}, tmp_path, concurrency=1).start()
    yield one
    one.stop()
