"""The outbox and webhook delivery.

`record_event` is called by every state change inside its own transaction: the Event row
commits with the change or not at all, so the Event rows are the outbox and the truth. An
event that some active endpoint wants at that moment is marked `awaiting_fan_out` (one row
of a partial index); after commit the request only nudges the workers (`nudge`: at most one
message per process per WEBHOOK_NUDGE_SECONDS, never one per event), and the periodic sweep
drains whatever is waiting or due in any case (a lost message, a dead worker, a broker that
was down). The request writes no Delivery row: the workers make them.

A drain (`send_due`) first fans out (`fan_out`): it takes the marked events in id order,
skipping those another worker holds, makes one Delivery per active endpoint that wants the
kind (the endpoints as they are then) and clears the mark, in one transaction, so no event is
fanned out twice and a crash mid-way loses nothing. Then it claims due deliveries in batches
under a lease (a row lock skipping rows other workers hold, then `leased_until`), so a
delivery is sent by one worker at a time; it posts them over one kept-alive connection per
receiver (`events.transport`), signs each per Standard Webhooks (the `standardwebhooks`
library), and records each batch's attempts in one transaction per endpoint. A failure
schedules the next try on the Standard Webhooks schedule with jitter
(`WEBHOOK_RETRY_SCHEDULE`); after the last it is failed. An endpoint whose attempts have all
failed for `WEBHOOK_DEACTIVATE_AFTER_SECONDS` is deactivated, with the reason.

Lock order: a fan-out locks its events, then (its new deliveries' foreign keys) shares the
endpoints; a record locks an endpoint, then its deliveries. Nothing that holds an endpoint
waits for an event, so the two never wait on each other in a circle.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import contextvars
import datetime as dt
import functools
import json
import logging
import random
import secrets
import threading
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from core import rows
from core.metrics import EVENTS, WEBHOOK_DELIVERIES, count_on_commit
from events.errors import DeliveryNotRetryable
from events.models import Delivery, DeliveryAttempt, DeliveryStatus, Event, WebhookEndpoint
from events.selectors import active_endpoints_sql, endpoints_from, event_body
from events.transport import Answer, Poster, kept_poster
from events.validators import check_webhook_url, clean_kinds

logger = logging.getLogger(__name__)


# --- the outbox ------------------------------------------------------------------------------

# The events a `batched_events()` block records, written when it ends (None: no block).
_batch: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar(
    "events_batch", default=None)


def record_event(kind: str, obj: models.Model, *, data: dict, user=None,
                 group_id: object = None, at: dt.datetime | None = None) -> Event:
    """Write the event of a state change about `obj`, in the caller's transaction, marked
    for fan-out when an active endpoint wants `kind` (the workers, nudged after commit, make
    its deliveries). Inside `batched_events()` the row is written (and its id set) when the
    block ends."""
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
    """Record the events of one state change together: one INSERT of every event (with the
    read of the endpoints that decide their marks) when the block ends, inside the
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


class _Endpoints:
    """The active endpoints the last write of events in this process read: the guess the
    next write's marks start from."""

    wanted: list[WebhookEndpoint] = []


def _wanted(kind: str, endpoints: list[WebhookEndpoint]) -> bool:
    return any(endpoint.wants(kind) for endpoint in endpoints)


def _write_events(events: list[Event]) -> None:
    # The events, then the active endpoints, sent together: in a redemption's pipeline
    # (`rows.together`) one round trip with its writes. The mark goes into the INSERT as the
    # endpoints of this process's last write would have it; the endpoints read with it decide,
    # and the rare event they disagree on (an endpoint changed since) is corrected at once.
    guessed = _Endpoints.wanted
    for event in events:
        event.awaiting_fan_out = _wanted(event.kind, guessed)
    endpoints = endpoints_from(rows.insert_and_fetch(events, active_endpoints_sql()))
    _Endpoints.wanted = endpoints
    for event in events:
        wanted = _wanted(event.kind, endpoints)
        if wanted != event.awaiting_fan_out:
            event.awaiting_fan_out = wanted
            rows.update(event, ["awaiting_fan_out"])
    if any(event.awaiting_fan_out for event in events):
        transaction.on_commit(nudge)


def _send_later(countdown: float = 0) -> None:
    """After commit: have what is due sent. The workers drain whatever is due, so this only
    asks for a drain (`nudge`), or (`countdown`, a retry) for one that much later."""
    if countdown:
        _drain_later(countdown)
    else:
        nudge()


class _Nudges:
    """When this process last asked for a drain to start (monotonic seconds)."""

    lock = threading.Lock()
    starts_at = float("-inf")


def nudge() -> None:
    """Ask the workers to drain what is due (and so whatever committed before now). A drain
    asked for from now on already covers it; otherwise the request goes out at most once per
    WEBHOOK_NUDGE_SECONDS from this process, delayed until then if need be: a busy server
    sends a few messages a second, not one per delivery."""
    now = time.monotonic()
    with _Nudges.lock:
        if _Nudges.starts_at >= now:
            return
        start = max(now, _Nudges.starts_at + settings.WEBHOOK_NUDGE_SECONDS)
        _Nudges.starts_at = start
    _drain_later(start - now)


def _drain_later(countdown: float) -> None:
    from events.tasks import drain_later  # tasks import this module

    drain_later(countdown=countdown)


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
        transaction.on_commit(_send_later)
    return len(ids)


# --- sending ---------------------------------------------------------------------------------

def signed_request(delivery: Delivery, at: dt.datetime, *, body: bytes | None = None,
                   signer: Webhook | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and Standard Webhooks headers of one attempt (signed with the secret the
    endpoint has now). A drain passes the event's body and the endpoint's signer it made
    already."""
    if body is None:
        body = json.dumps(event_body(delivery.event), separators=(",", ":")).encode()
    signature = (signer or Webhook(delivery.endpoint.secret)).sign(delivery.webhook_id, at, body)
    return body, {
        "content-type": "application/json", "user-agent": "Entitle-Webhooks/1",
        "webhook-id": delivery.webhook_id, "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def _lease_until(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)


def _take_lease(delivery_id: int, now: dt.datetime) -> bool:
    """Claim a due delivery for one send; False if it is not due, done or held elsewhere."""
    return Delivery.objects.due(now).filter(pk=delivery_id).update(
        leased_until=_lease_until(now)) == 1


def _claim_due(now: dt.datetime, limit: int, skip_endpoints: Iterable) -> list[Delivery]:
    """Lease up to `limit` due deliveries (oldest due first) that no other worker holds: a
    row lock that skips the rows another claim is taking, then the lease itself; with each
    one's endpoint and event (read once however many of the batch's deliveries share it,
    and only the columns a send reads)."""
    if connection.vendor == "postgresql":
        claimed = _claim_rows(now, limit, list(skip_endpoints))
    else:
        claimed = _claim_rows_orm(now, limit, skip_endpoints)
    if not claimed:
        return []
    endpoint_ids, event_ids = {d.endpoint_id for d in claimed}, {d.event_id for d in claimed}
    if connection.vendor == "postgresql":
        endpoints, events = _endpoints_and_events(endpoint_ids, event_ids)
    else:
        endpoints = WebhookEndpoint.objects.in_bulk(endpoint_ids)
        events = Event.objects.select_related("user").only(*_BODY_FIELDS).in_bulk(event_ids)
    for delivery in claimed:
        delivery.endpoint = endpoints[delivery.endpoint_id]
        delivery.event = events[delivery.event_id]
    return claimed


def _endpoints_and_events(endpoint_ids: set, event_ids: set) -> tuple[dict, dict]:
    """The claimed deliveries' endpoints and events (with their learners), by id: the ORM's
    two queries, raw (each ORM statement cost more CPU than a batch's sends; PostgreSQL's
    arrays), loaded as the ORM would load them (`core.rows`)."""
    endpoints = [rows.load(WebhookEndpoint, row)
                 for row in rows.fetch(_claimed_endpoints_sql(), [list(endpoint_ids)])]
    events = {}
    for row in rows.fetch(_claimed_events_sql(), [list(event_ids)]):
        event = rows.load(Event, row)
        event.user = rows.load(_learner_model(), row, rows.width(Event))  # None: no learner
        events[event.pk] = event
    return {endpoint.pk: endpoint for endpoint in endpoints}, events


def _learner_model():
    return Event._meta.get_field("user").related_model


@rows.cached
def _claimed_endpoints_sql() -> str:
    quote, meta = rows.quoter(), WebhookEndpoint._meta
    return (f"SELECT {rows.select_columns(WebhookEndpoint, 'e')} FROM {quote(meta.db_table)} e "
            f"WHERE e.{quote(meta.pk.column)} = ANY(%s::uuid[])")


@rows.cached
def _claimed_events_sql() -> str:
    quote, event, learner = rows.quoter(), Event._meta, _learner_model()._meta
    return (f"SELECT {rows.select_columns(Event, 'e')}, "
            f"{rows.select_columns(_learner_model(), 'u')} FROM {quote(event.db_table)} e "
            f"LEFT JOIN {quote(learner.db_table)} u "
            f"ON u.{quote(learner.pk.column)} = e.{quote(event.get_field('user').column)} "
            f"WHERE e.{quote(event.pk.column)} = ANY(%s::bigint[])")


# The claim in one statement (its own transaction): the row lock skipping rows another claim
# is taking, and the lease, as `_claim_rows_orm` does in five round trips.
_CLAIM = """
WITH claimed AS (
    UPDATE events_delivery SET leased_until = %(until)s
    WHERE id IN (
        SELECT id FROM events_delivery
        WHERE status = %(pending)s AND next_attempt_at <= %(now)s
          AND (leased_until IS NULL OR leased_until <= %(now)s)
          AND NOT (endpoint_id = ANY(%(skip)s::uuid[]))
        ORDER BY next_attempt_at, id
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED)
    RETURNING {columns})
SELECT {columns} FROM claimed ORDER BY next_attempt_at, id
"""


def _claim_rows(now: dt.datetime, limit: int, skip_endpoints: list) -> list[Delivery]:
    # from_db takes the values in the model's field order
    columns = [f.attname for f in Delivery._meta.concrete_fields if f.attname in _CLAIMED_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM.format(columns=", ".join(columns)), {
            "until": _lease_until(now), "pending": DeliveryStatus.PENDING.value, "now": now,
            "skip": skip_endpoints, "limit": limit})
        rows = cursor.fetchall()
    return [Delivery.from_db(connection.alias, columns, row) for row in rows]


@transaction.atomic
def _claim_rows_orm(now: dt.datetime, limit: int, skip_endpoints: Iterable) -> list[Delivery]:
    due = Delivery.objects.due(now)
    if skip_endpoints:
        due = due.exclude(endpoint_id__in=list(skip_endpoints))
    ids = list(due.order_by("next_attempt_at", "pk").select_for_update(skip_locked=True)
               .values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    Delivery.objects.filter(pk__in=ids).update(leased_until=_lease_until(now))
    return list(Delivery.objects.filter(pk__in=ids).order_by("next_attempt_at", "pk")
                .only(*_CLAIMED_FIELDS))


_CLAIMED_FIELDS = ("id", "endpoint_id", "event_id", "status", "attempts", "next_attempt_at")
# What `event_body` reads.
_BODY_FIELDS = ("id", "kind", "occurred_at", "object_type", "object_id", "data", "user__id",
                "user__email")


@transaction.atomic
def fan_out(limit: int | None = None) -> int:
    """Make the deliveries of up to `limit` events awaiting fan-out (oldest first, skipping
    those another worker is fanning out): one per active endpoint that wants the kind now,
    due when the event occurred; the marks cleared in the same transaction. How many events
    were taken (fewer than `limit`: none were left waiting but those held elsewhere)."""
    limit = limit or settings.WEBHOOK_DRAIN_BATCH
    waiting = Event.objects.filter(awaiting_fan_out=True).order_by("id")
    events = list(waiting.select_for_update(skip_locked=True, no_key=True)
                  .only("id", "kind", "occurred_at")[:limit])
    if not events:
        return 0
    endpoints = endpoints_from(rows.fetch(active_endpoints_sql()))
    # The lock and the cleared mark make each event's deliveries once; the unique
    # (endpoint, event) constraint stays the last guard, and a conflict there must not stop
    # the rest of the fan-out.
    Delivery.objects.bulk_create(
        [Delivery(endpoint=endpoint, event=event, next_attempt_at=event.occurred_at)
         for event in events for endpoint in endpoints if endpoint.wants(event.kind)],
        ignore_conflicts=True)
    Event.objects.filter(pk__in=[event.pk for event in events]).update(awaiting_fan_out=False)
    return len(events)


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
    now, deadline = timezone.now(), _send_deadline()
    if not _take_lease(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("endpoint", "event__user").get(pk=delivery_id)
    poster = Poster()
    try:
        [(_, answer)] = _send(delivery.endpoint, [delivery], now, poster, deadline=deadline)
    finally:
        poster.close()
    _record(delivery.endpoint, [(delivery, answer)], now)
    return Delivery.objects.get(pk=delivery_id)


def send_due(*, batch: int | None = None, seconds: float | None = None) -> int:
    """A drain: fan out waiting events and claim due deliveries `batch` at a time, and send
    them, until the fan-out and the claim both find fewer than `batch` (all that was waiting
    or due then is taken; what commits later was asked a drain for by its own nudge) or for
    at most `seconds` (then another drain goes on); how many were attempted. Under a steady
    load a drain so takes what a nudge interval brought in one batch instead of chasing each
    commit with a claim of a few rows (a claim and its records cost about the same for 1
    delivery as for 200). An endpoint that could not be reached is left alone for the rest
    of the drain (its other deliveries wait, unattempted, for the next)."""
    batch = batch or settings.WEBHOOK_DRAIN_BATCH
    stop_at = time.monotonic() + (seconds or settings.WEBHOOK_DRAIN_SECONDS)
    unreachable: set = set()
    poster = kept_poster()
    attempted = 0
    try:
        while True:
            if time.monotonic() > stop_at:  # long enough: another drain goes on
                _drain_later(0)
                break
            fanned = fan_out(batch)
            now, deadline = timezone.now(), _send_deadline()
            claimed = _claim_due(now, batch, unreachable)
            if not claimed:
                if fanned < batch:  # nothing waiting nor due
                    break
                continue
            by_endpoint: dict = {}
            for delivery in claimed:
                by_endpoint.setdefault(delivery.endpoint_id, []).append(delivery)
            bodies: dict[int, bytes] = {}  # an event's body, shared by its endpoints
            batch_sent = 0
            for deliveries in by_endpoint.values():
                endpoint = deliveries[0].endpoint
                sent = _send(endpoint, deliveries, now, poster, deadline=deadline,
                             batch_started=batch_sent > 0, bodies=bodies)
                batch_sent += len(sent)
                if endpoint.is_active and sent and sent[-1][1].code is None:
                    unreachable.add(endpoint.pk)
                _release([d.pk for d in deliveries[len(sent):]])
                if sent:
                    _record(endpoint, sent, now)
                attempted += len(sent)
            if len(claimed) < batch and fanned < batch:  # all that waited or was due, taken
                break
    except BaseException:
        poster.close()
        raise
    return attempted


def _send_deadline() -> float:
    """Until when (monotonic) a batch leased now may start sends after its first: its lease
    less a send's timeout, so no lease runs out while its delivery is being sent."""
    lease, timeout = settings.WEBHOOK_LEASE_SECONDS, settings.WEBHOOK_TIMEOUT_SECONDS
    return time.monotonic() + max(lease - timeout - 1, 0)


def _send(endpoint: WebhookEndpoint, deliveries: list[Delivery], claimed_at: dt.datetime,
          poster: Poster, *, deadline: float, batch_started: bool = False,
          bodies: dict[int, bytes] | None = None) -> list[tuple[Delivery, Answer]]:
    """Post each delivery (all of one endpoint) once, in order; stop after an attempt that
    got no answer (the rest would wait as long) or at the `deadline` (which does not stop a
    batch's first send). The attempts made, with their answers (an inactive endpoint's:
    failed at once, unsent)."""
    if not endpoint.is_active:
        return [(delivery, Answer(None, "The endpoint is inactive.", 0))
                for delivery in deliveries]
    bodies = {} if bodies is None else bodies
    signer = Webhook(endpoint.secret)
    sent: list[tuple[Delivery, Answer]] = []
    for delivery in deliveries:
        if sent and sent[-1][1].code is None:
            break
        if (sent or batch_started) and time.monotonic() > deadline:
            break
        if delivery.event_id not in bodies:
            bodies[delivery.event_id] = json.dumps(event_body(delivery.event),
                                                   separators=(",", ":")).encode()
        body, headers = signed_request(delivery, claimed_at, body=bodies[delivery.event_id],
                                       signer=signer)
        sent.append((delivery, poster.post(endpoint.url, body, headers)))
    return sent


def _release(ids: list[int]) -> None:
    """Give back leased deliveries that were not attempted (due again at once)."""
    if ids:
        Delivery.objects.filter(pk__in=ids).update(leased_until=None)


@transaction.atomic
def _record(endpoint: WebhookEndpoint, sent: list[tuple[Delivery, Answer]],
            at: dt.datetime) -> None:
    """Record attempts at one endpoint's deliveries, in the order they were made: every
    attempt logged, the successes in one update, each failure scheduled for
    its next try (or failed), and the endpoint's failing streak moved."""
    endpoint = _locked_endpoint(endpoint.pk)
    now = timezone.now()
    _insert_attempts(sent, at)
    counts: collections.Counter[str] = collections.Counter()
    succeeded: dict[int, list[int]] = {}
    failed: list[Delivery] = []
    retry_in: list[float] = []
    streak_was, was_active = endpoint.failing_since, endpoint.is_active
    for delivery, answer in sent:
        delivery.attempts += 1  # as claimed: no other worker touches it under our lease
        if answer.ok:
            succeeded.setdefault(answer.code, []).append(delivery.pk)
            endpoint.failing_since = None
            _count(delivery, answer, "succeeded", counts)
            continue
        delivery.last_response_code, delivery.last_error = answer.code, answer.excerpt
        delivery.leased_until, delivery.updated_at = None, now
        if endpoint.is_active:
            _count_failure(endpoint, answer, now)
        delay = next_delay(delivery.attempts) if endpoint.is_active else None
        if delay is None:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delivery.next_attempt_at = now + dt.timedelta(seconds=delay)
            retry_in.append(delay)
        failed.append(delivery)
        _count(delivery, answer, "failed" if delay is not None else "gave_up", counts)
    if succeeded:
        _mark_succeeded(succeeded, now)
    if failed:
        Delivery.objects.bulk_update(failed, ["attempts", "last_response_code", "last_error",
                                              "leased_until", "status", "next_attempt_at",
                                              "updated_at"])
    for result, times in counts.items():  # the metric: one increment per result and batch
        transaction.on_commit(functools.partial(WEBHOOK_DELIVERIES.labels(result).inc, times))
    if was_active and not endpoint.is_active:
        _deactivate(endpoint)
    elif endpoint.failing_since != streak_was:
        endpoint.save(update_fields=["failing_since", "updated_at"])
    if retry_in:
        countdown = min(retry_in)
        transaction.on_commit(lambda: _send_later(countdown))


def _locked_endpoint(pk) -> WebhookEndpoint:
    """The endpoint, read afresh under its row lock (the first lock a record takes): the
    ORM's statement, written once (a third of the ORM's CPU)."""
    row = rows.fetch_one(_locked_endpoint_sql(), [rows.param(WebhookEndpoint._meta.pk, pk)])
    if row is None:
        raise WebhookEndpoint.DoesNotExist(pk)
    return rows.load(WebhookEndpoint, row)


@rows.cached
def _locked_endpoint_sql() -> str:
    quote, meta = rows.quoter(), WebhookEndpoint._meta
    sql = (f"SELECT {rows.select_columns(WebhookEndpoint, 'e')} FROM {quote(meta.db_table)} e "
           f"WHERE e.{quote(meta.pk.column)} = %s")
    return sql + " FOR UPDATE" if rows.can_lock_rows() else sql


_MARK_SUCCEEDED = """
UPDATE events_delivery AS delivery
SET status = %s, delivered_at = %s, last_error = '', next_attempt_at = NULL,
    leased_until = NULL, last_response_code = answer.code,
    attempts = delivery.attempts + 1, updated_at = %s
FROM unnest(%s::bigint[], %s::integer[]) AS answer (id, code)
WHERE delivery.id = answer.id
"""


def _mark_succeeded(succeeded: dict[int, list[int]], now: dt.datetime) -> None:
    """The successes (their ids by answer code) delivered: one statement (PostgreSQL), else
    one per code."""
    if connection.vendor != "postgresql":
        for code, ids in succeeded.items():
            Delivery.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.SUCCEEDED, delivered_at=now, last_error="",
                next_attempt_at=None, leased_until=None, last_response_code=code,
                attempts=models.F("attempts") + 1, updated_at=now)
        return
    pairs = [(pk, code) for code, ids in succeeded.items() for pk in ids]
    with connection.cursor() as cursor:
        cursor.execute(_MARK_SUCCEEDED, [
            DeliveryStatus.SUCCEEDED.value, now, now, [pk for pk, _ in pairs],
            [code for _, code in pairs]])


_INSERT_ATTEMPTS = """
INSERT INTO events_deliveryattempt (attempted_at, delivery_id, succeeded, response_code,
                                    latency_ms, excerpt)
SELECT %s, * FROM unnest(%s::bigint[], %s::boolean[], %s::integer[], %s::integer[], %s::text[])
"""


def _insert_attempts(sent: list[tuple[Delivery, Answer]], at: dt.datetime) -> None:
    """Log every attempt made, in one statement (PostgreSQL: arrays, not a row of
    placeholders per attempt)."""
    if connection.vendor != "postgresql":
        DeliveryAttempt.objects.bulk_create([
            DeliveryAttempt(delivery_id=delivery.pk, attempted_at=at, succeeded=answer.ok,
                            response_code=answer.code, latency_ms=answer.latency_ms,
                            excerpt=answer.excerpt) for delivery, answer in sent])
        return
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_ATTEMPTS, [
            at, [delivery.pk for delivery, _ in sent], [answer.ok for _, answer in sent],
            [answer.code for _, answer in sent], [answer.latency_ms for _, answer in sent],
            [answer.excerpt for _, answer in sent]])


def _count(delivery: Delivery, answer: Answer, result: str,
           counts: collections.Counter[str]) -> None:
    counts[result] += 1
    logger.info("Webhook delivery %s (attempt %s): %s", delivery.webhook_id, delivery.attempts,
                result, extra={"delivery": delivery.pk, "response_code": answer.code})


def _count_failure(endpoint: WebhookEndpoint, answer: Answer, now: dt.datetime) -> None:
    """Start the endpoint's failing streak, or end the endpoint once the streak is too long
    (in memory: `_record` saves it)."""
    if endpoint.failing_since is None:
        endpoint.failing_since = now
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


def _deactivate(endpoint: WebhookEndpoint) -> None:
    """Save the endpoint switched off; its pending deliveries fail with it (staff retry them
    once it is back on)."""
    endpoint.save(update_fields=["is_active", "deactivated_at", "deactivated_reason",
                                 "failing_since", "updated_at"])
    Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, leased_until=None,
        last_error="The endpoint was deactivated.", updated_at=endpoint.deactivated_at)
