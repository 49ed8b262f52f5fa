"""State changes of licensing: licenses (hierarchy, default, expiry, content) and seats.

Rules
- A child's active seats count against its own `seats_limit` and every ancestor's.
- A license's effective expiry is the earliest `expiration_date` along its parent chain; it
  is kept in `License.effective_expires_at` for the license and every license below it.
- A seat ends at min(assigned_at + access_days, the license's effective expiry, its own cap
  `ends_by` — set by what assigned it, such as a code whose access lasts 30 days). That stays
  true for the seats in force when a license's expiry, parent or access days change (they
  are re-capped, shorter or longer, never past their own cap); a seat that has already ended
  stays ended.
- A parent belongs to the same client; cycles are refused; one default license per client
  (making one the default clears the others in the same transaction).

Locking (one order everywhere, so these never deadlock each other): the client row (for
creating or editing a license), then the root license of every tree involved (by primary
key), then the other licenses of the chains involved (by primary key), then seat rows. Every
write that can change a seat count, a limit or a tree's shape holds the tree's root, so the
counts read under it stay true until commit (count on read: no counter rows), and each rule
is checked again on the locked rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.db.models.functions import Coalesce, Least, Lower
from django.utils import timezone

from accounts.models import User
from catalog.models import CatalogItem, Client, ItemKind
from core.errors import Conflict, NotFound
from events.models import EventKind
from events.services import record_event
from licensing import payloads, selectors
from licensing.errors import (
    AlreadySeated,
    ClientChangeRefused,
    LicenseCycle,
    LicenseExpired,
    LicenseFull,
    LicenseInUse,
    LicensingError,
    ParentOfAnotherClient,
    SeatEndNotLater,
    SeatRevoked,
    SeatsLimitBelowUse,
)
from licensing.models import License, Seat, chain_from

PLAIN_FIELDS = frozenset({
    "name", "label", "sku", "seats_limit", "access_days", "expiration_date", "enable_branding",
    *(f"ref{i}" for i in range(1, 11)),
})
CONTENT_KINDS = {"courses": ItemKind.COURSE, "learning_paths": ItemKind.LEARNING_PATH,
                 "course_tags": ItemKind.COURSE_TAG}
MAX_LOCK_ROUNDS = 5


# --- locking ---------------------------------------------------------------------------------

def _lock_chains(pks: Iterable[object]) -> dict[object, list[License]]:
    """Lock the chain of each license (roots first, then by pk); each chain root first.

    The chains are read, locked, then read again from the locked rows: a concurrent move
    (which holds the old and the new root) shows as a broken chain, and the new rows are
    locked in another round.
    """
    wanted = list(dict.fromkeys(pks))
    locked: dict[object, License] = {}
    for _ in range(MAX_LOCK_ROUNDS):
        roots, others = set(), set()
        for pk in wanted:
            chain = chain_from(pk, License.objects.lineage(pk))
            if not chain:
                raise NotFound("license_not_found", f"No license {pk}.")
            roots.add(chain[0].pk)
            others.update(lic.pk for lic in chain[1:])
        for group in (roots - locked.keys(), others - roots - locked.keys()):
            if group:
                locked.update((lic.pk, lic) for lic in License.objects.select_for_update()
                              .filter(pk__in=group).order_by("pk"))
        chains = {pk: chain_from(pk, locked.values()) for pk in wanted}
        if all(chains.values()):
            return chains
    raise Conflict("license_tree_busy", "The license hierarchy kept changing; try again.")


def _lock_chain(license_pk: object) -> list[License]:
    return _lock_chains([license_pk])[license_pk]


# --- helpers ---------------------------------------------------------------------------------

def _earliest(*moments: dt.datetime | None) -> dt.datetime | None:
    return min((m for m in moments if m is not None), default=None)


def _relation(chain: list[License], index: int) -> str:
    return "parent license" if index == len(chain) - 2 else "ancestor license"


def _check_room(chain: list[License], used: dict, *, extra: int, action: str) -> None:
    """Refuse when `extra` more seats under the last license of `chain` pass any limit."""
    target = chain[-1]
    for index in range(len(chain) - 1, -1, -1):
        lic = chain[index]
        if lic.seats_limit is None or used.get(lic.pk, 0) + extra <= lic.seats_limit:
            continue
        if lic is target:
            message = (f"No seat left on “{target.name}”: all {lic.seats_limit} of its seats "
                       "are taken." if extra == 1 else
                       f"{action} would put {used.get(lic.pk, 0) + extra} seats on "
                       f"“{lic.name}”, whose limit is {lic.seats_limit}.")
        else:
            message = (f"No seat left on “{target.name}”: its {_relation(chain, index)} "
                       f"“{lic.name}” has all {lic.seats_limit} of its seats taken (by the "
                       "licenses under it)." if extra == 1 else
                       f"{action} would put {used.get(lic.pk, 0) + extra} seats against "
                       f"“{lic.name}”, whose limit is {lic.seats_limit}.")
        raise LicenseFull(message=message, limit=lic.seats_limit, license_id=str(lic.pk))


def _seat_end(license: License, at: dt.datetime,
              ends_by: dt.datetime | None = None) -> dt.datetime | None:
    by_days = at + dt.timedelta(days=license.access_days) if license.access_days else None
    return _earliest(by_days, license.effective_expires_at, ends_by)


def _recap_seats(license: License, now: dt.datetime) -> int:
    """Seats in force on `license` end at min(assigned_at + access_days, effective expiry,
    their own `ends_by`)."""
    days, effective = license.access_days, license.effective_expires_at
    as_time = DateTimeField()
    by_days = ExpressionWrapper(F("assigned_at") + dt.timedelta(days=days),
                                output_field=as_time) if days is not None else None
    limit = Value(effective, output_field=as_time) if effective is not None else None
    if by_days is not None and limit is not None:
        limit = Least(by_days, limit, output_field=as_time)
    else:
        limit = by_days or limit
    # Least() ignores NULLs on PostgreSQL but not elsewhere: keep NULL out of it.
    value = F("ends_by") if limit is None else Least(
        limit, Coalesce(F("ends_by"), limit, output_field=as_time), output_field=as_time)
    return (Seat.objects.active(now).filter(license_id=license.pk)
            .update(expires_at=value, updated_at=now))


def _refresh_expiry(license: License, parent_effective: dt.datetime | None,
                    now: dt.datetime, *, recap: bool = False) -> None:
    """Effective expiry of `license` and below, and the seats in force under them."""
    rows = list(License.objects.subtree(license.pk)
                .only("pk", "parent_id", "expiration_date", "access_days",
                      "effective_expires_at"))
    children = defaultdict(list)
    for row in rows:
        children[row.parent_id].append(row)
    top = next(row for row in rows if row.pk == license.pk)
    changed, queue = [], [(top, parent_effective)]
    while queue:
        row, above = queue.pop()
        effective = _earliest(row.expiration_date, above)
        if effective != row.effective_expires_at or (recap and row is top):
            row.effective_expires_at = effective
            changed.append(row)
        queue.extend((child, effective) for child in children[row.pk])
    License.objects.bulk_update(changed, ["effective_expires_at"])
    for row in changed:
        _recap_seats(row, now)
    license.effective_expires_at = top.effective_expires_at


def _check_content(content: dict[str, Iterable[CatalogItem] | None]) -> dict[str, list]:
    checked = {}
    for name, items in content.items():
        if items is None:
            continue
        items = list(dict.fromkeys(items))
        wrong = [item for item in items if item.kind != CONTENT_KINDS[name]]
        if wrong:
            raise LicensingError(
                "wrong_kind", f"“{wrong[0].title}” is a {wrong[0].get_kind_display().lower()}, "
                f"not a {ItemKind(CONTENT_KINDS[name]).label.lower()}.", field=name)
        checked[name] = items
    return checked


def _set_content(license: License, client: Client, content: dict[str, list],
                 replace: dict[str, bool]) -> None:
    """The license's own content, and the client's assignments appended to or replaced."""
    for name, items in content.items():
        getattr(license, name).set(items)
        if replace.get(name):
            getattr(client, name).set(items)
        else:
            getattr(client, name).add(*items)


def _make_default(license: License) -> None:
    """Clear the client's other default (the caller holds the client row)."""
    (License.objects.filter(client_id=license.client_id, is_default=True)
     .exclude(pk=license.pk).update(is_default=False, updated_at=timezone.now()))


def _check_plain(fields: dict[str, Any]) -> None:
    unknown = set(fields) - PLAIN_FIELDS
    if unknown:
        raise TypeError(f"Unknown license fields: {sorted(unknown)}")
    if "name" in fields and not str(fields["name"] or "").strip():
        raise LicensingError("required", "A license needs a name.", field="name")
    if fields.get("access_days") is not None and fields["access_days"] < 1:
        raise LicensingError("invalid", "Access days must be 1 or more (or empty: no limit).",
                             field="access_days")
    if fields.get("seats_limit") is not None and fields["seats_limit"] < 0:
        raise LicensingError("invalid", "The seat limit cannot be negative.",
                             field="seats_limit")


# --- licenses --------------------------------------------------------------------------------

def create_license(
    *,
    client: Client,
    name: str,
    parent: License | None = None,
    is_default: bool = False,
    courses: Iterable[CatalogItem] = (),
    learning_paths: Iterable[CatalogItem] = (),
    course_tags: Iterable[CatalogItem] = (),
    replace_client_courses: bool = False,
    replace_client_learning_paths: bool = False,
    replace_client_course_tags: bool = False,
    **fields: Any,
) -> License:
    """A new license for `client`; its content is appended to (or replaces) the client's."""
    fields["name"] = name
    _check_plain(fields)
    content = _check_content({"courses": courses, "learning_paths": learning_paths,
                              "course_tags": course_tags})
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        parent_effective = None
        if parent is not None:
            parent = _lock_chain(parent.pk)[-1]
            if parent.client_id != client.pk:
                raise ParentOfAnotherClient(
                    message=f"The parent license “{parent.name}” belongs to another client.",
                    field="parent")
            parent_effective = parent.effective_expires_at
        license = License(client=client, parent=parent, **fields)
        license.effective_expires_at = _earliest(license.expiration_date, parent_effective)
        if is_default:
            _make_default(license)
            license.is_default = True
        license.save()
        _set_content(license, client, content, {
            "courses": replace_client_courses, "learning_paths": replace_client_learning_paths,
            "course_tags": replace_client_course_tags})
    return license


_UNSET = object()


def update_license(
    *,
    license: License,
    client: Client | None = None,
    parent: License | object | None = _UNSET,
    is_default: bool | None = None,
    courses: Iterable[CatalogItem] | None = None,
    learning_paths: Iterable[CatalogItem] | None = None,
    course_tags: Iterable[CatalogItem] | None = None,
    replace_client_courses: bool = False,
    replace_client_learning_paths: bool = False,
    replace_client_course_tags: bool = False,
    **fields: Any,
) -> License:
    """Change a license; only what is given changes. Every rule is checked under the locks."""
    _check_plain(fields)
    content = _check_content({"courses": courses, "learning_paths": learning_paths,
                              "course_tags": course_tags})
    if client is not None and client.pk != license.client_id:
        raise ClientChangeRefused(field="client")
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=license.client_id)
        pks = [license.pk] + ([parent.pk] if isinstance(parent, License) else [])
        chains = _lock_chains(pks)
        chain = chains[license.pk]
        license = chain[-1]
        now = timezone.now()
        moving = parent is not _UNSET and getattr(parent, "pk", None) != license.parent_id
        if moving:
            new_chain = chains[parent.pk] if parent is not None else []
            _check_move(license, chain, new_chain, now)
            license.parent = new_chain[-1] if new_chain else None
        if fields.get("seats_limit") is not None:
            check_license_change(license=license, client=client, parent=license.parent,
                                 seats_limit=fields["seats_limit"])
        expiry_moves = moving or ("expiration_date" in fields
                                  and fields["expiration_date"] != license.expiration_date)
        days_change = "access_days" in fields and fields["access_days"] != license.access_days
        for name, value in fields.items():
            setattr(license, name, value)
        if is_default is not None:
            if is_default:
                _make_default(license)
            license.is_default = is_default
        license.save()
        if expiry_moves or days_change:
            above = license.parent.effective_expires_at if license.parent_id else None
            _refresh_expiry(license, above, now, recap=days_change)
        _set_content(license, client, content, {
            "courses": replace_client_courses, "learning_paths": replace_client_learning_paths,
            "course_tags": replace_client_course_tags})
    return license


def _check_move(license: License, chain: list[License], new_chain: list[License],
                now: dt.datetime) -> None:
    """Moving `license` (and all below it) under the last of `new_chain`: same client, no
    cycle, and the seats it carries fit every new ancestor's limit."""
    if not new_chain:
        return
    parent = new_chain[-1]
    if parent.client_id != license.client_id:
        raise ParentOfAnotherClient(
            message=f"The parent license “{parent.name}” belongs to another client.",
            field="parent")
    if any(lic.pk == license.pk for lic in new_chain):
        raise LicenseCycle(
            message=f"“{parent.name}” is “{license.name}” itself or one of the licenses under "
                    "it: it cannot become its parent.", field="parent")
    carried = selectors.seats_used_in_tree(chain[0].pk, now).get(license.pk, 0)
    if not carried:
        return
    used = selectors.seats_used_in_tree(new_chain[0].pk, now)
    current_ancestors = {lic.pk for lic in chain[:-1]}
    for lic in new_chain:
        if lic.pk in current_ancestors:
            used[lic.pk] = used.get(lic.pk, 0) - carried  # already counted there
    _check_room(new_chain, used, extra=carried,
                action=f"Moving “{license.name}” with its {carried} seats")


def check_license_change(*, license: License | None, client: Client,
                         parent: License | None, seats_limit: int | None) -> None:
    """The hierarchy and limit rules of a create (`license` None) or change, read without
    locks so a form can show them next to its fields; the services check them again under
    the locks."""
    now = timezone.now()
    if parent is not None and (license is None or parent.pk != license.parent_id):
        new_chain = selectors.license_chain(parent)
        if license is None:
            if parent.client_id != client.pk:
                raise ParentOfAnotherClient(
                    message=f"The parent license “{parent.name}” belongs to another client.",
                    field="parent")
        else:
            _check_move(license, selectors.license_chain(license), new_chain, now)
    if license is not None and seats_limit is not None and seats_limit != license.seats_limit:
        root = selectors.license_chain(license)[0]
        in_use = selectors.seats_used_in_tree(root.pk, now).get(license.pk, 0)
        if in_use > seats_limit:
            raise SeatsLimitBelowUse(
                message=f"“{license.name}” has {in_use} seats in use (with the licenses "
                        f"under it); its limit cannot go below that.", field="seats_limit")


def delete_license(*, license: License) -> None:
    """Delete a license that never held a seat and has no children; refuse otherwise (409)."""
    with transaction.atomic():
        license = _lock_chain(license.pk)[-1]
        children = license.children.count()
        if children:
            raise LicenseInUse(
                "license_has_children",
                f"“{license.name}” has {children} child license(s); move or delete them first.")
        held = Seat.objects.active().filter(license=license).count()
        if held:
            raise LicenseInUse(
                "license_has_seats",
                f"“{license.name}” has {held} seat(s) held; revoke them first.")
        if Seat.objects.filter(license=license).exists():
            raise LicenseInUse(
                "license_has_seat_history",
                f"“{license.name}” keeps the history of its past seats, so it is not deleted.")
        license.delete()


# --- seats -----------------------------------------------------------------------------------

def assign_seat(
    *,
    license: License,
    user,
    source: str = "manual",
    source_ref: str = "",
    at: dt.datetime | None = None,
    ends_by: dt.datetime | None = None,
) -> Seat:
    """Seat `user` on `license`; joins the caller's transaction (a redemption) if any.

    The seat ends at the earliest of what the license allows and `ends_by` (a cap kept on
    the seat, so re-capping after license changes honours it too).

    Locks the license chain root first, then re-checks under the lock: the effective expiry
    (`LicenseExpired`), a seat already held (`AlreadySeated`) and every limit along the
    chain (`LicenseFull`). A seat of this learner that has ended without being revoked is
    closed (revoked at its end) so the new one can be made.
    """
    at = at or timezone.now()
    with transaction.atomic():
        chain = _lock_chain(license.pk)
        license = chain[-1]
        expired = _expiry_refusal(chain, at)
        if expired is not None:
            raise expired
        held = (Seat.objects.select_for_update()
                .filter(license=license, user=user, revoked_at__isnull=True).first())
        if held is not None:
            if held.is_active(at):
                raise AlreadySeated(
                    message=f"{user.email} already holds a seat on “{license.name}”.",
                    seat_id=str(held.pk))
            held.revoked_at = held.expires_at
            held.revoked_reason = "Ended; replaced by a new seat."
            held.save(update_fields=["revoked_at", "revoked_reason", "updated_at"])
        used = {}
        if any(lic.seats_limit is not None for lic in chain):
            used = selectors.seats_used_in_tree(chain[0].pk, at)
            _check_room(chain, used, extra=1, action="Seating a learner")
        try:
            with transaction.atomic():
                seat = Seat.objects.create(
                    license=license, user=user, assigned_at=at,
                    expires_at=_seat_end(license, at, ends_by), ends_by=ends_by,
                    source=source, source_ref=str(source_ref or ""))
        except IntegrityError as exc:  # the partial unique constraint, as a last guard
            raise AlreadySeated(
                message=f"{user.email} already holds a seat on “{license.name}”.") from exc
        record_event(EventKind.SEAT_ASSIGNED, seat, user=user, data=payloads.seat(seat), at=at)
        for lic in chain:  # this seat took the last one of each of these
            if lic.seats_limit is not None and used.get(lic.pk, 0) + 1 == lic.seats_limit:
                record_event(EventKind.LICENSE_FULL, lic, data=payloads.license_full(lic), at=at)
    return seat


def _expiry_refusal(chain: list[License], at: dt.datetime) -> LicenseExpired | None:
    """`LicenseExpired` naming whose expiry ended the last license of `chain`, if it has."""
    license = chain[-1]
    if license.effective_expires_at is None or license.effective_expires_at > at:
        return None
    ended = next((lic for lic in chain
                  if lic.expiration_date == license.effective_expires_at), license)
    whose = "It" if ended is license else f"Its parent license “{ended.name}”"
    return LicenseExpired(message=f"“{license.name}” has expired: {whose} ended "
                                  f"{license.effective_expires_at:%Y-%m-%d %H:%M} UTC.")


def assign_seats(
    *,
    licenses: Iterable[License],
    user,
    source: str = "manual",
    source_ref: str = "",
    at: dt.datetime | None = None,
    ends_by: dt.datetime | None = None,
) -> list[Seat]:
    """Seat `user` on each license, all or nothing (a redemption naming several licenses),
    each seat capped by `ends_by` (see `assign_seat`).

    Every chain is locked before any seat is made, roots first and then by primary key, so
    two callers naming the same licenses in any order never deadlock. A license the learner
    already holds an active seat on keeps that seat; when the seat's own cap ends before
    `ends_by` (a 30-day code's seat, then a 365-day code), it is handed over to this source
    with the later cap. The new and handed-over seats are returned. Raises what
    `assign_seat` raises.
    """
    at = at or timezone.now()
    licenses = sorted({lic.pk: lic for lic in licenses}.values(), key=lambda lic: str(lic.pk))
    seats: list[Seat] = []
    with transaction.atomic():
        chains = _lock_chains([lic.pk for lic in licenses]) if licenses else {}
        for lic in licenses:
            try:
                seats.append(assign_seat(license=lic, user=user, source=source,
                                         source_ref=source_ref, at=at, ends_by=ends_by))
            except AlreadySeated as held:
                seat = Seat.objects.select_for_update().filter(
                    pk=held.data.get("seat_id")).first()
                if seat is not None and _ends_later(ends_by, seat.ends_by):
                    seats.append(_hand_over(seat, chains[lic.pk][-1], source=source,
                                            source_ref=source_ref, ends_by=ends_by))
    return seats


def _ends_later(cap: dt.datetime | None, than: dt.datetime | None) -> bool:
    """Whether the cap `cap` outlasts `than` (None: no cap, which outlasts any)."""
    return than is not None and (cap is None or cap > than)


def _hand_over(seat: Seat, license: License, *, source: str, source_ref: object,
               ends_by: dt.datetime | None) -> Seat:
    """Give a held seat (locked, with its chain) to another grant: it stays in force, now
    held for `source`/`source_ref` and capped by `ends_by` (its `assigned_at` stays)."""
    seat.source, seat.source_ref = source, str(source_ref)
    seat.ends_by = ends_by
    seat.expires_at = _seat_end(license, seat.assigned_at, ends_by)
    seat.save(update_fields=["source", "source_ref", "ends_by", "expires_at", "updated_at"])
    return seat


def seat_refusal(*, license: License, user, at: dt.datetime | None = None
                 ) -> LicenseFull | LicenseExpired | None:
    """Why seating `user` on `license` would be refused now, without locks or writes (the
    answer of a dry run such as a redemption check; `assign_seat` decides under the lock)."""
    at = at or timezone.now()
    chain = selectors.license_chain(license)
    expired = _expiry_refusal(chain, at)
    if expired is not None:
        return expired
    if Seat.objects.active(at).filter(license=license, user=user).exists():
        return None
    if any(lic.seats_limit is not None for lic in chain):
        try:
            _check_room(chain, selectors.seats_used_in_tree(chain[0].pk, at), extra=1,
                        action="Seating a learner")
        except LicenseFull as refusal:
            return refusal
    return None


def revoke_seat(*, seat: Seat, reason: str = "") -> Seat:
    """End a seat now (it stays, as history). Revoking twice changes nothing."""
    with transaction.atomic():
        _lock_chain(seat.license_id)
        locked = Seat.objects.select_for_update().get(pk=seat.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_reason = reason[:300]
            locked.save(update_fields=["revoked_at", "revoked_reason", "updated_at"])
            record_event(EventKind.SEAT_REVOKED, locked, user=locked.user,
                         data=payloads.seat(locked))
    return locked


def extend_seat(*, seat: Seat, until: dt.datetime | None) -> Seat:
    """Let a seat run until `until` (None: as long as its license allows): its cap
    (`ends_by`) becomes `until`, and it ends at the earliest of that and what the license
    allows. Locks the license chain, then the seat, as `revoke_seat` does. Refused
    (`SeatEndNotLater`): an end the license would cut short (naming its limit), or one not
    later than now and than the current end; a revoked seat (`SeatRevoked`)."""
    now = timezone.now()
    with transaction.atomic():
        chain = _lock_chain(seat.license_id)
        locked = Seat.objects.select_for_update().get(pk=seat.pk)
        if locked.revoked_at is not None:
            raise SeatRevoked()
        license = chain[-1]
        ends = _seat_end(license, locked.assigned_at, until)
        if until is not None and ends is not None and ends < until:
            raise SeatEndNotLater(
                message=f"“{license.name}” ends this seat at {ends:%Y-%m-%d %H:%M} UTC (its "
                        "access days or expiry, or a parent's): choose an earlier end, or "
                        "extend the license instead.", field="until")
        current = locked.expires_at
        if ends is not None and (ends <= now or current is None or ends <= current):
            raise SeatEndNotLater(message="The new end must be later than the current one, "
                                          "and in the future.", field="until")
        locked.ends_by, locked.expires_at = until, ends
        locked.save(update_fields=["ends_by", "expires_at", "updated_at"])
    return locked


Heir = Callable[[Seat], "tuple[str, dt.datetime | None] | None"]


def revoke_seats_from_source(source: str, ref: object, reason: str = "", *,
                             licenses: Iterable[object] = (), heir: Heir | None = None) -> int:
    """Revoke every seat `source`/`ref` assigned and still holds (a redemption rolled back);
    the number revoked.

    A seat in force for which `heir(seat)` names another grant of the same source, as
    `(source_ref, ends_by)` — another redemption of the learner naming that license, which
    took no seat of its own because this one was held — is handed over to it instead: it
    stays in force, held for that grant and capped by its `ends_by`.

    The chains of the seats' licenses and of `licenses` (every license the source may hold
    a seat on) are locked first, as `revoke_seat` does, and the seats are read and `heir`
    asked under those locks: a release of the heir racing this one waits for them, then
    finds the seat handed to it.
    """
    now = timezone.now()
    with transaction.atomic():
        held = Seat.objects.filter(source=source, source_ref=str(ref), revoked_at__isnull=True)
        license_ids = set(held.values_list("license_id", flat=True)) | set(licenses)
        if not license_ids:
            return 0
        chains = _lock_chains(sorted(license_ids, key=str))
        seats = list(held.select_for_update())  # read again, under the locks
        missing = {seat.license_id for seat in seats} - chains.keys()
        if missing:  # a seat taken since the first read
            chains.update(_lock_chains(sorted(missing, key=str)))
        revoked = []
        for seat in seats:
            successor = heir(seat) if heir is not None and seat.is_active(now) else None
            if successor is not None and successor[0] != str(ref):
                _hand_over(seat, chains[seat.license_id][-1], source=source,
                           source_ref=successor[0], ends_by=successor[1])
            else:
                revoked.append(seat.pk)
                seat.revoked_at, seat.revoked_reason = now, reason[:300]
                record_event(EventKind.SEAT_REVOKED, seat, user=seat.user,
                             data=payloads.seat(seat), at=now)
        return Seat.objects.filter(pk__in=revoked).update(
            revoked_at=now, revoked_reason=reason[:300], updated_at=now)


# --- assigning many by email -------------------------------------------------------------------

ASSIGNED, ALREADY_HELD, NO_SUCH_USER, NO_SEAT_LEFT, LICENSE_EXPIRED = (
    "assigned", "already_held", "no_such_user", "no_seat_left", "license_expired")


@dataclass(frozen=True)
class SeatOutcome:
    email: str
    outcome: str
    seat: Seat | None = None
    message: str = ""


def assign_seats_by_email(
    *,
    license: License,
    emails: Iterable[str],
    source: str = "manual",
    source_ref: str = "",
) -> list[SeatOutcome]:
    """Seat each learner named by email, **one transaction per email** (not all-or-nothing):
    each email is reported as assigned, already_held, no_such_user, no_seat_left, or
    license_expired. Emails repeat at most once (case-insensitive), in the order given."""
    emails = list(dict.fromkeys(e.strip() for e in emails if e and e.strip()))
    lowered = {e.lower() for e in emails}
    users = {u.lowered: u for u in User.objects.annotate(lowered=Lower("email"))
             .filter(lowered__in=lowered)}
    seen: set[str] = set()
    outcomes = []
    for email in emails:
        if email.lower() in seen:
            continue
        seen.add(email.lower())
        user = users.get(email.lower())
        if user is None:
            outcomes.append(SeatOutcome(email, NO_SUCH_USER, None, f"No learner {email}."))
            continue
        try:
            seat = assign_seat(license=license, user=user, source=source, source_ref=source_ref)
        except AlreadySeated as exc:
            outcomes.append(SeatOutcome(email, ALREADY_HELD, None, exc.message))
        except LicenseFull as exc:
            outcomes.append(SeatOutcome(email, NO_SEAT_LEFT, None, exc.message))
        except LicenseExpired as exc:
            outcomes.append(SeatOutcome(email, LICENSE_EXPIRED, None, exc.message))
        else:
            outcomes.append(SeatOutcome(email, ASSIGNED, seat, ""))
    return outcomes
