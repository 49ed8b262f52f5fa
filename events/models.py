"""The outbox and its webhooks: `Event` (one row per committed state change, monotonic ids),
`WebhookEndpoint` (where to send which kinds, with its signing secret), `Delivery` (one event
to one endpoint: its state and next try) and `DeliveryAttempt` (every try, as it went)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from core.models import TimeStamped


class EventKind(models.TextChoices):
    CODE_GROUP_CREATED = "code_group.created"
    CODE_REDEEMED = "code.redeemed"
    REDEMPTION_ROLLED_BACK = "redemption.rolled_back"
    SEAT_ASSIGNED = "seat.assigned"
    SEAT_REVOKED = "seat.revoked"
    LICENSE_FULL = "license.full"
    COUPON_APPLIED = "coupon.applied"
    COUPON_USAGE_APPROVED = "coupon_usage.approved"
    COUPON_USAGE_REJECTED = "coupon_usage.rejected"
    ENTITLEMENT_GRANTED = "entitlement.granted"
    ENTITLEMENT_REVOKED = "entitlement.revoked"
    JOB_FINISHED = "job.finished"


class EventQuerySet(models.QuerySet):
    def after(self, event_id: int) -> EventQuerySet:
        return self.filter(id__gt=event_id)


class Event(models.Model):
    """Something that happened, written in the transaction of the change itself: it exists
    exactly when the change committed (the outbox). Ids only grow (a bigint sequence), so
    `after=<id>` resumes a feed; `group_id` is the code group a code's events belong to (TI's
    `notifiableId`). `awaiting_fan_out`: its deliveries are still to be made by a worker."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    occurred_at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+",
                             db_index=False)  # `event_user_id` leads with it
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    group_id = models.UUIDField(null=True, blank=True)
    data = models.JSONField(default=dict)
    # True from the change's commit until a worker has made its deliveries (`fan_out`): set
    # only when some active endpoint wanted the kind then, so with no endpoints it stays False.
    awaiting_fan_out = models.BooleanField(default=False, editable=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["kind", "id"], name="event_kind_id"),
            models.Index(fields=["user", "id"], name="event_user_id"),
            models.Index(fields=["group_id", "id"], name="event_group_id"),
            models.Index(fields=["occurred_at"], name="event_occurred_at"),
            # only the events waiting for their deliveries: a handful, not every event
            models.Index(fields=["id"], name="event_awaiting_fan_out",
                         condition=models.Q(awaiting_fan_out=True)),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.kind} {self.object_type} {self.object_id}"


class WebhookEndpoint(TimeStamped):
    """A receiver: its URL, the kinds it wants (empty: every kind) and its Standard Webhooks
    secret (`whsec_…`, shown once when made or rotated). `failing_since` is the start of an
    unbroken run of failed attempts; after `WEBHOOK_DEACTIVATE_AFTER` of it the endpoint is
    switched off and `deactivated_reason` says why."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    kinds = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    deactivated_at = models.DateTimeField(null=True, blank=True, editable=False)
    deactivated_reason = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["is_active"], name="webhook_endpoint_active")]

    def __str__(self) -> str:
        return self.url

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class DeliveryQuerySet(models.QuerySet):
    def due(self, at) -> DeliveryQuerySet:
        """Pending deliveries whose next try is due and that no worker holds a lease on."""
        return self.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=at).filter(
            models.Q(leased_until__isnull=True) | models.Q(leased_until__lte=at))


class Delivery(TimeStamped):
    """One event for one endpoint, made by a worker's fan-out of the event (the endpoints
    wanting its kind then; one per pair at most). Its `webhook_id` stays
    the same on every try (receivers de-duplicate by it). A worker takes a short lease
    before it sends, so two workers never send one delivery at once; a worker that dies
    mid-send leaves a lease that runs out, and the sweep sends it again."""

    id = models.BigAutoField(primary_key=True)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT,
                                 related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"],
                                               name="one_delivery_per_endpoint_and_event")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["endpoint", "status", "id"], name="delivery_endpoint_status"),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} → {self.endpoint_id} ({self.status})"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.event_id}"


class DeliveryAttempt(models.Model):
    """One try of a delivery: when, the answer's status (None: no answer), how long it took,
    and a short excerpt of the answer or of the error."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    succeeded = models.BooleanField()
    response_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    excerpt = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["delivery", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"
