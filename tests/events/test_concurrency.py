"""Workers racing for one delivery on PostgreSQL, with real threads that start together: the
lease lets exactly one of them send it."""

import threading

import pytest
from django.db import connection

from events import services
from events.models import Delivery, DeliveryStatus
from redemptions import services as redemptions
from tests.events.factories import WebhookEndpointFactory
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_workers_racing_for_one_delivery_send_it_once(receiver):
    hook = receiver()
    endpoint = WebhookEndpointFactory(url=hook.url, kinds=["code.redeemed"])
    redemptions.redeem(CodeFactory().code, UserFactory())
    delivery = Delivery.objects.get(endpoint=endpoint)
    barrier, outcomes, lock = threading.Barrier(8), [], threading.Lock()

    def send():
        try:
            barrier.wait()
            outcome = services.attempt_delivery(delivery.pk)
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(hook.requests) == 1
    assert sum(outcome is not None for outcome in outcomes) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
