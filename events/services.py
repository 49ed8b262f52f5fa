"""The outbox and webhook delivery.

`record_event` is called by every state change inside its own transaction: the Event row and
one Delivery per subscribed endpoint commit with the change or not at all, and only after
commit are the deliveries handed to the workers (`transaction.on_commit`). The Delivery rows
are the truth; Celery messages are only a nudge, and the periodic sweep (`send_due`) sends
whatever is due and was not sent (a lost message, a dead worker, a broker that was down).

Sending (`attempt_delivery`) signs the event per Standard Webhooks (the `standardwebhooks`
library), posts it with a timeout, records the attempt, and on failure schedules the next try
on the Standard Webhooks schedule with jitter (`WEBHOOK_RETRY_SCHEDULE`); after the last it is
failed. An endpoint whose attempts have all failed for `WEBHOOK_DEACTIVATE_AFTER_SECONDS` is
deactivated, with the reason. Lock order: an endpoint, then its deliveries.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import datetime as dt
import json
import logging
import random
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from core.errors import DomainError
from core.metrics import EVENTS, WEBHOOK_DELIVERIES, count_on_commit
from events.errors import DeliveryNotRetryable
from events.models import Delivery, DeliveryAttempt, DeliveryStatus, Event, WebhookEndpoint
from events.selectors import active_endpoints, event_body
from events.validators import check_webhook_url, clean_kinds

logger = logging.getLogger(__name__)
EXCERPT = 300


# --- the outbox ------------------------------------------------------------------------------

# The events a `batched_events()` block records, written when it ends (None: no block).
_batch: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar(
    "events_batch", default=None)


def record_event(kind: str, obj: models.Model, *, data: dict, user=None,
                 group_id: object = None, at: dt.datetime | None = None) -> Event:
    """Write the event of a state change about `obj`, in the caller's transaction, with a
    delivery for each active endpoint that wants `kind`; they are sent after commit.
    Inside `batched_events()` the row is written (and its id set) when the block ends."""
    event = Event(
        kind=kind, occurred_at=at or timezone.now(), user=user,
        object_type=obj._meta.model_name, object_id=str(obj.pk), group_id=group_id,
        data=data)
    count_on_commit(EVENTS.labels(kind))
    pending = _batch.get()
    if pending is not None:
        pending.append(event)
    else:
        _write_events([event])
    return event


@contextlib.contextmanager
def batched_events():
    """Record the events of one state change together: one INSERT of every event, one read
    of the endpoints and one INSERT of their deliveries when the block ends, inside the
    caller's transaction (enter it within `transaction.atomic()`). Nothing is written when
    the block raises: the transaction rolls back anyway."""
    if _batch.get() is not None:  # already batching: the outer block writes them
        yield
        return
    token = _batch.set([])
    try:
        yield
        pending = _batch.get()
    finally:
        _batch.reset(token)
    if pending:
        _write_events(pending)


def _write_events(events: list[Event]) -> None:
    if len(events) == 1:
        events[0].save(force_insert=True)
    else:
        Event.objects.bulk_create(events)
    endpoints: list[WebhookEndpoint] | None = None
    deliveries = []
    for event in events:
        if endpoints is None:
            endpoints = list(active_endpoints())
        deliveries += [Delivery(endpoint=endpoint, event=event,
                                next_attempt_at=event.occurred_at)
                       for endpoint in endpoints if endpoint.wants(event.kind)]
    if deliveries:
        made = Delivery.objects.bulk_create(deliveries)
        ids = [delivery.pk for delivery in made]
        transaction.on_commit(lambda: _send_later(ids))


def _send_later(ids: list[int], countdown: float = 0) -> None:
    from events.tasks import enqueue_deliveries  # tasks import this module

    enqueue_deliveries(ids, countdown=countdown)


# --- endpoints -------------------------------------------------------------------------------

def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@transaction.atomic
def create_endpoint(*, url: str, kinds: Iterable[str] | None = None, is_active: bool = True,
                    description: str = "") -> WebhookEndpoint:
    """A new endpoint with a fresh secret (the caller shows it once)."""
    return WebhookEndpoint.objects.create(
        url=check_webhook_url(url), kinds=clean_kinds(kinds), is_active=is_active,
        description=description[:200], secret=new_secret())


@transaction.atomic
def update_endpoint(endpoint: WebhookEndpoint, **changes: object) -> WebhookEndpoint:
    """Change url, kinds, description or is_active; turning an endpoint back on clears the
    reason it was switched off and its failing streak."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if "url" in changes:
        locked.url = check_webhook_url(str(changes["url"]))
    if "kinds" in changes:
        locked.kinds = clean_kinds(changes["kinds"])
    if "description" in changes:
        locked.description = str(changes["description"] or "")[:200]
    if "is_active" in changes:
        active = bool(changes["is_active"])
        if active and not locked.is_active:
            locked.deactivated_at, locked.deactivated_reason = None, ""
            locked.failing_since = None
        locked.is_active = active
    locked.save()
    return locked


@transaction.atomic
def rotate_secret(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret; deliveries from now on are signed with it (the caller shows it once)."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    locked.secret = new_secret()
    locked.save(update_fields=["secret", "updated_at"])
    return locked


# --- retries by staff -------------------------------------------------------------------------

@transaction.atomic
def retry_delivery(delivery: Delivery) -> Delivery:
    """Try a failed delivery again now (a pending one: now rather than at its next try)."""
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.status == DeliveryStatus.SUCCEEDED:
        raise DeliveryNotRetryable()
    _mark_for_retry(Delivery.objects.filter(pk=locked.pk))
    locked.refresh_from_db()
    return locked


@transaction.atomic
def retry_failed(endpoint: WebhookEndpoint) -> int:
    """Try every failed delivery of `endpoint` again now; how many."""
    return _mark_for_retry(Delivery.objects.filter(endpoint=endpoint,
                                                   status=DeliveryStatus.FAILED))


def _mark_for_retry(deliveries) -> int:
    ids = list(deliveries.select_for_update().order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    Delivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, leased_until=None, updated_at=now)
    if ids:
        transaction.on_commit(lambda: _send_later(ids))
    return len(ids)


# --- sending ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    code: int | None
    excerpt: str
    latency_ms: int

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (a failure), never followed: it could lead past the guard."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    started = time.monotonic()
    try:
        check_webhook_url(url)  # again: DNS may have changed since the endpoint was saved
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        with _OPENER.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            code, text = response.status, response.read(EXCERPT)
    except urllib.error.HTTPError as answer:
        code, text = answer.code, answer.read(EXCERPT)
    except DomainError as refusal:
        code, text = None, refusal.message.encode()
    except (OSError, ValueError) as exc:  # refused, reset, timed out, unreachable
        code, text = None, f"{type(exc).__name__}: {exc}".encode()
    latency = int((time.monotonic() - started) * 1000)
    return Answer(code, text.decode("utf-8", "replace")[:EXCERPT], latency)


def signed_request(delivery: Delivery, at: dt.datetime) -> tuple[bytes, dict[str, str]]:
    """The body and Standard Webhooks headers of one attempt (signed with the secret the
    endpoint has now)."""
    body = json.dumps(event_body(delivery.event), separators=(",", ":")).encode()
    signature = Webhook(delivery.endpoint.secret).sign(delivery.webhook_id, at, body)
    return body, {
        "content-type": "application/json", "user-agent": "Entitle-Webhooks/1",
        "webhook-id": delivery.webhook_id, "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def _take_lease(delivery_id: int, now: dt.datetime) -> bool:
    """Claim a due delivery for one send; False if it is not due, done or held elsewhere."""
    lease = dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    return Delivery.objects.due(now).filter(pk=delivery_id).update(leased_until=now + lease) == 1


def next_delay(attempts: int) -> float | None:
    """Seconds until the try after `attempts` failed ones (with jitter); None: no more."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    jitter = settings.WEBHOOK_RETRY_JITTER
    return schedule[attempts - 1] * random.uniform(1 - jitter, 1 + jitter)


def attempt_delivery(delivery_id: int) -> Delivery | None:
    """Send one due delivery once and record how it went; None when it was not ours to
    send (not due, already done, or being sent by another worker)."""
    now = timezone.now()
    if not _take_lease(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("endpoint", "event__user").get(pk=delivery_id)
    if not delivery.endpoint.is_active:
        answer = Answer(None, "The endpoint is inactive.", 0)
    else:
        body, headers = signed_request(delivery, now)
        answer = _post(delivery.endpoint.url, body, headers)
    return _record(delivery, answer, now)


@transaction.atomic
def _record(delivery: Delivery, answer: Answer, at: dt.datetime) -> Delivery:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    now = timezone.now()
    DeliveryAttempt.objects.create(delivery=locked, attempted_at=at, succeeded=answer.ok,
                                   response_code=answer.code, latency_ms=answer.latency_ms,
                                   excerpt=answer.excerpt)
    locked.attempts += 1
    locked.last_response_code = answer.code
    locked.leased_until = None
    retry_in = None
    if answer.ok:
        locked.status, locked.delivered_at, locked.last_error = DeliveryStatus.SUCCEEDED, now, ""
        locked.next_attempt_at = None
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
            endpoint.save(update_fields=["failing_since", "updated_at"])
    else:
        locked.last_error = answer.excerpt
        if endpoint.is_active:
            _count_failure(endpoint, answer, now)
        retry_in = next_delay(locked.attempts) if endpoint.is_active else None
        if retry_in is None:
            locked.status, locked.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            locked.next_attempt_at = now + dt.timedelta(seconds=retry_in)
    locked.save()
    result = "succeeded" if answer.ok else "failed" if retry_in is not None else "gave_up"
    count_on_commit(WEBHOOK_DELIVERIES.labels(result))
    logger.info("Webhook delivery %s (attempt %s): %s", locked.webhook_id, locked.attempts,
                result, extra={"delivery": locked.pk, "response_code": answer.code})
    if retry_in is not None:
        transaction.on_commit(lambda: _send_later([locked.pk], countdown=retry_in))
    return locked


def _count_failure(endpoint: WebhookEndpoint, answer: Answer, now: dt.datetime) -> None:
    """Start the endpoint's failing streak, or end the endpoint once the streak is too long
    (its pending deliveries fail with it; staff retry them once it is back on)."""
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since", "updated_at"])
        return
    limit = dt.timedelta(seconds=settings.WEBHOOK_DEACTIVATE_AFTER_SECONDS)
    if now - endpoint.failing_since < limit:
        return
    what = f"HTTP {answer.code}" if answer.code is not None else answer.excerpt[:120]
    endpoint.is_active = False
    endpoint.deactivated_at = now
    endpoint.deactivated_reason = (
        f"Deactivated {now:%Y-%m-%d %H:%M} UTC: every delivery failed since "
        f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC (last: {what}).")[:300]
    endpoint.save(update_fields=["is_active", "deactivated_at", "deactivated_reason",
                                 "updated_at"])
    Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None,
        last_error="The endpoint was deactivated.", updated_at=now)


def send_due(limit: int = 500) -> int:
    """The sweep: hand every due, unleased delivery to the workers; how many."""
    ids = list(Delivery.objects.due(timezone.now()).order_by("next_attempt_at", "pk")
               .values_list("pk", flat=True)[:limit])
    if ids:
        _send_later(ids)
    return len(ids)
