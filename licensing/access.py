"""Licensing's part of the access check: an active seat opens its license's content.

`catalog.access` asks every registered provider; this one is registered by
`LicensingConfig.ready()`, so `catalog` never imports `licensing`.

The query that answers `has_access` — one statement, whatever the number of licenses::

    SELECT seat.id, seat.expires_at FROM licensing_seat seat
    WHERE seat.user_id = :user AND seat.revoked_at IS NULL
      AND (seat.expires_at IS NULL OR seat.expires_at > :at)
      AND seat.license_id IN (
          SELECT li.license_id FROM (
              SELECT license_id, catalogitem_id FROM licensing_license_courses
              UNION ALL SELECT license_id, catalogitem_id FROM licensing_license_learning_paths
              UNION ALL SELECT license_id, catalogitem_id FROM licensing_license_course_tags
          ) li WHERE li.catalogitem_id IN (<covering set>))

The covering set (`covering_items_sql`, evaluated once) is the item and every container
that includes it, so a course tag that tags the course, or a learning path holding it, is in
it. Indexes: the seat's `user_id` index (and `seat_user_active` (user_id, revoked_at)) picks
the learner's seats; each license↔item table is probed by its `catalogitem_id` index. No
license row is read: a seat's `expires_at` already carries its license's effective expiry
(the services re-cap the seats in force when a license's expiry changes).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from catalog.access import AccessGrant, AccessProvider, grant_rows
from catalog.models import CatalogItem
from licensing.models import License, Seat

CONTENT_TABLES = (License.courses.through, License.learning_paths.through,
                  License.course_tags.through)


def licensed_by(covering: RawSQL) -> RawSQL:
    """Ids of the licenses whose courses, learning paths or course tags are in `covering`."""
    qn = connection.ops.quote_name
    union = " UNION ALL ".join(
        f"SELECT {qn('license_id')} AS license_id, {qn('catalogitem_id')} AS item_id "
        f"FROM {qn(through._meta.db_table)}" for through in CONTENT_TABLES)
    sql = (f"SELECT li.license_id FROM ({union}) li "
           f"WHERE li.item_id IN ({covering.sql})")
    return RawSQL(sql, covering.params)


class SeatAccessProvider(AccessProvider):
    """Active seats open the courses, learning paths and course tags of their license."""

    def grant_rows(self, user, covering: RawSQL, at: dt.datetime):
        return grant_rows(Seat.objects.active(at).filter(
            user=user, license_id__in=licensed_by(covering)), "seat")

    def root_item_ids(self, user, at: dt.datetime) -> QuerySet:
        seated = Seat.objects.active(at).filter(user=user).values("license_id")
        direct = Q()
        for through in CONTENT_TABLES:
            direct |= Q(pk__in=through.objects.filter(license_id__in=seated)
                        .values("catalogitem_id"))
        return CatalogItem.objects.filter(direct).values("pk")

    def root_grants(self, user, at: dt.datetime) -> list[AccessGrant]:
        """Each item a seat opens directly, with the seat and its end: two queries (the
        learner's seats, then one UNION ALL over the license↔item tables)."""
        seats: dict[object, list[tuple]] = {}
        for pk, license_id, expires_at in (Seat.objects.active(at).filter(user=user)
                                           .order_by().values_list("pk", "license_id",
                                                                   "expires_at")):
            seats.setdefault(license_id, []).append((pk, expires_at))
        if not seats:
            return []
        first, *rest = [through.objects.filter(license_id__in=list(seats))
                        .values_list("license_id", "catalogitem_id")
                        for through in CONTENT_TABLES]
        return [
            AccessGrant("seat", str(seat_pk), expires_at, item_id)
            for license_id, item_id in first.union(*rest, all=True)
            for seat_pk, expires_at in seats[license_id]
        ]
