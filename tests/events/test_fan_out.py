"""The fan-out: a request marks the events some active endpoint wants, and a worker makes
their deliveries (the endpoints as they are then) and clears the marks in one transaction,
once per event however many workers fan out at the same time."""

import pytest
from django.db import transaction

from events import services
from events.models import Delivery, Event, EventKind
from redemptions import services as redemptions
from tests.events.factories import WebhookEndpointFactory
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory
from tests.redemptions.test_concurrency import race

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def redeem(times: int = 1) -> None:
    for _ in range(times):
        redemptions.redeem(CodeFactory().code, UserFactory())


def waiting() -> list[str]:
    return list(Event.objects.filter(awaiting_fan_out=True).order_by("id")
                .values_list("kind", flat=True))


def test_an_event_no_active_endpoint_wants_is_not_marked():
    WebhookEndpointFactory(kinds=[EventKind.SEAT_ASSIGNED])
    WebhookEndpointFactory(is_active=False)
    redeem()
    assert Event.objects.filter(kind=EventKind.CODE_REDEEMED).exists()
    assert waiting() == []


def test_with_no_endpoint_no_event_is_marked_and_no_worker_nudged(
        monkeypatch, django_capture_on_commit_callbacks):
    nudged = []
    monkeypatch.setattr(services, "nudge", lambda: nudged.append(True))
    with django_capture_on_commit_callbacks(execute=True):
        redeem()
    assert waiting() == [] and nudged == []


def test_an_event_an_endpoint_wants_waits_for_fan_out_without_deliveries():
    WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    redeem()
    assert waiting() == [EventKind.CODE_REDEEMED]
    assert not Delivery.objects.exists()


def test_an_endpoint_made_since_the_last_write_still_marks_the_next_event():
    redeem()  # this process last saw no endpoint
    WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    redeem()
    assert waiting() == [EventKind.CODE_REDEEMED]


def test_an_endpoint_switched_off_since_the_last_write_marks_nothing():
    endpoint = WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    redeem()
    services.fan_out()
    services.update_endpoint(endpoint, is_active=False)
    redeem()
    assert waiting() == []


def test_fan_out_makes_one_delivery_per_wanting_endpoint_and_clears_the_mark():
    every = WebhookEndpointFactory()
    redeemed_only = WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    WebhookEndpointFactory(kinds=[EventKind.SEAT_ASSIGNED])
    redeem()
    assert services.fan_out() == 2  # code.redeemed and entitlement.granted
    redeemed = Event.objects.get(kind=EventKind.CODE_REDEEMED)
    granted = Event.objects.get(kind=EventKind.ENTITLEMENT_GRANTED)
    assert sorted((d.event_id, str(d.endpoint_id)) for d in Delivery.objects.all()) == sorted(
        [(redeemed.pk, str(every.pk)), (redeemed.pk, str(redeemed_only.pk)),
         (granted.pk, str(every.pk))])
    assert waiting() == []
    assert services.fan_out() == 0


def test_fan_out_takes_the_oldest_waiting_events_first_a_batch_at_a_time():
    WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    redeem(3)
    oldest = list(Event.objects.filter(kind=EventKind.CODE_REDEEMED).order_by("id"))
    assert services.fan_out(limit=2) == 2
    assert sorted(Delivery.objects.values_list("event_id", flat=True)) == [
        oldest[0].pk, oldest[1].pk]
    assert services.fan_out(limit=2) == 1


def test_a_rolled_back_change_leaves_nothing_to_fan_out():
    WebhookEndpointFactory()
    with pytest.raises(Boom), transaction.atomic():
        redeem()
        assert waiting()
        raise Boom
    assert waiting() == []
    assert services.fan_out() == 0
    assert not Delivery.objects.exists()


def test_an_endpoint_switched_off_before_fan_out_gets_no_delivery():
    kept = WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    dropped = WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    redeem()
    services.update_endpoint(dropped, is_active=False)
    assert services.fan_out() == 1
    assert [d.endpoint_id for d in Delivery.objects.all()] == [kept.pk]


def test_a_fan_out_that_fails_midway_leaves_its_events_waiting(monkeypatch):
    WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    redeem()

    def crash(*args, **kwargs):
        raise Boom

    with monkeypatch.context() as patched:
        patched.setattr(Delivery.objects, "bulk_create", crash)
        with pytest.raises(Boom):
            services.fan_out()
    assert waiting() == [EventKind.CODE_REDEEMED] and not Delivery.objects.exists()
    assert services.fan_out() == 1 and Delivery.objects.count() == 1


def test_a_drain_fans_out_before_it_claims(monkeypatch):
    WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED])
    redeem(2)
    claimed = []
    monkeypatch.setattr(services, "_claim_due",
                        lambda *args: claimed.append(Delivery.objects.count()) or [])
    services.send_due()
    assert claimed == [2] and waiting() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_fan_outs_at_once_make_each_events_deliveries_exactly_once():
    first, second = (WebhookEndpointFactory(kinds=[EventKind.CODE_REDEEMED]) for _ in range(2))
    redeem(40)

    def fan_out_all() -> int:
        taken = 0
        while made := services.fan_out(limit=3):
            taken += made
        return taken

    taken, refusals = race(2, lambda _: fan_out_all())
    assert refusals == []
    assert sum(taken) == 40  # no event taken by both
    assert Delivery.objects.filter(endpoint=first).count() == 40
    assert Delivery.objects.filter(endpoint=second).count() == 40
    assert waiting() == []
