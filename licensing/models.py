"""Licenses for client organisations (seats, parent hierarchies, expiry, ref1–ref10) and seats.

The rules that change them (seat limits along the parent chain, one default per client, cycle
refusal) live in `licensing/services.py`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from catalog.models import CatalogItem, Client, ItemKind
from core.models import TimeStamped

# Bounds of what a request may set (the columns are 32-bit integers; a century of access is
# "no end" in all but name).
MAX_SEATS = 2_147_483_647
MAX_ACCESS_DAYS = 36_500


class LicenseQuerySet(models.QuerySet):
    """Licenses, and the parent hierarchy as recursive CTEs (UNION, so a cycle still ends)."""

    def _tree_sql(self, pk: object, *, up: bool) -> RawSQL:
        table = connection.ops.quote_name(self.model._meta.db_table)
        parent = connection.ops.quote_name(self.model._meta.get_field("parent").column)
        step = (f"SELECT l.{parent} FROM {table} l JOIN walk ON l.id = walk.id "
                f"WHERE l.{parent} IS NOT NULL") if up else (
                f"SELECT l.id FROM {table} l JOIN walk ON l.{parent} = walk.id")
        sql = f"WITH RECURSIVE walk(id) AS (SELECT %s UNION {step}) SELECT id FROM walk"
        return RawSQL(sql, (self.model._meta.pk.get_db_prep_value(pk, connection),))

    def lineage(self, pk: object):
        """The license `pk` and its ancestors (order them with `chain_from`)."""
        return self.filter(pk__in=self._tree_sql(pk, up=True))

    def subtree(self, pk: object):
        """The license `pk` and every license below it."""
        return self.filter(pk__in=self._tree_sql(pk, up=False))


def chain_from(pk: object, licenses) -> list[License]:
    """`licenses` ordered root first down to `pk`, following parent links; [] if broken."""
    by_id = {lic.pk: lic for lic in licenses}
    chain: list[License] = []
    current = by_id.get(pk)
    while current is not None and len(chain) <= len(by_id):
        chain.append(current)
        if current.parent_id is None:
            return chain[::-1]
        current = by_id.get(current.parent_id)
    return []


class License(TimeStamped):
    """A client's right to seat learners on some courses, learning paths and course tags."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="licenses")
    name = models.CharField(max_length=200)
    label = models.CharField(max_length=200, blank=True, default="")
    sku = models.CharField(max_length=100, blank=True, default="")
    seats_limit = models.PositiveIntegerField(null=True, blank=True,
                                              help_text="Empty: unlimited seats.")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    access_days = models.PositiveIntegerField(null=True, blank=True)
    expiration_date = models.DateTimeField(null=True, blank=True)
    enable_branding = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False)
    effective_expires_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="The earliest expiration date along the parent chain (kept by the services).")
    ref1 = models.CharField(max_length=255, blank=True, default="")
    ref2 = models.CharField(max_length=255, blank=True, default="")
    ref3 = models.CharField(max_length=255, blank=True, default="")
    ref4 = models.CharField(max_length=255, blank=True, default="")
    ref5 = models.CharField(max_length=255, blank=True, default="")
    ref6 = models.CharField(max_length=255, blank=True, default="")
    ref7 = models.CharField(max_length=255, blank=True, default="")
    ref8 = models.CharField(max_length=255, blank=True, default="")
    ref9 = models.CharField(max_length=255, blank=True, default="")
    ref10 = models.CharField(max_length=255, blank=True, default="")
    courses = models.ManyToManyField(CatalogItem, blank=True, related_name="licenses_by_course",
                                     limit_choices_to={"kind": ItemKind.COURSE})
    learning_paths = models.ManyToManyField(
        CatalogItem, blank=True, related_name="licenses_by_learning_path",
        limit_choices_to={"kind": ItemKind.LEARNING_PATH})
    course_tags = models.ManyToManyField(
        CatalogItem, blank=True, related_name="licenses_by_course_tag",
        limit_choices_to={"kind": ItemKind.COURSE_TAG})

    objects = LicenseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["client", "name"], name="license_client_name"),
            models.Index(fields=["sku"], name="license_sku"),
            models.Index(fields=["effective_expires_at"], name="license_effective_expiry"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client"], condition=Q(is_default=True),
                                    name="one_default_license_per_client"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")),
                                   name="license_not_its_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class SeatQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at),
                           revoked_at__isnull=True)


class Seat(TimeStamped):
    """One learner seated on one license. Revoked seats stay, as history."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="seats")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="seats")
    assigned_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    ends_by = models.DateTimeField(
        null=True, blank=True,
        help_text="A cap set by what assigned the seat (a code's access limit): the seat ends "
                  "by then whatever the license allows. Empty: the license alone decides.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True, default="")
    source = models.CharField(max_length=20, blank=True, default="manual",
                              help_text="What assigned it: manual, redemption…")
    source_ref = models.CharField(max_length=64, blank=True, default="")

    objects = SeatQuerySet.as_manager()

    class Meta:
        permissions = [("assign_seats", "Can assign and revoke seats")]
        ordering = ["-assigned_at"]
        indexes = [
            models.Index(fields=["user", "revoked_at"], name="seat_user_active"),
            models.Index(fields=["license", "revoked_at"], name="seat_license_active"),
            models.Index(fields=["source", "source_ref"], name="seat_source"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["license", "user"],
                                    condition=Q(revoked_at__isnull=True),
                                    name="one_active_seat_per_license_and_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.license}"

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)
