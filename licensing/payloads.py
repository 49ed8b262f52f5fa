"""Event data for licensing's changes (see `events.payloads`)."""

from events.payloads import snapshot
from licensing.models import License, Seat

SEAT_FIELDS = ["id", "license", "user", "assigned_at", "expires_at", "ends_by", "revoked_at",
               "revoked_reason", "source", "source_ref"]
LICENSE_FIELDS = ["id", "client", "name", "label", "sku", "seats_limit", "parent"]


def seat(held: Seat) -> dict:
    return snapshot(held, SEAT_FIELDS)


def license_full(license: License) -> dict:
    return snapshot(license, LICENSE_FIELDS, seats_used=license.seats_limit)
