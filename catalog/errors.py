"""Refusals of the catalog and access rules."""

from core.errors import Conflict, DomainError, NotFound


class CatalogError(DomainError):
    default_code = "catalog_invalid"
    http_status = 400


class ItemNotFound(NotFound, CatalogError):
    """No catalog item has the id (or external id) given, of the kinds asked for (404)."""

    default_code = "item_not_found"
    default_message = "No catalog item has this id."


class IncludesCycle(CatalogError):
    default_code = "includes_cycle"
    default_message = "An item cannot include itself, directly or through other items."


class EntitlementError(DomainError):
    default_code = "entitlement_invalid"
    http_status = 400


class EntitlementRevoked(EntitlementError):
    """A revoked grant is history: it is not changed (grant the item again instead)."""

    default_code = "entitlement_revoked"
    default_message = "This grant has been revoked; grant the item again instead."
    http_status = 409


class EndNotLater(EntitlementError):
    """An extension must end later than the grant does now, and in the future."""

    default_code = "end_not_later"
    default_message = "The new end must be later than the current one, and in the future."


class ItemInUse(Conflict, CatalogError):
    """Something points at the item (a grant, a license, an offer…): it is not deleted, nor
    changed to another kind (409)."""

    default_code = "in_use"
