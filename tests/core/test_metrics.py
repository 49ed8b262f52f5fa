"""Prometheus at `/metrics`: refused without the token (or outside DEBUG with none set), and
each family counted where the change happens — request latency by view, redemptions and
refusals by code, seat assignments, webhook deliveries, job durations — only once the change
commits; queue depth read from the broker."""

from __future__ import annotations

import pytest
import redis
from django.db import transaction
from prometheus_client import REGISTRY

from bench.webhooks import Receiver, free_port
from core.metrics import exposition
from events.models import Delivery, EventKind
from events.services import attempt_delivery, fan_out, record_event, send_due
from jobs.models import JobStatus
from jobs.services import finish
from licensing.services import assign_seat
from redemptions import services
from redemptions.errors import CodeNotFound, CodeUsedUp
from tests.events.factories import WebhookEndpointFactory
from tests.factories import UserFactory
from tests.jobs.factories import JobFactory
from tests.licensing.factories import LicenseFactory
from tests.redemptions.factories import CodeFactory

TOKEN = "scrape-token-for-tests"


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


# --- who may scrape --------------------------------------------------------------------------

def test_metrics_without_a_token_configured_are_refused_outside_debug(client, settings):
    settings.METRICS_TOKEN, settings.DEBUG = "", False
    assert client.get("/metrics").status_code == 403


def test_metrics_without_a_token_configured_are_open_in_debug(client, settings):
    settings.METRICS_TOKEN, settings.DEBUG = "", True
    assert client.get("/metrics").status_code == 200


def test_metrics_refuse_a_missing_or_wrong_bearer_token(client, token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {token}").status_code == 401


def test_metrics_answer_the_text_format_to_the_bearer_of_the_token(client, token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"# TYPE entitle_http_request_duration_seconds histogram" in response.content


# --- requests --------------------------------------------------------------------------------

def test_each_request_is_timed_under_its_view_and_counted_under_its_status(client):
    before = sample("entitle_http_request_duration_seconds_count", view="healthz",
                    method="GET")
    answered = sample("entitle_http_responses_total", view="healthz", method="GET",
                      status="200")
    client.get("/healthz")
    assert sample("entitle_http_request_duration_seconds_count", view="healthz",
                  method="GET") == before + 1
    assert sample("entitle_http_responses_total", view="healthz", method="GET",
                  status="200") == answered + 1


def test_an_unknown_path_is_counted_under_one_label_not_its_own(client, db):
    before = sample("entitle_http_responses_total", view="<unresolved>", method="GET",
                    status="404")
    client.get("/no-such-page-a1b2c3/")
    assert sample("entitle_http_responses_total", view="<unresolved>", method="GET",
                  status="404") == before + 1


# --- the domain ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_redemption_is_counted_once_it_commits(django_capture_on_commit_callbacks):
    before = sample("entitle_events_total", kind=EventKind.CODE_REDEEMED)
    with django_capture_on_commit_callbacks(execute=True):
        services.redeem(CodeFactory().code, UserFactory())
    assert sample("entitle_events_total", kind=EventKind.CODE_REDEEMED) == before + 1


@pytest.mark.django_db(transaction=True)
def test_a_redemption_rolled_back_with_its_transaction_is_not_counted():
    before = sample("entitle_events_total", kind=EventKind.CODE_REDEEMED)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.redeem(CodeFactory().code, UserFactory())
        raise RuntimeError("the caller's transaction fails")
    assert sample("entitle_events_total", kind=EventKind.CODE_REDEEMED) == before


@pytest.mark.django_db
def test_refusals_are_counted_by_their_code():
    used = CodeFactory(max_redemptions=1)
    services.redeem(used.code, UserFactory())
    unknown = sample("entitle_redemption_refusals_total", code="not_found")
    used_up = sample("entitle_redemption_refusals_total", code="used_up")
    with pytest.raises(CodeNotFound):
        services.redeem("NOSUCHCODE99", UserFactory())
    with pytest.raises(CodeUsedUp):
        services.redeem(used.code, UserFactory())
    assert sample("entitle_redemption_refusals_total", code="not_found") == unknown + 1
    assert sample("entitle_redemption_refusals_total", code="used_up") == used_up + 1


@pytest.mark.django_db
def test_attempts_the_redeem_throttle_refuses_are_counted_as_throttled(settings, learner):
    from rest_framework.test import APIClient

    settings.REDEEM_FAILURES_PER_LEARNER = 1
    client = APIClient()
    client.force_authenticate(learner)
    before = sample("entitle_redemption_refusals_total", code="throttled")
    client.post("/api/v1/redeem", {"code": "NOSUCHCODE99"}, format="json")
    answer = client.post("/api/v1/redeem", {"code": "NOSUCHCODE98"}, format="json")
    assert answer.status_code == 429
    assert sample("entitle_redemption_refusals_total", code="throttled") == before + 1


@pytest.mark.django_db
def test_a_seat_assignment_is_counted_once_it_commits(django_capture_on_commit_callbacks):
    before = sample("entitle_events_total", kind=EventKind.SEAT_ASSIGNED)
    with django_capture_on_commit_callbacks(execute=True):
        assign_seat(license=LicenseFactory(seats_limit=5), user=UserFactory())
    assert sample("entitle_events_total", kind=EventKind.SEAT_ASSIGNED) == before + 1


def _delivery_to(url: str) -> Delivery:
    endpoint = WebhookEndpointFactory(url=url, kinds=[EventKind.CODE_REDEEMED])
    record_event(EventKind.CODE_REDEEMED, endpoint, data={})
    fan_out()  # the worker's part: the delivery
    return Delivery.objects.get(endpoint=endpoint)


@pytest.mark.django_db
def test_webhook_deliveries_are_counted_by_result(django_capture_on_commit_callbacks):
    receiver = Receiver().start()
    try:
        delivered = _delivery_to(receiver.url)
        refused = _delivery_to(f"http://127.0.0.1:{free_port()}/hook")  # nothing listens
        succeeded = sample("entitle_webhook_deliveries_total", result="succeeded")
        failed = sample("entitle_webhook_deliveries_total", result="failed")
        with django_capture_on_commit_callbacks(execute=True):
            attempt_delivery(delivered.pk)
            attempt_delivery(refused.pk)  # its retry is queued to the suite's broker
    finally:
        receiver.stop()
    assert sample("entitle_webhook_deliveries_total", result="succeeded") == succeeded + 1
    assert sample("entitle_webhook_deliveries_total", result="failed") == failed + 1


@pytest.mark.django_db
def test_a_finished_job_is_timed_by_kind_and_status(django_capture_on_commit_callbacks):
    job = JobFactory()
    labels = {"kind": job.kind, "status": JobStatus.SUCCEEDED}
    before = sample("entitle_job_duration_seconds_count", **labels)
    with django_capture_on_commit_callbacks(execute=True):
        finish(job, JobStatus.SUCCEEDED, result={})
    assert sample("entitle_job_duration_seconds_count", **labels) == before + 1


# --- the queue -------------------------------------------------------------------------------

def test_queue_depth_is_the_length_of_the_celery_queue_in_the_broker(settings):
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    broker.rpush("celery", "a", "b", "c")
    try:
        assert b'entitle_celery_queue_length{queue="celery"} 3.0' in exposition()
    finally:
        broker.flushdb()


def test_no_queue_depth_when_the_broker_does_not_answer(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    text = exposition()
    assert b"# TYPE entitle_celery_queue_length gauge" in text
    assert b"entitle_celery_queue_length{" not in text


@pytest.mark.django_db
def test_a_drain_counts_each_delivery_of_a_batch(django_capture_on_commit_callbacks):
    receiver = Receiver().start()
    try:
        endpoint = WebhookEndpointFactory(url=receiver.url, kinds=[EventKind.CODE_REDEEMED])
        for _ in range(3):
            record_event(EventKind.CODE_REDEEMED, endpoint, data={})
        succeeded = sample("entitle_webhook_deliveries_total", result="succeeded")
        with django_capture_on_commit_callbacks(execute=True):
            assert send_due() == 3
    finally:
        receiver.stop()
    assert sample("entitle_webhook_deliveries_total", result="succeeded") == succeeded + 3
