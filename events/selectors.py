"""Reads of the events app: an event as every reader sees it (the native feed, the webhook
body), the feeds' querysets, an endpoint's deliveries."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet

from core import rows
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


def endpoints_from(found: list[tuple], using: str = DEFAULT_DB_ALIAS) -> list[WebhookEndpoint]:
    """The endpoints in the rows of `active_endpoints_sql` (read for each state change's
    events, so the statement is written once)."""
    return [rows.load(WebhookEndpoint, row, using=using) for row in found]


@rows.cached
def active_endpoints_sql(using: str = DEFAULT_DB_ALIAS) -> str:
    """The active endpoints (a short list), by creation."""
    quote = rows.quoter(using)
    meta = WebhookEndpoint._meta
    return (f"SELECT {rows.select_columns(WebhookEndpoint, 'e', using)} "
            f"FROM {quote(meta.db_table)} e WHERE e.{quote(meta.get_field('is_active').column)} "
            f"ORDER BY e.{quote(meta.get_field('created_at').column)}, e.{quote(meta.pk.column)}")

