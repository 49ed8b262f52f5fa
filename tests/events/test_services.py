"""Webhook delivery, one attempt at a time (no worker): the retry schedule, failure after
it, deactivation after a long failing streak, the lease, the SSRF guard at send time."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from bench.webhooks import free_port
from events import services
from events.errors import WebhookUrlPrivate
from events.models import Delivery, DeliveryStatus
from redemptions import services as redemptions
from tests.events.factories import WebhookEndpointFactory
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory

pytestmark = pytest.mark.django_db

SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]


def one_delivery(endpoint) -> Delivery:
    redemptions.redeem(CodeFactory().code, UserFactory())
    services.fan_out()  # the worker's part: the deliveries
    return Delivery.objects.filter(endpoint=endpoint, event__kind="code.redeemed").latest("id")


def closed_port_endpoint(**fields):
    return WebhookEndpointFactory(url=f"http://127.0.0.1:{free_port()}/hook",
                                  kinds=["code.redeemed"], **fields)


@override_settings(WEBHOOK_RETRY_SCHEDULE=SCHEDULE, WEBHOOK_RETRY_JITTER=0.1)
@pytest.mark.parametrize("attempts", range(1, 8))
def test_each_retry_waits_its_step_of_the_standard_webhooks_schedule_give_or_take_jitter(
        attempts):
    delay = services.next_delay(attempts)
    assert SCHEDULE[attempts - 1] * 0.9 <= delay <= SCHEDULE[attempts - 1] * 1.1


@override_settings(WEBHOOK_RETRY_SCHEDULE=SCHEDULE)
def test_there_is_no_retry_after_the_schedule():
    assert services.next_delay(len(SCHEDULE) + 1) is None


def test_the_schedule_covers_more_than_a_day():
    from django.conf import settings

    assert sum(settings.WEBHOOK_RETRY_SCHEDULE) >= 24 * 3600


def test_a_refused_attempt_is_recorded_and_the_next_is_scheduled():
    delivery = one_delivery(closed_port_endpoint())
    after = services.attempt_delivery(delivery.pk)
    assert (after.status, after.attempts, after.last_response_code) == (
        DeliveryStatus.PENDING, 1, None)
    assert after.next_attempt_at > timezone.now()
    assert after.attempt_log.get().excerpt  # what went wrong, in a few words


def test_the_last_scheduled_attempt_failing_fails_the_delivery():
    delivery = one_delivery(closed_port_endpoint())
    Delivery.objects.filter(pk=delivery.pk).update(attempts=7)
    assert services.attempt_delivery(delivery.pk).status == DeliveryStatus.FAILED


def test_an_endpoint_failing_for_three_days_is_deactivated_with_the_reason():
    endpoint = closed_port_endpoint(failing_since=timezone.now() - dt.timedelta(days=3, hours=1))
    delivery = one_delivery(endpoint)
    services.attempt_delivery(delivery.pk)
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert "every delivery failed since" in endpoint.deactivated_reason
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.FAILED


def test_the_deactivated_endpoints_other_pending_deliveries_fail_with_it():
    endpoint = closed_port_endpoint(failing_since=timezone.now() - dt.timedelta(days=4))
    first, second = one_delivery(endpoint), one_delivery(endpoint)
    services.attempt_delivery(first.pk)
    second.refresh_from_db()
    assert (second.status, second.last_error) == (DeliveryStatus.FAILED,
                                                  "The endpoint was deactivated.")


def test_a_success_ends_the_failing_streak(receiver):
    hook = receiver([200])
    endpoint = WebhookEndpointFactory(url=hook.url, kinds=["code.redeemed"],
                                      failing_since=timezone.now() - dt.timedelta(days=1))
    delivery = one_delivery(endpoint)
    assert services.attempt_delivery(delivery.pk).status == DeliveryStatus.SUCCEEDED
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_a_redirect_is_a_failure_and_is_not_followed(receiver):
    hook = receiver([302])
    endpoint = WebhookEndpointFactory(url=hook.url, kinds=["code.redeemed"])
    after = services.attempt_delivery(one_delivery(endpoint).pk)
    assert (after.status, after.last_response_code) == (DeliveryStatus.PENDING, 302)
    assert len(hook.requests) == 1


def test_a_delivery_held_by_one_worker_is_not_sent_by_another():
    delivery = one_delivery(closed_port_endpoint())
    now = timezone.now()
    assert services._take_lease(delivery.pk, now) is True
    assert services.attempt_delivery(delivery.pk) is None


def test_a_delivery_not_yet_due_is_not_sent():
    delivery = one_delivery(closed_port_endpoint())
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    assert services.attempt_delivery(delivery.pk) is None


def test_the_guard_is_checked_again_when_sending(receiver):
    hook = receiver([200])
    endpoint = WebhookEndpointFactory(url=hook.url, kinds=["code.redeemed"])
    delivery = one_delivery(endpoint)
    with override_settings(WEBHOOKS_ALLOW_PRIVATE=False):
        after = services.attempt_delivery(delivery.pk)
    assert after.status == DeliveryStatus.PENDING and hook.requests == []
    assert "private" in after.last_error


@override_settings(WEBHOOKS_ALLOW_PRIVATE=False)
def test_turning_an_endpoint_on_again_clears_why_it_was_switched_off():
    endpoint = WebhookEndpointFactory(url="https://example.com/hook", is_active=False,
                                      deactivated_reason="failing", failing_since=timezone.now())
    with pytest.raises(WebhookUrlPrivate):
        services.update_endpoint(endpoint, url="http://127.0.0.1/")
    after = services.update_endpoint(endpoint, is_active=True)
    assert (after.is_active, after.deactivated_reason, after.failing_since) == (True, "", None)


def test_staff_retry_of_a_failed_delivery_makes_it_due_now():
    delivery = one_delivery(closed_port_endpoint())
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED,
                                                   next_attempt_at=None)
    after = services.retry_delivery(delivery)
    assert after.status == DeliveryStatus.PENDING and after.next_attempt_at <= timezone.now()
