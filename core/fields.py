"""Serializer fields every dialect shares.

`ExpiryField` reads when something ends — a code's expiry, the end of the access a code
grants, a license's expiry — the same way in every dialect: an ISO 8601 date or time, or a
Unix timestamp in seconds. A bare date means the **end** of that day (UTC), so a code
"expiring 2017-01-15" redeems all day on the 15th. Fields that say when something starts
(and the Zype-style list filters) keep `core.time.parse_instant`'s reading: the start of
the day.
"""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.time import parse_instant


@extend_schema_field({"oneOf": [
    {"type": "string", "format": "date", "example": "2024-01-01",
     "description": "The end of that day, UTC."},
    {"type": "string", "format": "date-time"},
    {"type": "integer", "description": "Unix time (seconds)."},
]})
class ExpiryField(serializers.Field):
    """When something ends: a date (the last moment of that day, UTC), an ISO 8601 time or a
    Unix timestamp. `blank_is_null`: an empty string clears the value (form posts)."""

    default_error_messages = {
        "invalid": "must be an ISO 8601 date or time (2024-01-01, meaning the end of that day "
                   "UTC, or 2024-01-01T12:00:00Z) or a Unix timestamp.",
    }

    def __init__(self, *, blank_is_null: bool = False, **kwargs) -> None:
        self.blank_is_null = blank_is_null
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if self.blank_is_null and data == "":
            return True, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data) -> dt.datetime:
        if isinstance(data, bool) or data == "":
            self.fail("invalid")
        try:
            return parse_instant(data, end_of_day=True)
        except (TypeError, ValueError):
            self.fail("invalid")

    def to_representation(self, value: dt.datetime | None) -> str | None:
        return value.isoformat() if value is not None else None
