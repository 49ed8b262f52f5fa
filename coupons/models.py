"""Coupons (EduBrite): `Coupon`, its history `CouponUsage`, and what a learner group offers.

A coupon has every parameter of EduBrite's createCoupon (seed 004) plus a `status`. Money is
integer cents: EduBrite's `valueAmount` arrives in currency units and is converted with
`coupons.discounts.units_to_cents` (Decimal, half-up). Uses are never counted in a column:
`CouponUsage` rows are counted on read, under the coupon's row lock when it matters.
A coupon's `code` is stored canonical (`core.codes.normalize_code`, as redemption codes are),
unique, so however a learner types it, one exact match finds it; `display_code` keeps it as its
creator wrote it, which EduBrite echoes back as the coupon's name.

`GroupOffering` says what a learner group offers: a GROUP coupon serves those items (and what
they include), the way EduBrite's "everything available in a group" works.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum

from accounts.models import LearnerGroup
from catalog.models import CatalogItem
from core.codes import normalize_code
from core.models import TimeStamped


class CouponType(models.TextChoices):
    USAGE = "USAGE", "Usage (full value)"
    AMOUNT = "AMOUNT", "Amount off each seat"
    PERCENT = "PERCENT", "Percent off"
    TOTAL_AMOUNT = "TOTAL_AMOUNT", "Total amount (a balance drawn down)"


class EntityType(models.TextChoices):
    SITE = "SITE", "Site (every paid item)"
    PROGRAM_SESSION = "PROGRAM_SESSION", "Program session"
    COURSE_SESSION = "COURSE_SESSION", "Course session"
    EVENT = "EVENT", "Event"
    GROUP = "GROUP", "Group (what the group offers)"


# The catalog kind each item-bound entity type names.
ENTITY_ITEM_KINDS = {
    EntityType.PROGRAM_SESSION: "program_session",
    EntityType.COURSE_SESSION: "course_session",
    EntityType.EVENT: "event",
}


class CouponStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    INACTIVE = "INACTIVE", "Inactive"


class UsageStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


# Usages that take a use (and a share of a TOTAL_AMOUNT balance): pending and approved.
HOLDING = (UsageStatus.PENDING, UsageStatus.APPROVED)


class CouponQuerySet(models.QuerySet):
    def by_code(self, text: object):
        """The coupon with this code as anyone may type it (`normalize_code`)."""
        return self.filter(code=normalize_code(text))

    def active(self):
        return self.filter(status=CouponStatus.ACTIVE)


class Coupon(TimeStamped):
    """A discount coupon learners type as `code`, valid for one entity (EduBrite)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(
        max_length=100, help_text="What learners type, canonical (`normalize_code`: upper case, "
                                  "no dashes or spaces), so any way of typing it matches.")
    display_code = models.CharField(
        max_length=100, help_text="The code as its creator wrote it (`partner1-free`): what "
                                  "EduBrite's clients sent and are shown back.")
    type = models.CharField(max_length=20, choices=CouponType.choices)
    entity_type = models.CharField(max_length=20, choices=EntityType.choices)
    item = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.PROTECT, related_name="coupons",
        help_text="The program session, course session or event (those entity types only).")
    group = models.ForeignKey(
        LearnerGroup, null=True, blank=True, on_delete=models.PROTECT,
        related_name="entity_coupons", help_text="The group whose offerings it serves (GROUP).")
    value_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many times it can be used; empty: no limit.")
    value_amount_cents = models.PositiveBigIntegerField(
        null=True, blank=True,
        help_text="AMOUNT: off each seat; TOTAL_AMOUNT: the whole balance (cents).")
    value_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True,
                                        help_text="PERCENT: the share off (0–100).")
    start_date = models.DateTimeField(null=True, blank=True, help_text="Usable from (inclusive).")
    exp_date = models.DateTimeField(null=True, blank=True, help_text="Usable until (exclusive).")
    owner_group = models.ForeignKey(
        LearnerGroup, null=True, blank=True, on_delete=models.PROTECT,
        related_name="owned_coupons",
        help_text="Only its members may use the coupon; its admins approve usages.")
    set_membership_expiration = models.BooleanField(
        default=False, help_text="A use sets the learner's membership expiry to exp_date.")
    add_user_to_coupons_group = models.BooleanField(
        default=False, help_text="A non-member may use it and is added to the owner group.")
    require_approval = models.BooleanField(
        default=False, help_text="Uses wait for an owner-group admin (or staff) to approve.")
    preview_access_only = models.BooleanField(
        default=False, help_text="A use opens the item for a short preview only.")
    status = models.CharField(max_length=10, choices=CouponStatus.choices,
                              default=CouponStatus.ACTIVE)
    comment = models.TextField(blank=True, default="")
    created_by = models.CharField(max_length=200, blank=True, default="")

    objects = CouponQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "exp_date"], name="coupon_status_exp"),
            models.Index(fields=["entity_type", "type"], name="coupon_entity_type"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="coupon_code_unique"),
            models.CheckConstraint(
                condition=(
                    (Q(entity_type="SITE") & Q(item__isnull=True) & Q(group__isnull=True))
                    | (Q(entity_type="GROUP") & Q(item__isnull=True) & Q(group__isnull=False))
                    | (Q(entity_type__in=list(ENTITY_ITEM_KINDS)) & Q(item__isnull=False)
                       & Q(group__isnull=True))
                ),
                name="coupon_entity_matches_type",
            ),
            models.CheckConstraint(
                condition=(
                    (Q(type__in=["AMOUNT", "TOTAL_AMOUNT"]) & Q(value_amount_cents__isnull=False)
                     & Q(value_percent__isnull=True))
                    | (Q(type="PERCENT") & Q(value_percent__isnull=False)
                       & Q(value_percent__gte=0) & Q(value_percent__lte=100)
                       & Q(value_amount_cents__isnull=True))
                    | (Q(type="USAGE") & Q(value_percent__isnull=True)
                       & Q(value_amount_cents__isnull=True))
                ),
                name="coupon_value_matches_type",
            ),
            models.CheckConstraint(
                condition=(Q(start_date__isnull=True) | Q(exp_date__isnull=True)
                           | Q(exp_date__gt=models.F("start_date"))),
                name="coupon_expires_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_code or self.code} ({self.get_type_display()})"

    def uses(self) -> int:
        """Pending and approved usages: each takes one of `value_count`."""
        return self.usages.filter(status__in=HOLDING).count()

    def balance_cents(self) -> int | None:
        """TOTAL_AMOUNT: what is left to draw (pending usages hold their share)."""
        if self.type != CouponType.TOTAL_AMOUNT:
            return None
        drawn = (self.usages.filter(status__in=HOLDING)
                 .aggregate(total=Sum("discount_cents"))["total"] or 0)
        return max((self.value_amount_cents or 0) - drawn, 0)


class CouponUsage(TimeStamped):
    """One use of a coupon by a learner for an item: history, never deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="usages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="coupon_usages")
    item = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="coupon_usages")
    price_cents = models.PositiveIntegerField()
    discount_cents = models.PositiveIntegerField()
    final_price_cents = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=UsageStatus.choices,
                              default=UsageStatus.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=200, blank=True, default="")
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        permissions = [("approve_usage", "Can approve or reject a coupon usage")]
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["coupon", "status"], name="usage_coupon_status"),
            models.Index(fields=["user", "created_at"], name="usage_user_created"),
            models.Index(fields=["status", "created_at"], name="usage_status_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["coupon", "user", "item"], condition=Q(status__in=["pending", "approved"]),
                name="usage_once_per_learner_item",
            ),
            models.CheckConstraint(
                condition=(Q(discount_cents__lte=models.F("price_cents"))
                           & Q(final_price_cents=models.F("price_cents")
                               - models.F("discount_cents"))),
                name="usage_discount_within_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coupon.code} by {self.user} for {self.item} ({self.status})"


class GroupOffering(TimeStamped):
    """An item a learner group offers: what a GROUP coupon on that group serves."""

    group = models.ForeignKey(LearnerGroup, on_delete=models.CASCADE, related_name="offerings")
    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE,
                             related_name="group_offerings")

    class Meta:
        ordering = ["group__name", "item__title"]
        constraints = [
            models.UniqueConstraint(fields=["group", "item"], name="group_offers_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.group} offers {self.item}"


class EduBriteSession(models.Model):
    """EduBrite's connect.do session: stored once a user signs in on a handshake's id.

    The cookies carry this row's id and the signed-in user, signed with `SECRET_KEY`
    (`coupons.sessions`); the row holds the expiry, so staff can end a session in the admin.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="edubrite_sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    signed_in_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "EduBrite API session"

    def __str__(self) -> str:
        return f"EduBrite session of {self.user or 'nobody yet'}"
