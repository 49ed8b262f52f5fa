"""Reads of the catalog shared by the API and the learner pages."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from catalog.access import AccessGrant, accessible_items, providers, roots_reaching
from catalog.models import CatalogItem, Entitlement, EntitlementSource
from core.relations import count_references, references_to

SOURCE_LABELS = {
    EntitlementSource.REDEMPTION: "Redeemed code",
    EntitlementSource.COUPON: "Coupon",
    EntitlementSource.MANUAL: "Granted by staff",
    "seat": "License seat",
}


@dataclass(frozen=True)
class Holding:
    """One item a learner may open: until when (None: no end), what granted it, and the
    container it comes through (None when it was granted directly)."""

    item: CatalogItem
    expires_at: dt.datetime | None
    source: str
    via: CatalogItem | None = None

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source.replace("_", " ").capitalize())


def holdings(user, at: dt.datetime | None = None) -> list[Holding]:
    """What `user` may open at `at` (default now), by title, each with its latest expiry.

    The items are `accessible_items(user)`; each one's "until when" is the longest-lasting of
    the learner's active entitlements and providers' grants (license seats) that reach it,
    directly or through a container. Queries: one for entitlements, one per provider, one for
    the containers' reach and one for the items, whatever the number of grants.
    """
    at = at or timezone.now()
    if user is None or not getattr(user, "pk", None):
        return []
    grants = [
        AccessGrant(source, str(pk), expires_at, item_id)
        for pk, source, expires_at, item_id in Entitlement.objects.active(at)
        .filter(user=user).values_list("pk", "source", "expires_at", "item_id")
    ]
    for provider in providers():
        grants.extend(provider.root_grants(user, at))
    if not grants:
        return []
    by_root: dict[object, list[AccessGrant]] = defaultdict(list)
    for grant in grants:
        by_root[grant.item_id].append(grant)
    reached = roots_reaching(by_root)
    items = {item.pk: item for item in accessible_items(user, at)}

    def lasts(candidate: tuple[AccessGrant, object], item_id: object) -> tuple:
        grant, root = candidate
        return (grant.expires_at is None, grant.expires_at or at, root == item_id)

    rows = []
    for item_id, item in items.items():
        candidates = [(g, root) for root in reached.get(item_id, ()) for g in by_root[root]]
        if not candidates:
            continue
        grant, root = max(candidates, key=lambda c, i=item_id: lasts(c, i))
        rows.append(Holding(item=item, expires_at=grant.expires_at, source=grant.source,
                            via=None if root == item_id else items.get(root)))
    rows.sort(key=lambda h: (h.item.title.lower(), str(h.item.pk)))
    return rows



def item_uses(item: CatalogItem) -> dict[str, int]:
    """What points at `item`, from any app, by kind of use, non-zero counts only
    ({"grant(s)": 2, "license(s) (courses)": 1}); one query (`core.relations`)."""
    return count_references(item, references_to(CatalogItem, labels={
        (Entitlement, "item"): "grant(s)",
        (CatalogItem, "includes"): "container(s) including it",
    }))
