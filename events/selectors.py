"""Reads of the events app: an event as every reader sees it (the native feed, the webhook
body), the feeds' querysets, an endpoint's deliveries."""

from __future__ import annotations

from django.db.models import QuerySet

from events.models import Delivery, Event, WebhookEndpoint


def event_body(event: Event) -> dict:
    """The event as the native feed lists it and as a webhook's body carries it."""
    user = event.user
    return {
        "id": event.id,
        "kind": event.kind,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "user": {"id": str(user.pk), "email": user.email} if user is not None else None,
        "object": {"type": event.object_type, "id": event.object_id},
        "data": event.data,
    }


def events() -> QuerySet[Event]:
    return Event.objects.select_related("user").order_by("id")


def deliveries(endpoint: WebhookEndpoint) -> QuerySet[Delivery]:
    return (Delivery.objects.filter(endpoint=endpoint).select_related("event")
            .prefetch_related("attempt_log").order_by("-id"))


def active_endpoints() -> QuerySet[WebhookEndpoint]:
    """The active endpoints, with what `wants` reads (a short list: read for every event
    written, or for each `batched_events` block)."""
    return WebhookEndpoint.objects.filter(is_active=True).only("id", "kinds")

