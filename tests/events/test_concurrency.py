"""Workers racing for one delivery on PostgreSQL, with real threads that start together: the
lease lets exactly one of them send it."""

import pytest

from events import services
from events.models import Delivery, DeliveryStatus
from redemptions import services as redemptions
from tests.events.factories import WebhookEndpointFactory
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory
from tests.redemptions.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_workers_racing_for_one_delivery_send_it_once(receiver):
    hook = receiver()
    endpoint = WebhookEndpointFactory(url=hook.url, kinds=["code.redeemed"])
    redemptions.redeem(CodeFactory().code, UserFactory())
    services.fan_out()  # the worker's part: the delivery
    delivery = Delivery.objects.get(endpoint=endpoint)
    outcomes, refusals = race(8, lambda _: services.attempt_delivery(delivery.pk))
    assert refusals == []
    assert len(hook.requests) == 1
    assert sum(outcome is not None for outcome in outcomes) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
