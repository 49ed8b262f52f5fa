"""Who may open what: `has_access` and `accessible_items`.

Access to an item comes from the learner's direct entitlements and from *access providers*
that other apps register (licensing plugs its seats in when it is ready, so `catalog` never
imports `licensing`). Containers open what they include, transitively: an item is covered by
itself and every item that includes it, which one recursive CTE over the `includes` table
finds (UNION, not UNION ALL, so a cycle that slipped in still terminates).

Query count: `has_access` runs ONE query whatever the number of entitlements, licenses or
providers: the direct entitlements and each provider's `grant_rows` (the covering set a CTE
inside each) joined by UNION ALL — a provider without `grant_rows` adds one query of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, CharField, F, QuerySet, UUIDField, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone

from catalog.models import CatalogItem, Entitlement


@dataclass(frozen=True)
class AccessGrant:
    """One reason a learner may open an item: what granted it, until when (None: no end),
    and whether it opens only the item's preview (a previewAccessOnly coupon's grant)."""

    source: str
    id: str
    expires_at: dt.datetime | None
    item_id: object = None
    preview: bool = False


@dataclass(frozen=True)
class Access:
    has_access: bool
    expires_at: dt.datetime | None = None
    via: list[AccessGrant] = field(default_factory=list)

    @property
    def preview_only(self) -> bool:
        """Every grant in force opens only a preview: the learner may open the preview, not
        the whole item."""
        return bool(self.via) and all(g.preview for g in self.via)

    def as_dict(self) -> dict:
        return {
            "has_access": self.has_access,
            "expires_at": self.expires_at,
            "preview_only": self.preview_only,
            "via": [{"source": g.source, "id": g.id, "preview": g.preview} for g in self.via],
        }


class AccessProvider:
    """What another app plugs in. Both methods take the covering set as a SQL subquery."""

    def grants(self, user, covering: RawSQL, at: dt.datetime) -> list[AccessGrant]:
        rows = self.grant_rows(user, covering, at)
        if rows is None:
            raise NotImplementedError
        return [AccessGrant(source, str(pk), expires_at, item_id, bool(preview))
                for pk, expires_at, item_id, source, preview in rows]

    def grant_rows(self, user, covering: RawSQL, at: dt.datetime) -> QuerySet | None:
        """The grants as a queryset of `grant_rows(queryset, source, item=...)` rows, so
        `has_access` asks the entitlements and every provider in one query (UNION ALL).
        None (the default): `has_access` calls `grants` instead."""
        return None

    def root_item_ids(self, user, at: dt.datetime) -> QuerySet:
        """A queryset selecting one column: the ids of the items granted directly."""
        raise NotImplementedError

    def root_grants(self, user, at: dt.datetime) -> list[AccessGrant]:
        """The grants behind `root_item_ids`, each with its `item_id` and expiry (what the
        learner's access page lists). Override with one query; this default asks `grants`
        once per root item."""
        result = []
        for row in self.root_item_ids(user, at):
            item_id = next(iter(row.values())) if isinstance(row, dict) else (
                row[0] if isinstance(row, tuple) else row)
            for grant in self.grants(user, covering_items_sql(item_id), at):
                result.append(AccessGrant(grant.source, grant.id, grant.expires_at, item_id))
        return result


_providers: list[AccessProvider] = []


def register_provider(provider: AccessProvider) -> None:
    if not any(type(p) is type(provider) for p in _providers):
        _providers.append(provider)


def providers() -> list[AccessProvider]:
    return list(_providers)


def _includes_table() -> tuple[str, str, str]:
    through = CatalogItem.includes.through
    qn = connection.ops.quote_name
    return (qn(through._meta.db_table),
            qn(through._meta.get_field("from_catalogitem").column),
            qn(through._meta.get_field("to_catalogitem").column))


def _db_id(item_id: object) -> object:
    return CatalogItem._meta.pk.get_db_prep_value(item_id, connection)


def covering_items_sql(item_id: object) -> RawSQL:
    """The item and every item that includes it, transitively: owning any of them opens it."""
    table, parent, child = _includes_table()
    sql = (
        f"WITH RECURSIVE up(id) AS (SELECT %s UNION "
        f"SELECT inc.{parent} FROM {table} inc JOIN up ON inc.{child} = up.id) "
        f"SELECT id FROM up"
    )
    return RawSQL(sql, (_db_id(item_id),))


def _expand_down_sql(anchors: list[tuple[str, tuple]]) -> tuple[str, tuple]:
    table, parent, child = _includes_table()
    anchor_sql = " UNION ".join(f"SELECT * FROM ({sql}) a" for sql, _ in anchors)
    params: tuple = ()
    for _, p in anchors:
        params += tuple(p)
    sql = (
        f"WITH RECURSIVE down(id) AS ({anchor_sql} UNION "
        f"SELECT inc.{child} FROM {table} inc JOIN down ON inc.{parent} = down.id) "
        f"SELECT id FROM down"
    )
    return sql, params


def roots_reaching(item_ids: Iterable[object]) -> dict[object, set]:
    """Every item reachable through `includes` from `item_ids` (themselves too), each with
    the set of those items it is reached from. One recursive query."""
    roots = [_db_id(i) for i in dict.fromkeys(item_ids)]
    if not roots:
        return {}
    table, parent, child = _includes_table()
    placeholders = ", ".join(["(%s, %s)"] * len(roots))
    sql = (
        f"WITH RECURSIVE down(root, id) AS (SELECT * FROM (VALUES {placeholders}) seed UNION "
        f"SELECT down.root, inc.{child} FROM {table} inc JOIN down ON inc.{parent} = down.id) "
        f"SELECT root, id FROM down"
    )
    pk = CatalogItem._meta.pk
    reached: dict[object, set] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for root in roots for value in (root, root)])
        for root, item_id in cursor.fetchall():
            reached.setdefault(pk.to_python(item_id), set()).add(pk.to_python(root))
    return reached


def descendant_ids(item_ids: Iterable[object]) -> set:
    """Every item reachable through `includes` from these items (the items themselves too)."""
    return set(roots_reaching(item_ids))


def _combine(grants: list[AccessGrant]) -> Access:
    if not grants:
        return Access(False)
    ends = [g.expires_at for g in grants]
    expires_at = None if any(end is None for end in ends) else max(ends)
    return Access(True, expires_at, grants)


def grant_rows(queryset: QuerySet, source: str, *, item: str | None = None,
               preview: str | None = None) -> QuerySet:
    """`queryset`'s grants as rows (pk, expires_at, item id or NULL, source, preview only):
    the shape every part of `has_access`'s UNION ALL has (model fields first, then
    annotations, in order)."""
    item_value = F(item) if item else Value(None, output_field=UUIDField())
    preview_value = F(preview) if preview else Value(False, output_field=BooleanField())
    return (queryset.order_by()
            .annotate(_grant_item=item_value, _grant_source=Value(source, CharField()),
                      _grant_preview=preview_value)
            .values_list("pk", "expires_at", "_grant_item", "_grant_source", "_grant_preview"))


def has_access(user, item: CatalogItem | object, at: dt.datetime | None = None) -> Access:
    """Whether `user` may open `item` at `at` (default now), until when, and through what.
    One query (see the module's docstring)."""
    at = at or timezone.now()
    if user is None or not getattr(user, "pk", None):
        return Access(False)
    item_id = getattr(item, "pk", item)
    covering = covering_items_sql(item_id)
    rows = grant_rows(Entitlement.objects.active(at).filter(user=user, item_id__in=covering),
                      "entitlement", item="item_id", preview="preview_only")
    grants: list[AccessGrant] = []
    parts = []
    for provider in _providers:
        part = provider.grant_rows(user, covering, at)
        if part is None:
            grants.extend(provider.grants(user, covering, at))
        else:
            parts.append(part)
    if parts:
        rows = rows.union(*parts, all=True)
    grants[:0] = [AccessGrant(source, str(pk), expires_at, covered, bool(preview))
                  for pk, expires_at, covered, source, preview in rows]
    return _combine(grants)


def accessible_items(user, at: dt.datetime | None = None) -> QuerySet[CatalogItem]:
    """Every item `user` may open at `at`: direct grants and providers, expanded downwards."""
    at = at or timezone.now()
    if user is None or not getattr(user, "pk", None):
        return CatalogItem.objects.none()
    roots: list[QuerySet] = [
        Entitlement.objects.active(at).filter(user=user).values("item_id")
    ]
    roots.extend(p.root_item_ids(user, at) for p in _providers)
    anchors = []
    for qs in roots:
        sql, params = qs.query.sql_with_params()
        anchors.append((sql, params))
    sql, params = _expand_down_sql(anchors)
    return CatalogItem.objects.filter(pk__in=RawSQL(sql, params))

