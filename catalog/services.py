"""State changes of the catalog: items and what they include, manual grants and revocations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from catalog import payloads
from catalog.access import descendant_ids
from catalog.errors import (
    EndNotLater,
    EntitlementError,
    EntitlementRevoked,
    IncludesCycle,
    ItemInUse,
)
from catalog.models import CatalogItem, Client, Entitlement, EntitlementSource, ItemKind
from catalog.selectors import item_uses
from core import rows
from core.relations import in_words
from events.models import EventKind
from events.services import batched_events, record_event

# Any two edits of `includes` could close a cycle between them (A→B beside B→A, or longer
# rings), so on PostgreSQL they take one transaction-level advisory lock; SQLite serialises
# writers anyway.
_INCLUDES_LOCK = 0x454E5449  # "ENTI"


def _lock_includes_graph() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_INCLUDES_LOCK])


def check_includes(item: CatalogItem, included: Iterable[CatalogItem]) -> None:
    """Refuse `included` for `item` when it would make an item reach itself."""
    ids = {i.pk for i in included}
    if item.pk in ids:
        raise IncludesCycle(message=f"“{item.title}” cannot include itself.", field="includes")
    if ids and item.pk in descendant_ids(ids):
        culprit = next(
            (i for i in included if item.pk in descendant_ids([i.pk])), None)
        name = f"“{culprit.title}”" if culprit else "one of these items"
        raise IncludesCycle(
            message=f"{name} already includes “{item.title}”: including it would make a cycle.",
            field="includes",
        )


@transaction.atomic
def set_includes(item: CatalogItem, included: Iterable[CatalogItem]) -> CatalogItem:
    """Replace what `item` includes, refusing cycles (under the includes-graph lock)."""
    included = list(included)
    _lock_includes_graph()
    check_includes(item, included)
    item.includes.set(included)
    return item


@transaction.atomic
def create_item(*, includes: Iterable[CatalogItem] = (), **fields) -> CatalogItem:
    item = CatalogItem.objects.create(**fields)
    includes = list(includes)
    if includes:
        set_includes(item, includes)
    return item


def kind_change_refusal(item: CatalogItem, kind: str) -> ItemInUse | None:
    """Why `item` (as stored) may not become `kind`: anything points at it, expecting what
    it is (a license's course, a coupon's course session…). None when it may."""
    if kind == item.kind:
        return None
    uses = _in_use(item)
    if not uses:
        return None
    new_kind = dict(ItemKind.choices).get(kind, kind).lower()
    return ItemInUse(field="kind", message=(
        f"“{item.title}” has {uses} pointing at it, which expect a "
        f"{item.get_kind_display().lower()}: it cannot become a {new_kind}. Create a new "
        "item of that kind instead."))


@transaction.atomic
def update_item(item: CatalogItem, *, includes: Iterable[CatalogItem] | None = None,
                **fields) -> CatalogItem:
    """Change an item's fields (and what it includes). Its kind does not change while
    anything points at it (`ItemInUse`, 409), checked under the item's row lock."""
    if "kind" in fields:
        stored = CatalogItem.objects.select_for_update().get(pk=item.pk)
        refusal = kind_change_refusal(stored, fields["kind"])
        if refusal:
            raise refusal
    for name, value in fields.items():
        setattr(item, name, value)
    if fields:
        item.save()
    if includes is not None:
        set_includes(item, includes)
    return item


def _in_use(item: CatalogItem) -> str:
    """"2 grant(s), 1 license(s) (courses)": what points at `item` ("" when nothing)."""
    return in_words(item_uses(item))


def deletion_refusal(item: CatalogItem) -> ItemInUse | None:
    """Why `item` may not be deleted (anything points at it), or None."""
    uses = _in_use(item)
    if not uses:
        return None
    return ItemInUse(message=(
        f"“{item.title}” has {uses} pointing at it: deleting it would break them, so it is "
        "kept. Deactivate it instead (is_active=false; in the admin, untick “Is active”)."))


@transaction.atomic
def delete_item(item: CatalogItem) -> None:
    """Delete an item nothing points at; one in use is refused (`ItemInUse`, 409).

    A link being added by a transaction not yet committed is not seen by the check; the
    database's foreign keys (checked at commit) then refuse that transaction instead, so no
    link is left pointing at nothing."""
    locked = CatalogItem.objects.select_for_update().get(pk=item.pk)
    refusal = deletion_refusal(locked)
    if refusal:
        raise refusal
    locked.delete()


@transaction.atomic
def create_client(*, name: str, school_name: str = "", courses: Iterable[CatalogItem] = (),
                  learning_paths: Iterable[CatalogItem] = (),
                  course_tags: Iterable[CatalogItem] = ()) -> Client:
    """A client organisation and the content assigned to it."""
    client = Client.objects.create(name=name, school_name=school_name)
    return update_client(client, courses=courses, learning_paths=learning_paths,
                         course_tags=course_tags)


@transaction.atomic
def update_client(client: Client, *, courses: Iterable[CatalogItem] | None = None,
                  learning_paths: Iterable[CatalogItem] | None = None,
                  course_tags: Iterable[CatalogItem] | None = None, **fields) -> Client:
    """Change a client's `name`/`school_name`; each content list given replaces that list
    (None leaves it as it is)."""
    for name, value in fields.items():
        setattr(client, name, value)
    if fields:
        client.save()
    content = {"courses": courses, "learning_paths": learning_paths, "course_tags": course_tags}
    for relation, items in content.items():
        if items is not None:
            getattr(client, relation).set(list(items))
    return client


def grant_entitlement(*, item: CatalogItem, **terms: object) -> Entitlement:
    """Grant `user` access to `item` (`grant_entitlements`' terms); joins the caller's
    transaction when there is one."""
    granted, = grant_entitlements(items=[item], **terms)
    return granted


def grant_entitlements(
    *,
    user,
    items: list[CatalogItem],
    expires_at: dt.datetime | None = None,
    starts_at: dt.datetime | None = None,
    source: str = EntitlementSource.MANUAL,
    source_ref: object = "",
    preview_only: bool = False,
    granted_by: str = "",
) -> list[Entitlement]:
    """Grant `user` access to each of `items` alike: one INSERT for the grants, and their
    events together (`batched_events`); joins the caller's transaction when there is one."""
    if not items:
        return []
    starts_at = starts_at or timezone.now()
    if expires_at is not None and expires_at <= starts_at:
        raise EntitlementError("expires_before_start",
                               "The access would end before it starts.", field="expires_at")
    grants = [Entitlement(user=user, item=item, starts_at=starts_at, expires_at=expires_at,
                          source=source, source_ref=str(source_ref or ""),
                          preview_only=preview_only, granted_by=granted_by)
              for item in items]
    # the grants and their events commit together
    with transaction.atomic(savepoint=False), batched_events():
        rows.insert(grants)
        for entitlement in grants:
            record_event(EventKind.ENTITLEMENT_GRANTED, entitlement, user=user,
                         data=payloads.entitlement(entitlement))
    return grants


@transaction.atomic
def revoke_entitlement(entitlement: Entitlement, *, reason: str = "") -> Entitlement:
    """End a grant now; the row stays, as history. Revoking twice changes nothing."""
    locked = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_reason = reason[:300]
        locked.save(update_fields=["revoked_at", "revoked_reason", "updated_at"])
        record_event(EventKind.ENTITLEMENT_REVOKED, locked, user=locked.user,
                     data=payloads.entitlement(locked))
    return locked


@transaction.atomic
def extend_entitlement(entitlement: Entitlement, *, expires_at: dt.datetime | None
                       ) -> Entitlement:
    """Move a grant's end later (None: no end), under the grant's lock; an ended grant may be
    extended into the future again. A revoked grant is refused (`EntitlementRevoked`), and
    so is an end not later than the current one or not in the future (`EndNotLater`)."""
    locked = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
    if locked.revoked_at is not None:
        raise EntitlementRevoked()
    if expires_at is not None and (expires_at <= timezone.now() or locked.expires_at is None
                                   or expires_at <= locked.expires_at):
        raise EndNotLater(field="expires_at")
    if expires_at != locked.expires_at:
        locked.expires_at = expires_at
        locked.save(update_fields=["expires_at", "updated_at"])
    return locked


def revoke_from_source(source: str, ref: object, *, reason: str = "") -> int:
    """Revoke every active grant that `source`/`ref` made (a redemption rolled back…)."""
    now = timezone.now()
    active = Entitlement.objects.from_source(source, ref).filter(revoked_at__isnull=True)
    revoked = list(active.select_for_update(of=("self",)).select_related("user").order_by("pk"))
    for entitlement in revoked:  # each revocation is an event of its own
        entitlement.revoked_at, entitlement.revoked_reason = now, reason[:300]
        record_event(EventKind.ENTITLEMENT_REVOKED, entitlement, user=entitlement.user,
                     data=payloads.entitlement(entitlement), at=now)
    return Entitlement.objects.filter(pk__in=[e.pk for e in revoked]).update(
        revoked_at=now, revoked_reason=reason[:300], updated_at=now)
