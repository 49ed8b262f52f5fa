"""Native API for events and webhooks: `GET /api/v1/events` (the outbox as a feed, resumable
with `after=<id>`) and `/api/v1/webhook-endpoints` (CRUD, the secret shown once and rotatable,
each endpoint's deliveries, staff retries).

Snake_case JSON, errors `{"errors": [{"code", "message", "field"}]}`; API keys or staff.
"""

from __future__ import annotations

from django import forms
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import ZypeFilters
from dialects.common.filters import LearnerFilter, WholeNumberFilter
from dialects.native.base import NativeView
from events import selectors, services
from events.models import Delivery, DeliveryAttempt, DeliveryStatus, EventKind, WebhookEndpoint

ERRORS = {400: None, 401: None, 403: None, 404: None}


# --- the feed ---------------------------------------------------------------------------------

class EventUserSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()


class EventObjectSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()


class EventSerializer(serializers.Serializer):
    """An event as the feed lists it and a webhook carries it (`events.selectors.event_body`)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    occurred_at = serializers.DateTimeField()
    user = EventUserSerializer(allow_null=True, help_text="The learner involved, if any.")
    object = EventObjectSerializer()
    data = serializers.JSONField(help_text="The object as it was, in the native API's fields.")

    def to_representation(self, instance):
        return selectors.event_body(instance)


class EventListView(NativeView, generics.ListAPIView):
    """Every event, oldest first; `after=<id>` resumes where the last page stopped."""

    queryset = selectors.events()
    serializer_class = EventSerializer
    zype_filters = ZypeFilters(
        equal={"after": WholeNumberFilter(field_name="id", lookup_expr="gt",
                                          help_text="Only events after this id."),
               "kind": "kind", "user": LearnerFilter(help_text="A learner's id or email."),
               "object_type": "object_type", "object_id": "object_id"},
        times={"occurred_at": "occurred_at"},
        text=["kind", "object_type", "object_id"],
        id_element=forms.IntegerField,
    )

    @extend_schema(responses={200: EventSerializer(many=True), 400: None, 401: None, 403: None})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- webhook endpoints --------------------------------------------------------------------------

class WebhookEndpointSerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=EventKind.choices), required=False,
        help_text="The kinds to send; empty: every kind.")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "kinds", "is_active", "failing_since",
                  "deactivated_at", "deactivated_reason", "created_at", "updated_at"]
        read_only_fields = ["id", "failing_since", "deactivated_at", "deactivated_reason",
                            "created_at", "updated_at"]
        extra_kwargs = {"url": {"validators": []}}  # the service's check says why, once

    def create(self, validated_data):
        return services.create_endpoint(**validated_data)

    def update(self, instance, validated_data):
        return services.update_endpoint(instance, **validated_data)


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """The endpoint with its signing secret: only in the answer that made or rotated it."""

    secret = serializers.CharField(read_only=True, help_text="Shown this once: keep it.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["attempted_at", "succeeded", "response_code", "latency_ms", "excerpt"]


class DeliverySerializer(serializers.ModelSerializer):
    event = serializers.IntegerField(source="event_id", read_only=True)
    kind = serializers.CharField(source="event.kind", read_only=True)
    webhook_id = serializers.CharField(read_only=True)
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "event", "kind", "webhook_id", "status", "attempts", "next_attempt_at",
                  "last_response_code", "last_error", "delivered_at", "created_at",
                  "attempt_log"]
        read_only_fields = fields


RETRIED = inline_serializer("RetriedDeliveries", {"retried": serializers.IntegerField()})


class WebhookEndpointViewSet(NativeView, mixins.CreateModelMixin, mixins.ListModelMixin,
                             mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                             mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Where events are sent, signed per Standard Webhooks; each endpoint's deliveries."""

    required_permissions = {
        "rotate_secret": ["events.change_webhookendpoint"],
        "retry_delivery": ["events.change_webhookendpoint"],
        "retry_failed": ["events.change_webhookendpoint"],
    }
    queryset = WebhookEndpoint.objects.order_by("created_at", "id")
    serializer_class = WebhookEndpointSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    zype_filters = ZypeFilters(
        equal={"url": "url", "is_active": "is_active"},
        times={"created_at": "created_at", "updated_at": "updated_at",
               "deactivated_at": "deactivated_at"},
        text=["url", "description"],
    )

    @extend_schema(responses={201: WebhookEndpointWithSecretSerializer, 400: None, 401: None,
                              403: None})
    def create(self, request, *args, **kwargs):
        """Add an endpoint; the answer carries its secret, shown this once."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = serializer.save()
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, **ERRORS, 409: None})
    def destroy(self, request, *args, **kwargs):
        """Delete an endpoint that has no deliveries (409 otherwise: deactivate it)."""
        return super().destroy(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: WebhookEndpointWithSecretSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret, shown this once; later deliveries are signed with it."""
        endpoint = services.rotate_secret(self.get_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=DeliveryStatus.values)],
        responses={200: DeliverySerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        """This endpoint's deliveries, newest first, each with its attempts."""
        rows = selectors.deliveries(self.get_object())
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in DeliveryStatus.values:
                raise serializers.ValidationError(
                    {"status": [f"Give one of {', '.join(DeliveryStatus.values)}."]})
            rows = rows.filter(status=wanted)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={200: DeliverySerializer, **ERRORS, 409: None},
                   operation_id="api_v1_webhook_endpoints_delivery_retry")
    @action(detail=True, methods=["post"], filter_backends=[],
            url_path=r"deliveries/(?P<delivery_id>[0-9]{1,18})/retry")
    def retry_delivery(self, request, pk=None, delivery_id=None):
        """Send one delivery again now (409 once it has succeeded)."""
        delivery = get_object_or_404(Delivery, pk=delivery_id, endpoint=self.get_object())
        return Response(DeliverySerializer(services.retry_delivery(delivery)).data)

    @extend_schema(request=None, responses={200: RETRIED, **ERRORS},
                   operation_id="api_v1_webhook_endpoints_deliveries_retry_failed")
    @action(detail=True, methods=["post"], filter_backends=[], url_path="deliveries/retry")
    def retry_failed(self, request, pk=None):
        """Send every failed delivery of this endpoint again now."""
        return Response({"retried": services.retry_failed(self.get_object())})
