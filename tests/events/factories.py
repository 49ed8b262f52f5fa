"""Factories for the events app; nothing is built at import time."""

import factory

from events.models import WebhookEndpoint
from events.services import new_secret


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    url = factory.Sequence(lambda n: f"http://127.0.0.1:8169/hook/{n}")
    secret = factory.LazyFunction(new_secret)
