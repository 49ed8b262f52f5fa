"""Reads of licensing shared by the services, the APIs and the admin.

Seats are counted on read (no counter rows): a license's *seats used* are the active seats
held on it **and on every license below it**, because those all count against its
`seats_limit`. Counting a page of licenses takes two queries whatever its size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, prefetch_related_objects
from django.utils import timezone

from licensing.models import License, Seat, chain_from


def roll_up(parents: dict, own: dict) -> dict:
    """Per license, its own count plus every descendant's (`parents`: id → parent id)."""
    totals = dict.fromkeys(parents, 0)
    for pk, count in own.items():
        seen = set()
        current = pk
        while current is not None and current in totals and current not in seen:
            seen.add(current)
            totals[current] += count
            current = parents.get(current)
    return totals


def active_seat_counts(license_ids: Iterable, at: dt.datetime | None = None) -> dict:
    """Active seats held directly on each of these licenses (one grouped query)."""
    return dict(
        Seat.objects.active(at).filter(license_id__in=list(license_ids))
        .values("license_id").annotate(n=Count("id")).values_list("license_id", "n")
    )


def seats_used_in_tree(root_id: object, at: dt.datetime | None = None) -> dict:
    """Seats counting against each license of the tree under `root_id` (itself included)."""
    parents = dict(License.objects.subtree(root_id).values_list("pk", "parent_id"))
    return roll_up(parents, active_seat_counts(parents, at))


def seats_used(licenses: Iterable[License], at: dt.datetime | None = None) -> dict:
    """Seats counting against each of `licenses` (theirs and their descendants'), by id.

    Trees never cross clients (a parent belongs to the same client), so the licenses of
    the clients involved hold every descendant: two queries for any page of licenses.
    """
    licenses = list(licenses)
    if not licenses:
        return {}
    client_ids = {lic.client_id for lic in licenses}
    parents = dict(License.objects.filter(client_id__in=client_ids)
                   .values_list("pk", "parent_id"))
    counts = dict(
        Seat.objects.active(at).filter(license__client_id__in=client_ids)
        .values("license_id").annotate(n=Count("id")).values_list("license_id", "n")
    )
    totals = roll_up(parents, counts)
    return {lic.pk: totals.get(lic.pk, 0) for lic in licenses}


def license_chain(license: License) -> list[License]:
    """The license's ancestors and itself, root first (one query)."""
    return chain_from(license.pk, License.objects.lineage(license.pk))


def is_expired(license: License, at: dt.datetime | None = None) -> bool:
    at = at or timezone.now()
    return license.effective_expires_at is not None and license.effective_expires_at <= at


def seats_held(user, at: dt.datetime | None = None) -> list[Seat]:
    """The learner's seats in force at `at`, by license name, each with `opens`: the
    license's courses, learning paths and course tags, by title (four queries)."""
    return with_contents(Seat.objects.active(at).filter(user=user).select_related("license")
                         .order_by("license__name", "assigned_at"))


def with_contents(seats: Iterable[Seat]) -> list[Seat]:
    """`seats`, each given `opens`: what its license opens directly (`license_contents`);
    three queries for any number of seats."""
    seats = list(seats)
    prefetch_related_objects([seat.license for seat in seats], "courses", "learning_paths",
                             "course_tags")
    for seat in seats:
        seat.opens = license_contents(seat.license)
    return seats


def license_contents(license: License) -> list:
    """What a seat on `license` opens directly (its courses, learning paths, course tags),
    by title; prefetched relations are used when present."""
    items = [*license.courses.all(), *license.learning_paths.all(), *license.course_tags.all()]
    return sorted(items, key=lambda item: (item.title.lower(), str(item.pk)))


@dataclass(frozen=True)
class SeatFill:
    """How full a license is: the seats counting against it and its effective limit — its
    own seats plus the least room left along its chain (a child without a limit of its own
    fills up when an ancestor does). `binding` is the license whose limit that is."""

    license: License
    used: int
    limit: int
    binding: License

    @property
    def share(self) -> float:
        return self.used / self.limit if self.limit else 1.0


def seat_fill(chain: list[License], used: dict) -> SeatFill | None:
    """The fill of the last license of `chain` (root first) given the seats counting against
    each (`seats_used_in_tree`/`roll_up`); None when no license along it has a limit. The
    same limits `services.assign_seat` checks: one more seat fits while every one has room."""
    target = chain[-1]
    limited = [lic for lic in chain if lic.seats_limit is not None]
    if not limited:
        return None
    binding = min(limited, key=lambda lic: lic.seats_limit - used.get(lic.pk, 0))
    room = max(binding.seats_limit - used.get(binding.pk, 0), 0)
    own = used.get(target.pk, 0)
    return SeatFill(license=target, used=own, limit=own + room, binding=binding)


def fullest_licenses(limit: int = 10, at: dt.datetime | None = None) -> list[SeatFill]:
    """The `limit` licenses in force closest to full (ancestor limits included), fullest
    first. Two queries: the licenses of every client with a limited license, and their
    active seats grouped by license."""
    at = at or timezone.now()
    limited_clients = License.objects.filter(seats_limit__isnull=False).values("client_id")
    licenses = list(License.objects.filter(client_id__in=limited_clients)
                    .select_related("client").order_by("pk"))
    parents = {lic.pk: lic.parent_id for lic in licenses}
    counts = dict(
        Seat.objects.active(at).filter(license__client_id__in=limited_clients)
        .values("license_id").annotate(n=Count("id")).values_list("license_id", "n"))
    used = roll_up(parents, counts)
    fills = [seat_fill(chain_from(lic.pk, licenses), used) for lic in licenses
             if not is_expired(lic, at)]
    fills = [fill for fill in fills if fill is not None]
    fills.sort(key=lambda f: (-f.share, -f.used, f.license.name))
    return fills[:limit]


def licenses_expiring(since: dt.datetime, until: dt.datetime):
    """Licenses whose effective expiry (their own or an ancestor's) falls in the window."""
    return License.objects.filter(effective_expires_at__gte=since,
                                  effective_expires_at__lte=until)\
        .order_by("effective_expires_at", "pk")
