"""Webhooks end to end: a real Celery worker process, Redis, and an HTTP receiver on
loopback. Deliveries are signed per Standard Webhooks (checked with the `standardwebhooks`
library, as a receiver would), sent only for committed changes, retried until the receiver
answers 2xx, and sent again after a worker dies mid-send, with the same `webhook-id`."""

import json

import pytest
from django.db import transaction
from standardwebhooks.webhooks import Webhook

from bench.webhooks import wait_for
from events.models import Delivery, DeliveryStatus, EventKind
from redemptions import services
from tests.events.factories import WebhookEndpointFactory
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory

pytestmark = pytest.mark.postgres


def redeem():
    return services.redeem(CodeFactory().code, UserFactory())


def subscribe(receiver):
    return WebhookEndpointFactory(url=receiver.url, kinds=[EventKind.CODE_REDEEMED])


def delivered(endpoint):
    return Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.SUCCEEDED).first()


def test_a_redemption_is_delivered_once_with_a_signature_that_verifies(worker, receiver):
    hook = receiver()
    endpoint = subscribe(hook)
    redemption = redeem()
    delivery = wait_for(lambda: delivered(endpoint), "the delivery")
    [request] = hook.requests
    body = Webhook(endpoint.secret).verify(request["body"], request["headers"])
    assert (body["kind"], body["object"]["id"]) == ("code.redeemed", str(redemption.pk))
    assert request["headers"]["webhook-id"] == delivery.webhook_id
    assert delivery.attempts == 1 and delivery.attempt_log.get().response_code == 200


def test_a_rolled_back_change_sends_nothing(worker, receiver):
    hook = receiver()
    endpoint = subscribe(hook)
    with pytest.raises(RuntimeError), transaction.atomic():
        redeem()
        raise RuntimeError("the caller's transaction fails after the redemption")
    marker = redeem()  # committed: once it arrives, anything else would have too
    wait_for(lambda: delivered(endpoint), "the committed redemption's delivery")
    assert [json.loads(r["body"])["object"]["id"] for r in hook.requests] == [str(marker.pk)]
    assert Delivery.objects.count() == 1


def test_a_receiver_that_is_down_gets_the_event_once_it_is_back(worker, receiver):
    hook = receiver(start=False)
    endpoint = subscribe(hook)
    redeem()
    wait_for(lambda: Delivery.objects.filter(endpoint=endpoint, attempts__gte=1).exists(),
             "a first, refused attempt")
    hook.start()
    delivery = wait_for(lambda: delivered(endpoint), "the delivery after the receiver came up")
    assert delivery.attempts >= 2 and len(hook.requests) == 1
    assert delivery.attempt_log.first().response_code is None


def test_a_500_then_a_200_is_two_attempts_and_one_success(worker, receiver):
    hook = receiver([500, 200])
    endpoint = subscribe(hook)
    redeem()
    delivery = wait_for(lambda: delivered(endpoint), "the retried delivery")
    assert [a.response_code for a in delivery.attempt_log.all()] == [500, 200]
    assert [a.succeeded for a in delivery.attempt_log.all()] == [False, True]
    assert len({r["headers"]["webhook-id"] for r in hook.requests}) == 1


def test_a_worker_killed_mid_delivery_leaves_it_to_the_next_with_the_same_webhook_id(
        worker, receiver):
    hook = receiver(["hold"])
    endpoint = subscribe(hook)
    redeem()
    wait_for(lambda: hook.requests, "the worker to start sending")
    worker.kill()
    hook.release()
    worker.start()
    delivery = wait_for(lambda: delivered(endpoint), "the delivery by the restarted worker")
    ids = [r["headers"]["webhook-id"] for r in hook.requests]
    assert len(ids) == 2 and set(ids) == {delivery.webhook_id}


def test_with_no_broker_the_server_itself_sends_after_commit(transactional_db, receiver,
                                                             settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # `make run`'s embedded default: no broker
    hook = receiver()
    endpoint = subscribe(hook)
    redeem()
    wait_for(lambda: delivered(endpoint), "the delivery from a thread of this process")
    assert len(hook.requests) == 1
