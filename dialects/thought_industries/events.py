"""Thought Industries' event feed: `GET /incoming/v2/events/redemptionCodeRedeem`.

As Thought Industries documents it: `cursor` (from the last page's `pageInfo`), `startDate`
and `endDate` (ISO 8601), `userId`, `notifiableId` (the code group) and `kind`; the answer is
`{"data": {"APIEvents": {"pageInfo": {"perPage", "cursor", "total", "hasMore"}, "events":
[...]}}}`, oldest first. The feed holds the code events, in TI's words: `redemptionCodeRedeem`
(the default), `redemptionCodeRollback` and `redemptionCodeGroupCreate` (`kind` takes one or a
comma list). The Zype-style filters work here too.
"""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.filters import InstantFilter, ZypeFilters
from dialects.thought_industries.base import ThoughtIndustriesView
from dialects.thought_industries.fields import TimeField
from dialects.thought_industries.pagination import CursorPagination
from events import selectors
from events.models import EventKind

TI_KINDS = {"redemptionCodeRedeem": EventKind.CODE_REDEEMED,
            "redemptionCodeRollback": EventKind.REDEMPTION_ROLLED_BACK,
            "redemptionCodeGroupCreate": EventKind.CODE_GROUP_CREATED}
DEFAULT_KIND = "redemptionCodeRedeem"
OUR_KINDS = {ours: theirs for theirs, ours in TI_KINDS.items()}


@extend_schema_field(OpenApiTypes.STR)
class KindFilter(django_filters.CharFilter):
    """`kind=`: one of TI's kinds or a comma list of them (default `redemptionCodeRedeem`)."""

    def filter(self, qs, value):
        names = [part.strip() for part in (value or DEFAULT_KIND).split(",") if part.strip()]
        unknown = [name for name in names if name not in TI_KINDS]
        if unknown or not names:
            raise ValidationError({"kind": [f"kind must be one of {', '.join(TI_KINDS)}."]})
        return qs.filter(kind__in=[TI_KINDS[name] for name in names])


class EventPagination(CursorPagination):
    sort_fields = {"id": "id"}
    default_sort = "id:asc"

    def get_paginated_response(self, data):
        return Response({"data": {"APIEvents": {
            "pageInfo": {"perPage": self.per_page, "cursor": self.cursor,
                         "total": self.total, "hasMore": self.has_more},
            "events": data}}})

    def get_paginated_response_schema(self, schema):
        return {"type": "object", "properties": {"data": {"type": "object", "properties": {
            "APIEvents": {"type": "object", "properties": {
                "pageInfo": {"type": "object", "properties": {
                    "perPage": {"type": "integer"},
                    "cursor": {"type": "string", "nullable": True},
                    "total": {"type": "integer"}, "hasMore": {"type": "boolean"}}},
                "events": schema}}}}}}


class TIEventSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    kind = serializers.SerializerMethodField()
    createdAt = TimeField(source="occurred_at")
    userId = serializers.UUIDField(source="user_id", read_only=True, allow_null=True)
    userEmail = serializers.EmailField(source="user.email", read_only=True, allow_null=True,
                                       default=None)
    notifiableId = serializers.UUIDField(source="group_id", read_only=True, allow_null=True)
    redemptionCode = serializers.SerializerMethodField()
    redemptionCodeGroupId = serializers.UUIDField(source="group_id", read_only=True,
                                                  allow_null=True)
    redemptionId = serializers.SerializerMethodField()
    transactionId = serializers.SerializerMethodField()

    def get_kind(self, event) -> str:
        return OUR_KINDS[event.kind]

    def get_redemptionCode(self, event) -> str | None:
        return event.data.get("code")

    def get_redemptionId(self, event) -> str | None:
        return event.object_id if event.object_type == "redemption" else None

    def get_transactionId(self, event) -> str | None:
        return event.data.get("transaction_id") or None


class RedemptionCodeRedeemEventsView(ThoughtIndustriesView, generics.ListAPIView):
    """Redemption events, oldest first, in Thought Industries' event-feed shape."""

    queryset = selectors.events()
    serializer_class = TIEventSerializer
    pagination_class = EventPagination
    zype_filters = ZypeFilters(
        equal={"kind": KindFilter(help_text=f"One of {', '.join(TI_KINDS)} (comma list "
                                            f"allowed); default {DEFAULT_KIND}."),
               "startDate": InstantFilter(field_name="occurred_at", lookup_expr="gte",
                                          help_text="From this time (ISO 8601)."),
               "endDate": InstantFilter(field_name="occurred_at", lookup_expr="lte",
                                        help_text="Until this time (ISO 8601)."),
               "userId": django_filters.UUIDFilter(field_name="user_id"),
               "notifiableId": django_filters.UUIDFilter(field_name="group_id",
                                                         help_text="The code group's id.")},
        times={"createdAt": "occurred_at"},
        text=["object_id"],
        id_element=forms.IntegerField,
    )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if "kind" not in self.request.query_params:  # the filter runs only when given
            queryset = queryset.filter(kind=TI_KINDS[DEFAULT_KIND])
        return queryset

    @extend_schema(responses={200: TIEventSerializer(many=True), 400: None, 401: None,
                              403: None})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
