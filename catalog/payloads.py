"""Event data for the catalog's changes (see `events.payloads`)."""

from catalog.models import Entitlement
from events.payloads import snapshot

ENTITLEMENT_FIELDS = ["id", "user", "item", "starts_at", "expires_at", "source", "source_ref",
                      "preview_only", "revoked_at", "revoked_reason", "granted_by"]


def entitlement(grant: Entitlement) -> dict:
    return snapshot(grant, ENTITLEMENT_FIELDS)
