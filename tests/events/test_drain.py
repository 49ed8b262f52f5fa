"""Draining the outbox (no worker: the drain runs here): due deliveries claimed in batches and
posted over one kept-alive connection per receiver, an unreachable receiver tried once per
drain without holding up the others, and the request path asking for few drains."""

import json
import time

import pytest
from django.test import override_settings
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from bench.webhooks import free_port
from events import services
from events.models import Delivery, DeliveryAttempt, DeliveryStatus, Event
from events.selectors import event_body
from redemptions import services as redemptions
from tests.events.factories import WebhookEndpointFactory
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory

pytestmark = pytest.mark.django_db


def redeem(times: int = 1) -> None:
    for _ in range(times):
        redemptions.redeem(CodeFactory().code, UserFactory())


def subscribe(url: str):
    return WebhookEndpointFactory(url=url, kinds=["code.redeemed"])


@override_settings(WEBHOOK_DRAIN_BATCH=2)
def test_a_drain_sends_every_due_delivery_in_batches_over_one_connection(receiver):
    hook = receiver()
    endpoint = subscribe(hook.url)
    redeem(5)
    assert services.send_due() == 5
    assert Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED, attempts=1).count() == 5
    assert len({request["peer"] for request in hook.requests}) == 1
    for request in hook.requests:
        Webhook(endpoint.secret).verify(request["body"], request["headers"])


@override_settings(WEBHOOK_DRAIN_BATCH=3)
def test_a_drain_ends_once_a_claim_finds_less_than_a_batch_due(receiver, monkeypatch):
    # Under load a drain takes what a nudge interval brought in one batch, rather than
    # chasing each commit with a claim of a few rows; later commits nudge drains of their own.
    subscribe(receiver().url)
    redeem(4)
    claims, claim = [], services._claim_due
    monkeypatch.setattr(services, "_claim_due",
                        lambda *args: claims.append(claim(*args)) or claims[-1])
    assert services.send_due() == 4
    assert [len(claimed) for claimed in claims] == [3, 1]


def test_a_batch_records_every_attempt_with_its_own_answer(receiver):
    hook = receiver([200, 500, 200])
    subscribe(hook.url)
    redeem(3)
    assert services.send_due() == 3
    attempts = DeliveryAttempt.objects.order_by("delivery_id")
    assert [(a.succeeded, a.response_code, a.excerpt) for a in attempts] == [
        (True, 200, '{"status": 200}'), (False, 500, '{"status": 500}'),
        (True, 200, '{"status": 200}')]
    assert all(a.attempted_at is not None and a.latency_ms >= 0 for a in attempts)
    deliveries = Delivery.objects.order_by("id")
    assert [(d.status, d.attempts, d.last_response_code) for d in deliveries] == [
        (DeliveryStatus.SUCCEEDED, 1, 200), (DeliveryStatus.PENDING, 1, 500),
        (DeliveryStatus.SUCCEEDED, 1, 200)]
    assert deliveries[1].next_attempt_at > timezone.now()


def test_an_unreachable_receiver_is_tried_once_per_drain_and_holds_up_no_other(receiver):
    hook = receiver()
    up = subscribe(hook.url)
    down = subscribe(f"http://127.0.0.1:{free_port()}/hook")
    redeem(3)
    assert services.send_due() == 4
    assert Delivery.objects.filter(endpoint=up, status=DeliveryStatus.SUCCEEDED).count() == 3
    assert DeliveryAttempt.objects.filter(delivery__endpoint=down).count() == 1
    assert Delivery.objects.filter(endpoint=down, attempts=0, leased_until=None).count() == 2


def test_a_drain_leaves_deliveries_another_worker_holds(receiver):
    hook = receiver()
    endpoint = subscribe(hook.url)
    redeem(2)
    services.fan_out()  # the worker's part: the deliveries
    held = Delivery.objects.filter(endpoint=endpoint).first()
    assert services._take_lease(held.pk, timezone.now())
    assert services.send_due() == 1
    held.refresh_from_db()
    assert (held.status, held.attempts) == (DeliveryStatus.PENDING, 0)


def test_commits_in_quick_succession_ask_for_a_drain_now_and_one_an_interval_later(
        monkeypatch, settings):
    settings.WEBHOOK_NUDGE_SECONDS = 60
    asked = []
    monkeypatch.setattr(services, "_drain_later", asked.append)
    monkeypatch.setattr(services._Nudges, "starts_at", float("-inf"))
    for _ in range(5):
        services.nudge()
    assert len(asked) == 2
    assert asked[0] == 0 and 59 < asked[1] <= 60


def test_a_commit_an_interval_after_the_last_drain_asks_for_one_at_once(monkeypatch, settings):
    settings.WEBHOOK_NUDGE_SECONDS = 60
    asked = []
    monkeypatch.setattr(services, "_drain_later", asked.append)
    monkeypatch.setattr(services._Nudges, "starts_at", time.monotonic() - 61)
    services.nudge()
    assert asked == [0]


def test_a_claim_leases_the_oldest_due_first_with_their_endpoints_and_events(receiver):
    hook = receiver()
    first, skipped = subscribe(hook.url), subscribe(hook.url)
    redeem(3)
    services.fan_out()  # the worker's part: the deliveries
    now = timezone.now()
    claimed = services._claim_due(now, 2, {skipped.pk})
    expected = list(Delivery.objects.filter(endpoint=first).order_by("next_attempt_at", "id"))
    assert [d.pk for d in claimed] == [d.pk for d in expected[:2]]
    assert all(d.endpoint == first and d.event.kind == "code.redeemed" for d in claimed)
    leased = Delivery.objects.filter(leased_until__gt=now)
    assert sorted(leased.values_list("pk", flat=True)) == sorted(d.pk for d in claimed)
    rest = services._claim_due(now, 10, set())  # the leased ones are not claimed again
    assert len(rest) == 4 and not {d.pk for d in rest} & {d.pk for d in claimed}


def test_a_drained_body_is_the_event_as_the_feed_lists_it(receiver):
    hook = receiver()
    subscribe(hook.url)
    learner = UserFactory()
    redemptions.redeem(CodeFactory().code, learner)
    assert services.send_due() == 1
    event = Event.objects.select_related("user").get(kind="code.redeemed")
    assert json.loads(hook.requests[0]["body"]) == json.loads(json.dumps(event_body(event)))
    assert json.loads(hook.requests[0]["body"])["user"] == {"id": str(learner.pk),
                                                            "email": learner.email}
