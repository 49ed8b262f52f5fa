"""Who may open what: `has_access` and `accessible_items`.

Access to an item comes from the learner's direct entitlements and from *access providers*
that other apps register (licensing plugs its seats in when it is ready, so `catalog` never
imports `licensing`). Containers open what they include, transitively: an item is covered by
itself and every item that includes it, which one recursive CTE over the `includes` table
finds (UNION, not UNION ALL, so a cycle that slipped in still terminates).

Query count: `check_access` (and `has_access` through it) runs ONE statement whatever the
number of entitlements, licenses or providers: the learner (by id or email), the item (by id
or external id), the covering set (one recursive CTE) and the grants — the direct
entitlements and each provider's `grant_rows` joined by UNION ALL — with the learner and the
item LEFT JOINed, so an unknown learner and an unknown item are told apart from its rows. A
provider without `grant_rows` adds one query of its own. The statement is built by the ORM
once per database vendor (`_statement`) and only its parameters change per call: no query
compilation on the hot path. One statement is also one snapshot: the learner, the item and
the grants are read at the same instant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, CharField, F, QuerySet, UUIDField, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone

from catalog.models import CatalogItem, Entitlement
from core.rows import iexact, iexact_value


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
        None (the default): `has_access` calls `grants` instead.

        `user` may be an expression selecting the learner's id rather than a user (the one
        statement of `check_access` is compiled once, with the learner, the covering set and
        `at` as placeholders): use it only in `filter(user=user)`-like lookups, and use `at`
        only as a lookup's value (each such parameter is replaced at every call)."""
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


@dataclass(frozen=True)
class AccessCheck:
    """What `check_access`'s one statement found: the learner's and the item's ids (None:
    no such learner, no such item) and the access (none unless both were found)."""

    learner_id: object
    item_id: object
    access: Access


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple  # the template: the four look-up values first, `at`'s slots to fill
    at_slots: tuple[int, ...]
    converters: tuple  # per grant column: (converters, expression), as the ORM applies them
    fallback: tuple[AccessProvider, ...]  # providers without `grant_rows`: a query each


# Where `at` goes in the compiled statement: a value no caller passes, found among the
# compiled parameters and replaced at every call. The statement is compiled with a second
# one too, and must differ only there: a provider that derived anything else from `at` (a
# date, an interval) would be refused rather than answer for the wrong moment.
_AT = dt.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)
_AT_TOO = dt.datetime(1902, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)
_statements: dict[tuple, _Statement] = {}


def _statement() -> _Statement:
    """The access check's statement for this connection's vendor and the providers
    registered: built by the ORM on first use, then kept (a race builds it twice, alike)."""
    key = (connection.vendor, *_providers)
    statement = _statements.get(key)
    if statement is None:
        statement = _build_statement(_AT)
        again = _build_statement(_AT_TOO)
        changed = tuple(i for i, (one, other) in enumerate(zip(statement.params, again.params,
                                                                 strict=True))
                        if one != other)
        if again.sql != statement.sql or changed != statement.at_slots:
            raise AssertionError("an access provider's grant_rows uses `at` other than as a "
                                 "lookup's value: the access check cannot be compiled once")
        _statements[key] = statement
    return statement


def _build_statement(moment: dt.datetime) -> _Statement:
    qn = connection.ops.quote_name
    user_model = get_user_model()
    table, parent, child = _includes_table()
    user_pk, item_pk = qn(user_model._meta.pk.column), qn(CatalogItem._meta.pk.column)
    external = qn(CatalogItem._meta.get_field("external_id").column)
    # LIMIT 1: two learners whose emails differ only in case (rows older than saving in
    # lower case) must reach the MultipleObjectsReturned below, not fail in the database
    learner = RawSQL("SELECT id FROM access_learner LIMIT 1", ())
    covering = RawSQL("SELECT id FROM access_up", ())
    rows = grant_rows(Entitlement.objects.active(moment).filter(user=learner,
                                                             item_id__in=covering),
                      "entitlement", item="item_id", preview="preview_only")
    parts, fallback = [], []
    for provider in _providers:
        part = provider.grant_rows(learner, covering, moment)
        if part is None:
            fallback.append(provider)
        else:
            parts.append(part)
    if parts:
        rows = rows.union(*parts, all=True)
    compiler = rows.query.get_compiler(connection=connection)
    grants_sql, grants_params = compiler.as_sql()
    converters = compiler.get_converters([col for col, _, _ in compiler.select])
    # The learner as `User.objects.by_id_or_email` finds them (email by the same `iexact`
    # condition: PostgreSQL's `user_email_upper` index), the item as
    # `by_id_or_external(...).first()` (the model's ordering, by title, then id; `<> ''`
    # lets a generic plan use the partial unique index on external_id, which a prepared
    # statement's plan could not otherwise: a sequential scan of the catalog), the covering
    # set as `covering_items_sql`.
    sql = (
        f"WITH RECURSIVE access_learner(id) AS ("
        f"SELECT {user_pk} FROM {qn(user_model._meta.db_table)} "
        f"WHERE {iexact(user_model._meta.get_field('email'), qn(user_model._meta.db_table))} "
        f"OR {user_pk} = %s), "
        f"access_item(id) AS (SELECT {item_pk} FROM {qn(CatalogItem._meta.db_table)} "
        f"WHERE {item_pk} = %s OR ({external} = %s AND {external} <> '') "
        f"ORDER BY {qn(CatalogItem._meta.get_field('title').column)}, {item_pk} LIMIT 1), "
        f"access_up(id) AS (SELECT id FROM access_item UNION "
        f"SELECT inc.{parent} FROM {table} inc JOIN access_up ON inc.{child} = access_up.id) "
        f"SELECT access_learner.id, access_item.id, grants.* FROM (SELECT 1 AS one) one "
        f"LEFT JOIN access_learner ON 1 = 1 LEFT JOIN access_item ON 1 = 1 "
        f"LEFT JOIN ({grants_sql}) grants ON 1 = 1"
    )
    at = connection.ops.adapt_datetimefield_value(moment)
    params = (None, None, None, None, *grants_params)
    at_slots = tuple(i for i, value in enumerate(params) if i >= 4 and value == at)
    if not at_slots:
        raise AssertionError("the access check's statement lost its `at` parameters")
    return _Statement(sql, params, at_slots, tuple(sorted(converters.items())),
                      tuple(fallback))


def check_access(*, learner_id: object = None, learner_email: str | None = None,
                 item_id: object = None, item_external_id: str | None = None,
                 at: dt.datetime | None = None) -> AccessCheck:
    """The learner (by id, or by email case-insensitively), the item (by id or external id,
    `catalog.models.item_reference`) and what grants them access at `at` (default now): ONE
    statement."""
    at = at or timezone.now()
    statement = _statement()
    user_pk = get_user_model()._meta.pk
    params = list(statement.params)
    params[0] = None if learner_email is None else iexact_value(learner_email)
    params[1] = None if learner_id is None else user_pk.get_db_prep_value(learner_id, connection)
    params[2] = None if item_id is None else _db_id(item_id)
    params[3] = item_external_id
    moment = connection.ops.adapt_datetimefield_value(at)
    for slot in statement.at_slots:
        params[slot] = moment
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        rows = cursor.fetchall()
    if len({row[0] for row in rows}) > 1:  # as `get()` would: emails alike but for case
        raise get_user_model().MultipleObjectsReturned(
            f"More than one learner is {learner_email!r}.")
    learner, item = rows[0][0], rows[0][1]
    learner = None if learner is None else user_pk.to_python(learner)
    item = None if item is None else CatalogItem._meta.pk.to_python(item)
    if learner is None or item is None:
        return AccessCheck(learner, item, Access(False))
    grants: list[AccessGrant] = []
    for row in rows:
        if row[2] is None:
            continue
        values = list(row[2:])
        for pos, (functions, expression) in statement.converters:
            for function in functions:
                values[pos] = function(values[pos], expression, connection)
        pk, expires_at, covered, source, preview = values
        grants.append(AccessGrant(source, str(pk), expires_at, covered, bool(preview)))
    if statement.fallback:
        user, covering = get_user_model()(pk=learner), covering_items_sql(item)
        for provider in statement.fallback:
            grants.extend(provider.grants(user, covering, at))
    return AccessCheck(learner, item, _combine(grants))


def has_access(user, item: CatalogItem | object, at: dt.datetime | None = None) -> Access:
    """Whether `user` may open `item` at `at` (default now), until when, and through what.
    One query (see the module's docstring)."""
    if user is None or not getattr(user, "pk", None):
        return Access(False)
    return check_access(learner_id=user.pk, item_id=getattr(item, "pk", item), at=at).access


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

