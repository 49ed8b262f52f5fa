"""Licensing's part of the access check: an active seat opens its license's content.

`catalog.access` asks every registered provider; this one is registered by
`LicensingConfig.ready()`, so `catalog` never imports `licensing`.

The query that answers `has_access` — one statement, whatever the number of licenses::

    SELECT seat.id, seat.expires_at, seat.license_id FROM licensing_seat seat
    WHERE seat.user_id = :user AND seat.revoked_at IS NULL
      AND (seat.expires_at IS NULL OR seat.expires_at > :at)
      AND (seat.license_id IN (SELECT license_id FROM licensing_license_courses
                               WHERE catalogitem_id IN (<covering set>))
        OR seat.license_id IN (SELECT license_id FROM licensing_license_learning_paths
                               WHERE catalogitem_id IN (<covering set>))
        OR seat.license_id IN (SELECT license_id FROM licensing_license_course_tags
                               WHERE catalogitem_id IN (<covering set>)))

The covering set (`covering_items_sql`) is the item and every container that includes it,
so a course tag that tags the course, or a learning path holding it, is in it. Indexes used:
`seat_user_active` (user_id, revoked_at) on the seats, and the `catalogitem_id` index of
each license↔item table. No license row is read: a seat's `expires_at` already carries the
license's effective expiry (the services keep it right when a license changes).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from catalog.access import AccessGrant, AccessProvider
from catalog.models import CatalogItem
from licensing.models import License, Seat

CONTENT_TABLES = (License.courses.through, License.learning_paths.through,
                  License.course_tags.through)


class SeatAccessProvider(AccessProvider):
    """Active seats open the courses, learning paths and course tags of their license."""

    def grants(self, user, covering: RawSQL, at: dt.datetime) -> list[AccessGrant]:
        licensed = Q()
        for through in CONTENT_TABLES:
            licensed |= Q(license_id__in=through.objects.filter(catalogitem_id__in=covering)
                          .values("license_id"))
        return [
            AccessGrant("seat", str(pk), expires_at)
            for pk, expires_at in Seat.objects.active(at).filter(licensed, user=user)
            .values_list("pk", "expires_at")
        ]

    def root_item_ids(self, user, at: dt.datetime) -> QuerySet:
        seated = Seat.objects.active(at).filter(user=user).values("license_id")
        direct = Q()
        for through in CONTENT_TABLES:
            direct |= Q(pk__in=through.objects.filter(license_id__in=seated)
                        .values("catalogitem_id"))
        return CatalogItem.objects.filter(direct).values("pk")
