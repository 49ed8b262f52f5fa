"""With a real Celery worker (its own process, the suite's Redis): `manage.py worker_health`
exits 0 when it answers and 1 when none does, and a task queued by a request logs JSON lines
carrying that request's id."""

from __future__ import annotations

import json

import pytest
import redis
from django.conf import settings
from django.core.management import CommandError, call_command

from bench.webhooks import CeleryWorker, Receiver, wait_for
from events.models import EventKind
from tests.events.conftest import worker_env
from tests.events.factories import WebhookEndpointFactory
from tests.redemptions.factories import CodeFactory

pytestmark = pytest.mark.postgres


@pytest.fixture
def logging_worker(transactional_db, tmp_path):
    """A worker whose INFO lines are written (JSON, as in production)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database: PostgreSQL only")
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    one = CeleryWorker({**worker_env(), "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"},
                       tmp_path, concurrency=1).start()
    yield one
    one.stop()


def json_lines(path) -> list[dict]:
    found = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def test_worker_health_exits_0_and_names_the_worker_that_answers(logging_worker, capsys):
    call_command("worker_health", "--timeout", "5")
    assert "1 worker(s) answered: bench-" in capsys.readouterr().out


def test_worker_health_exits_1_when_no_worker_answers(db):
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    with pytest.raises(CommandError, match="No answer from any worker"):
        call_command("worker_health", "--timeout", "0.5")


def test_a_task_queued_by_a_request_logs_with_that_requests_id(logging_worker, api,
                                                                 staff_user):
    hook = Receiver().start()
    WebhookEndpointFactory(url=hook.url, kinds=[EventKind.CODE_REDEEMED])
    code = CodeFactory()
    answer = api.post("/api/v1/redeem", {"code": code.code, "user": staff_user.email},
                      format="json", HTTP_X_REQUEST_ID="redeem-e2e-1")
    assert answer.status_code in (200, 201), answer.content
    try:
        line = wait_for(lambda: next((one for one in json_lines(logging_worker.log)
                                      if one.get("logger") == "events.services"), None),
                        "the worker's log line about the delivery")
    finally:
        hook.stop()
    assert line["request_id"] == "redeem-e2e-1"
    assert "succeeded" in line["message"]
