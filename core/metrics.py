"""What Entitle counts for Prometheus (`prometheus_client`), and the `/metrics` page.

The families (README, "Health, metrics and logs"):
- `entitle_http_request_duration_seconds{view,method}` and
  `entitle_http_responses_total{view,method,status}`: every request
  (`core.middleware.RequestMiddleware`, two updates per request);
- `entitle_events_total{kind}`: each committed state change the outbox records
  (`events.services.record_event`): `code.redeemed` is the redemptions,
  `seat.assigned` the seat assignments, `coupon.applied`, `job.finished`…;
- `entitle_redemption_refusals_total{code}`: refused redemptions by refusal code (the
  domain's `not_found`, `expired`, `used_up`…, and `throttled` for the redeem throttle);
- `entitle_webhook_deliveries_total{result}`: each attempt (`succeeded`, `failed` and will be
  retried, `gave_up`);
- `entitle_job_duration_seconds{kind,status}`: each finished job, from start to end;
- `entitle_celery_queue_length{queue}`: messages waiting in the Redis broker, read when the
  page is scraped.

Counters move only after the transaction that made the change commits (`count_on_commit`),
so a rolled-back change is never counted; nothing here reads the database.

Several processes (gunicorn workers, Celery's prefork children) each count on their own; with
`PROMETHEUS_MULTIPROC_DIR` set (before start, to an empty directory every process of a
machine shares) prometheus_client's multiprocess mode adds them up at scrape time.
"""

from __future__ import annotations

import hmac
import os
from functools import partial, wraps

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from core.errors import DomainError

REQUEST_DURATION = Histogram(
    "entitle_http_request_duration_seconds", "Time to answer a request, by view.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
RESPONSES = Counter("entitle_http_responses", "Responses, by view and status.",
                    ["view", "method", "status"])
EVENTS = Counter("entitle_events", "Committed state changes (the outbox's events), by kind.",
                 ["kind"])
REDEMPTION_REFUSALS = Counter("entitle_redemption_refusals",
                              "Refused redemptions, by refusal code.", ["code"])
WEBHOOK_DELIVERIES = Counter("entitle_webhook_deliveries",
                             "Webhook delivery attempts, by result.", ["result"])
JOB_DURATION = Histogram(
    "entitle_job_duration_seconds", "Time from a job's start to its end, by kind and status.",
    ["kind", "status"], buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600))


def counts_refusals(counter: Counter, refusal: type[DomainError] = DomainError):
    """Decorate a service: each `refusal` it raises counts once under its code."""
    def decorate(service):
        @wraps(service)
        def counted(*args, **kwargs):
            try:
                return service(*args, **kwargs)
            except refusal as exc:
                counter.labels(exc.code).inc()
                raise
        return counted
    return decorate


def count_on_commit(counter_child) -> None:
    """Increment once the current transaction commits (at once outside one)."""
    transaction.on_commit(counter_child.inc)


def observe_on_commit(histogram_child, value: float) -> None:
    transaction.on_commit(partial(histogram_child.observe, value))


# --- queue depth -----------------------------------------------------------------------------

class QueueLengthCollector:
    """The Celery queues' lengths, asked of the Redis broker at scrape time (a short timeout;
    no sample when the broker does not answer: `/readyz` says why)."""

    def __init__(self, broker_url: str, queues: list[str]) -> None:
        self.broker_url, self.queues = broker_url, queues

    def collect(self):
        import redis

        family = GaugeMetricFamily("entitle_celery_queue_length",
                                   "Messages waiting in the broker, by Celery queue.",
                                   labels=["queue"])
        try:
            client = redis.Redis.from_url(self.broker_url, socket_timeout=0.5,
                                          socket_connect_timeout=0.5)
            with client.pipeline(transaction=False) as pipe:
                for queue in self.queues:
                    pipe.llen(queue)
                lengths = pipe.execute()
            client.close()
        except (redis.RedisError, OSError):
            return [family]
        for queue, length in zip(self.queues, lengths, strict=True):
            family.add_metric([queue], length)
        return [family]


def _queue_registry() -> CollectorRegistry | None:
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith(("redis://", "rediss://", "unix://")):
        return None
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueLengthCollector(broker, settings.METRICS_CELERY_QUEUES))
    return registry


def exposition() -> bytes:
    """Every metric in the text format: this process's (or, in multiprocess mode, every
    process's on this machine) and the queue lengths."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    queues = _queue_registry()
    return text + (generate_latest(queues) if queues is not None else b"")


def allowed(request) -> bool:
    """With `METRICS_TOKEN` set: only `Authorization: Bearer <token>`. Unset: only in DEBUG."""
    token = settings.METRICS_TOKEN
    if not token:
        return settings.DEBUG
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                             token.encode())


def metrics_view(request):
    """`GET /metrics`: the Prometheus text format, for a scraper holding the token."""
    if not allowed(request):
        response = HttpResponse("Metrics need the bearer token (METRICS_TOKEN).\n",
                                status=401 if settings.METRICS_TOKEN else 403,
                                content_type="text/plain; charset=utf-8")
        if settings.METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
