"""Staff admin for webhooks: the secret shown once, the guard in the form, retries."""

import pytest
from django.test import override_settings

from events.models import Delivery, DeliveryStatus, Event, WebhookEndpoint
from events.services import fan_out
from redemptions import services as redemptions
from tests.events.factories import WebhookEndpointFactory
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/events/webhookendpoint/add/"


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_adding_an_endpoint_shows_its_secret_once(admin_client):
    response = admin_client.post(ADD, {"url": "http://127.0.0.1:8169/hook",
                                       "kinds": ["code.redeemed"], "is_active": "on"},
                                 follow=True)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert endpoint.kinds == ["code.redeemed"]
    page = admin_client.get(f"/admin/events/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret not in page.content.decode()


@override_settings(WEBHOOKS_ALLOW_PRIVATE=False)
def test_the_form_refuses_a_private_address_with_the_guards_words(admin_client):
    response = admin_client.post(ADD, {"url": "http://10.1.2.3/hook", "is_active": "on"})
    assert "loopback, link-local or private" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_retry_action_makes_failed_deliveries_due_again(admin_client):
    endpoint = WebhookEndpointFactory()
    redemptions.redeem(CodeFactory().code, UserFactory())
    fan_out()  # the worker's part: the deliveries
    Delivery.objects.update(status=DeliveryStatus.FAILED)
    admin_client.post("/admin/events/webhookendpoint/",
                      {"action": "retry_failed_deliveries", "_selected_action": [endpoint.pk]})
    assert not Delivery.objects.filter(status=DeliveryStatus.FAILED).exists()


def test_events_and_deliveries_have_read_only_pages(admin_client):
    WebhookEndpointFactory()
    redemptions.redeem(CodeFactory().code, UserFactory())
    fan_out()  # the worker's part: the deliveries
    event, delivery = Event.objects.first(), Delivery.objects.first()
    assert admin_client.get(f"/admin/events/event/{event.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/events/delivery/{delivery.pk}/change/").status_code == 200
    assert admin_client.get("/admin/events/event/add/").status_code == 403
