"""Refusals of the catalog and access rules."""

from core.errors import Conflict, DomainError


class CatalogError(DomainError):
    default_code = "catalog_invalid"
    http_status = 400


class IncludesCycle(CatalogError):
    default_code = "includes_cycle"
    default_message = "An item cannot include itself, directly or through other items."


class EntitlementError(DomainError):
    default_code = "entitlement_invalid"
    http_status = 400


class ItemInUse(Conflict, CatalogError):
    """Something points at the item (a grant, a license, an offer…): it is not deleted, nor
    changed to another kind (409)."""

    default_code = "in_use"
