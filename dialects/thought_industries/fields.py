"""Thought Industries' field forms, shared by its code and license endpoints."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.time import iso_millis_z


@extend_schema_field({"type": "array", "items": {"type": "string", "format": "uuid"}})
class IdListField(serializers.ListField):
    child = serializers.CharField(max_length=100)

    def to_internal_value(self, data):
        if isinstance(data, str):  # one id alone, as some clients send it
            data = [data]
        return [value.strip() for value in super().to_internal_value(data) if value.strip()]


@extend_schema_field({"oneOf": [
    {"type": "string", "format": "uuid"},
    {"type": "array", "items": {"type": "string", "format": "uuid"}},
]})
class UuidListField(serializers.Field):
    """One UUID string (or a comma-separated few) or an array of them."""

    default_error_messages = {"invalid": "Give a UUID or an array of UUIDs.",
                              "bad_uuid": "{value!r} is not a valid UUID."}

    def to_internal_value(self, data):
        if data in (None, ""):
            return []
        if isinstance(data, str):
            data = [part for part in data.split(",") if part.strip()]
        if not isinstance(data, list):
            self.fail("invalid")
        ids = []
        for value in data:
            try:
                ids.append(uuid.UUID(str(value).strip()) if isinstance(value, str) else
                           uuid.UUID(value))
            except (TypeError, ValueError, AttributeError):
                self.fail("bad_uuid", value=str(value)[:80])
        return list(dict.fromkeys(ids))

    def to_representation(self, value):
        return [str(v) for v in value]


@extend_schema_field({"type": "string", "format": "date-time", "nullable": True,
                      "example": "2024-01-01T00:00:00.000Z"})
class TimeField(serializers.ReadOnlyField):
    """`2024-01-01T00:00:00.000Z`, as Thought Industries writes times."""

    def to_representation(self, value):
        return iso_millis_z(value)
