"""Structured logs: one JSON line per request with its id (answered in `X-Request-ID`, a sane
incoming one kept), carried into the Celery tasks the request queues; credentials in query
strings (`api_key`, `authCode`, `access_token`, `password`…) and codes in paths are masked in
the access log and in error reports (issue 14, finding 10)."""

from __future__ import annotations

import json
import logging
import re
import threading

import pytest
from celery import signals
from django.core import mail
from django.test import override_settings
from django.urls import path

from config import urls as site_urls
from core import logs
from core.logs import MASK, JsonFormatter, masked_query

SECRETS = {"api_key": "k3y-S3CRET-1", "authCode": "AUTH-S3CRET-2",
           "access_token": "TOK-S3CRET-3", "password": "PASS-S3CRET-4"}
QUERY = "&".join(f"{name}={value}" for name, value in SECRETS.items()) + "&page=2"


@pytest.fixture
def access_log(caplog):
    caplog.set_level(logging.INFO, logger="entitle.request")
    return lambda: [r for r in caplog.records if r.name == "entitle.request"]


def as_json(record) -> dict:
    logs.RequestIdFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


# --- one line per request --------------------------------------------------------------------

def test_each_request_writes_one_json_line_with_what_happened(client, access_log):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="probe-42")
    [record] = access_log()
    line = as_json(record)
    assert {k: line[k] for k in ("logger", "method", "path", "status", "view",
                                 "request_id")} == {
        "logger": "entitle.request", "method": "GET", "path": "/healthz", "status": 200,
        "view": "healthz", "request_id": "probe-42"}
    assert isinstance(line["duration_ms"], float)
    assert response["X-Request-ID"] == "probe-42"


def test_a_request_without_an_id_gets_a_new_one_in_the_answer_and_the_log(client, access_log):
    response = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert as_json(access_log()[0])["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize("incoming", ["x" * 129, "two words", "line\nbreak", "-leading",
                                      "<script>"])
def test_an_insane_incoming_request_id_is_replaced(client, incoming):
    answered = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
    assert answered != incoming and re.fullmatch(r"[0-9a-f]{32}", answered)


def test_log_lines_written_during_a_request_carry_its_id(client, caplog, db):
    caplog.set_level(logging.WARNING, logger="core.health")
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:9/0"):  # refused: a warning
        client.get("/readyz", HTTP_X_REQUEST_ID="ready-7")
    [warning] = [r for r in caplog.records if r.name == "core.health"]
    assert as_json(warning)["request_id"] == "ready-7"


# --- credentials and codes masked (issue 14, finding 10) -------------------------------------

def test_credentials_in_the_query_string_are_masked_in_the_access_log(client, access_log, db):
    client.get(f"/api/v1/codes?{QUERY}")
    line = JsonFormatter().format(access_log()[0])
    for name, secret in SECRETS.items():
        assert secret not in line
        assert f"{name}={MASK}" in json.loads(line)["path"]
    assert "page=2" in line


def test_a_code_in_the_path_is_masked_in_the_access_log(api, access_log):
    api.get("/api/v1/coupons/SUMMERSALE2027/")
    line = JsonFormatter().format(access_log()[0])
    assert "SUMMERSALE2027" not in line
    assert json.loads(line)["path"] == f"/api/v1/coupons/{MASK}/"


def test_ids_in_the_path_are_kept_in_the_access_log(api, access_log):
    api.get("/api/v1/coupons/1b4e28ba-2fa1-11d2-883f-0016e6f2d3c1/")
    assert json.loads(JsonFormatter().format(access_log()[0]))["path"] \
        == "/api/v1/coupons/1b4e28ba-2fa1-11d2-883f-0016e6f2d3c1/"


def test_a_query_string_with_nothing_secret_is_logged_as_sent():
    assert masked_query("page=2&ordering=-created_at") == "page=2&ordering=-created_at"


def test_names_that_hold_credentials_are_masked_whatever_their_case():
    assert masked_query("API_KEY=a&AuthCode=b&client_secret=c&redemptionCode=d") == (
        f"API_KEY={MASK}&AuthCode={MASK}&client_secret={MASK}&redemptionCode={MASK}")


def crash(request):
    api_key = request.GET.get("api_key")  # a local variable named like a credential
    raise RuntimeError(f"boom ({len(api_key or '')})")


urlpatterns = [path("crash/", crash), *site_urls.urlpatterns]
handler500 = site_urls.handler500


@override_settings(ROOT_URLCONF=__name__, ADMINS=[("Ops", "ops@example.com")], DEBUG=False)
def test_credentials_in_the_query_string_are_masked_in_the_error_report(db):
    from django.test import Client

    response = Client(raise_request_exception=False).get(
        f"/crash/?{QUERY}", HTTP_REFERER=f"https://example.com/page?{QUERY}")
    assert response.status_code == 500
    [report] = mail.outbox
    html = report.alternatives[0][0] if report.alternatives else ""
    for secret in SECRETS.values():
        assert secret not in report.body
        assert secret not in html
    assert f"api_key={MASK}" in report.body  # the request URL, masked, not left out


# --- into Celery tasks -----------------------------------------------------------------------

def test_a_task_queued_during_a_request_carries_its_id_in_a_header():
    headers = {}
    token = logs.request_id.set("req-9")
    try:
        signals.before_task_publish.send(sender="events.send_delivery", headers=headers,
                                         body=((), {}, {}))
    finally:
        logs.request_id.reset(token)
    assert headers["request_id"] == "req-9"


def test_a_task_logs_with_the_id_it_was_queued_with_and_forgets_it_after():
    from events.tasks import send_due as task

    task.push_request(request_id="req-10")
    try:
        signals.task_prerun.send(sender=task, task_id="t1", task=task, args=(), kwargs={})
        during = logs.request_id.get()
        signals.task_postrun.send(sender=task, task_id="t1", task=task, args=(), kwargs={},
                                  retval=None, state="SUCCESS")
    finally:
        task.pop_request()
    assert (during, logs.request_id.get()) == ("req-10", "")


def test_without_a_broker_a_delivery_sent_from_a_thread_carries_the_request_id(
        settings, monkeypatch):
    from events import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = True
    seen = []
    done = threading.Event()
    monkeypatch.setattr(tasks.services, "send_due",
                        lambda: (seen.append(logs.request_id.get()), done.set()))
    token = logs.request_id.set("req-11")
    try:
        tasks.drain_later()  # the thread that drains the outbox, deliveries sent there
    finally:
        logs.request_id.reset(token)
    assert done.wait(10)
    assert seen == ["req-11"]
