"""The native event feed and webhook endpoints: filters, the secret shown once, retries."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from events.models import Delivery, DeliveryStatus, Event, WebhookEndpoint
from events.services import fan_out
from redemptions import services
from tests.events.factories import WebhookEndpointFactory
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events"
ENDPOINTS = "/api/v1/webhook-endpoints"


def redeem(user=None):
    return services.redeem(CodeFactory().code, user or UserFactory())


def test_the_feed_lists_events_oldest_first_in_the_documented_shape(api, learner):
    redemption = redeem(learner)
    body = api.get(EVENTS).json()
    first = body["results"][0]
    assert set(first) == {"id", "kind", "occurred_at", "user", "object", "data"}
    redeemed = next(e for e in body["results"] if e["kind"] == "code.redeemed")
    assert redeemed["user"] == {"id": str(learner.pk), "email": learner.email}
    assert redeemed["object"] == {"type": "redemption", "id": str(redemption.pk)}
    assert [e["id"] for e in body["results"]] == sorted(e["id"] for e in body["results"])


def test_after_resumes_past_the_last_id_seen(api):
    redeem()
    last = Event.objects.order_by("id").last().id
    redeem()
    ids = [e["id"] for e in api.get(EVENTS, {"after": last}).json()["results"]]
    assert ids and min(ids) > last


def test_kind_and_user_filter_the_feed(api, learner):
    redeem(learner)
    redeem()
    by_kind = api.get(EVENTS, {"kind": "code.redeemed", "user": learner.email}).json()
    assert [(e["kind"], e["user"]["id"]) for e in by_kind["results"]] == [
        ("code.redeemed", str(learner.pk))]


@pytest.mark.parametrize("params", [{"after": "x"}, {"after": "-1"}, {"user": "someone"},
                                    {"occurred_at.gte": "later"}, {"kind": "code.eaten"}])
def test_bad_feed_parameters_are_a_400(api, params):
    response = api.get(EVENTS, params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] in params


def test_a_learner_may_not_read_the_feed(learner):
    client = APIClient()
    client.force_authenticate(learner)
    assert client.get(EVENTS).status_code == 403


def test_a_new_endpoint_shows_its_secret_once(api):
    made = api.post(ENDPOINTS, {"url": "http://127.0.0.1:8169/hook",
                                "kinds": ["code.redeemed"]}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["secret"].startswith("whsec_")
    again = api.get(f"{ENDPOINTS}/{made.json()['id']}").json()
    assert "secret" not in again and again["kinds"] == ["code.redeemed"]


def test_rotating_the_secret_replaces_it(api):
    endpoint = WebhookEndpointFactory()
    rotated = api.post(f"{ENDPOINTS}/{endpoint.pk}/rotate-secret").json()["secret"]
    endpoint.refresh_from_db()
    assert rotated == endpoint.secret != WebhookEndpointFactory.build().secret


@override_settings(WEBHOOKS_ALLOW_PRIVATE=False)
@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://localhost:8000/",
                                 "http://169.254.169.254/latest/meta-data",
                                 "http://10.0.0.5/", "http://[::1]/", "http://192.168.1.1/"])
def test_private_addresses_are_refused(api, url):
    response = api.post(ENDPOINTS, {"url": url}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "webhook_url_private"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["ftp://example.com/", "http://user:pw@127.0.0.1/",
                                 "http://no-such-host.invalid/"])
def test_urls_that_are_not_plain_resolvable_http_are_refused(api, url):
    response = api.post(ENDPOINTS, {"url": url}, format="json")
    assert response.status_code == 400


def test_an_endpoint_with_deliveries_cannot_be_deleted(api):
    endpoint = WebhookEndpointFactory()
    redeem()
    fan_out()  # the worker's part: the deliveries
    assert api.delete(f"{ENDPOINTS}/{endpoint.pk}").status_code == 409


def test_deliveries_list_each_attempt_and_filter_by_status(api):
    endpoint = WebhookEndpointFactory()
    redeem()
    fan_out()  # the worker's part: the deliveries
    body = api.get(f"{ENDPOINTS}/{endpoint.pk}/deliveries", {"status": "pending"}).json()
    assert {d["kind"] for d in body["results"]} == {"code.redeemed", "entitlement.granted"}
    assert all(d["webhook_id"] == f"msg_{d['event']}" for d in body["results"])
    assert api.get(f"{ENDPOINTS}/{endpoint.pk}/deliveries",
                   {"status": "lost"}).status_code == 400


def test_staff_retry_a_failed_delivery(api):
    endpoint = WebhookEndpointFactory()
    redeem()
    fan_out()  # the worker's part: the deliveries
    delivery = Delivery.objects.filter(endpoint=endpoint).first()
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    response = api.post(f"{ENDPOINTS}/{endpoint.pk}/deliveries/{delivery.pk}/retry")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"


def test_a_delivered_one_cannot_be_retried(api):
    endpoint = WebhookEndpointFactory()
    redeem()
    fan_out()  # the worker's part: the deliveries
    delivery = Delivery.objects.filter(endpoint=endpoint).first()
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SUCCEEDED)
    response = api.post(f"{ENDPOINTS}/{endpoint.pk}/deliveries/{delivery.pk}/retry")
    assert response.status_code == 409


def test_staff_retry_every_failed_delivery_of_an_endpoint(api):
    endpoint = WebhookEndpointFactory()
    redeem()
    fan_out()  # the worker's part: the deliveries
    Delivery.objects.update(status=DeliveryStatus.FAILED)
    response = api.post(f"{ENDPOINTS}/{endpoint.pk}/deliveries/retry")
    assert response.json() == {"retried": 2}
    assert not Delivery.objects.filter(status=DeliveryStatus.FAILED).exists()
