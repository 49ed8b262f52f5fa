"""State changes of coupons: create, update, delete, quote, apply, approve, reject.

Rules (API.md, EduBrite's manual, DESIGN.md):

- A coupon can be used while its status is ACTIVE, from `start_date` (inclusive) until
  `exp_date` (exclusive), while its pending and approved usages are fewer than `value_count`
  (empty: no limit), for an item it serves (`coupons.selectors`), by a current member of its
  owner group, or by anyone when `add_user_to_coupons_group` (the use adds them). A learner
  uses a coupon once per item (a rejected use can be tried again). A TOTAL_AMOUNT coupon also
  needs balance left.
- `quote` answers what a use would cost and changes nothing. `apply_coupon` locks the coupon
  row, re-checks everything under the lock, and records a `CouponUsage` (pending when
  `require_approval`, else approved and granted at once).
- `approve_usage` / `reject_usage` are for staff, API clients and admin members of the owner
  group. Approval grants: an `Entitlement` to the item (source "coupon", the usage's id; when
  `preview_access_only`, preview-only and ending after `PREVIEW_DAYS`), membership of the owner
  group when the coupon adds users to it, and with `set_membership_expiration` that
  membership's expiry set to the coupon's `exp_date`. Approval does not re-check the coupon:
  the usage already holds its use.

Locks: the coupon row first, then the usage row, always in that order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import LearnerGroup, Membership, User
from accounts.permissions import APPROVE_USAGE, is_api_client, is_staff_user
from accounts.services import add_member
from catalog.models import CatalogItem, EntitlementSource
from catalog.services import grant_entitlement
from core.codes import Alphabet, random_characters
from coupons import discounts, payloads
from coupons.errors import (
    AmountNotApplicable,
    AmountRequired,
    CouponAlreadyUsed,
    CouponBalanceSpent,
    CouponCodeTaken,
    CouponExpired,
    CouponInactive,
    CouponInvalid,
    CouponNotAllowed,
    CouponNotForItem,
    CouponNotStarted,
    CouponUsed,
    CouponUsedUp,
    NotInCouponGroup,
    OwnUsageDecision,
    PercentNotApplicable,
    PercentRequired,
    UnknownEntityType,
    UsageNotPending,
    UsesBelowCount,
)
from coupons.models import (
    ENTITY_ITEM_KINDS,
    HOLDING,
    Coupon,
    CouponStatus,
    CouponType,
    CouponUsage,
    EntityType,
    GroupOffering,
    UsageStatus,
)
from coupons.selectors import serves
from coupons.validators import clean_coupon_code
from events.models import EventKind
from events.services import record_event

PREVIEW_DAYS = getattr(settings, "COUPON_PREVIEW_DAYS", 7)
CODE_LENGTH = 10  # 26**10 codes in the shared unambiguous alphabet: no vowels, no look-alikes
_GENERATE_TRIES = 5  # a generated code taken already (odds ~1 in 10**14 each) is drawn again

# Fields `update_coupon` may change (EduBrite's updateCoupon and the native PATCH).
UPDATABLE = ("value_count", "value_amount_cents", "value_percent", "start_date", "exp_date",
             "set_membership_expiration", "add_user_to_coupons_group", "require_approval",
             "preview_access_only", "status", "comment", "owner_group")


@dataclass(frozen=True)
class Quote:
    """What using the coupon for this item would cost, and what happens next."""

    coupon: Coupon
    user: User
    item: CatalogItem
    price_cents: int
    discount_cents: int
    final_price_cents: int
    requires_approval: bool
    uses: int
    balance_cents: int | None


def generate_code() -> str:
    return random_characters(CODE_LENGTH, Alphabet.UNAMBIGUOUS)


def check_terms(coupon: Coupon) -> None:
    """Refuse terms that do not hold together (the check constraints' friendly twin)."""
    kind = ENTITY_ITEM_KINDS.get(coupon.entity_type)
    if coupon.entity_type == EntityType.GROUP and coupon.group_id is None:
        raise CouponInvalid(message="A GROUP coupon needs its group (an id or a path).",
                            field="group")
    if kind is not None and (coupon.item is None or coupon.item.kind != kind):
        raise CouponInvalid(message=f"A {coupon.entity_type} coupon needs a "
                                    f"{kind.replace('_', ' ')} as its entity.", field="item")
    if coupon.type in (CouponType.AMOUNT, CouponType.TOTAL_AMOUNT):
        if coupon.value_amount_cents is None:
            raise AmountRequired(message=f"A {coupon.type} coupon needs an amount.",
                                 field="value_amount_cents", type=coupon.type)
        if coupon.value_amount_cents < 0:
            raise CouponInvalid(message="The amount cannot be negative.",
                                field="value_amount_cents")
    elif coupon.value_amount_cents is not None:
        raise AmountNotApplicable(field="value_amount_cents")
    if coupon.type == CouponType.PERCENT:
        if coupon.value_percent is None:
            raise PercentRequired(field="value_percent")
        if not Decimal(0) <= Decimal(coupon.value_percent) <= Decimal(100):
            raise CouponInvalid(message="The percentage must be from 0 to 100.",
                                field="value_percent")
    elif coupon.value_percent is not None:
        raise PercentNotApplicable(field="value_percent")
    if coupon.value_count is not None and coupon.value_count < 0:
        raise CouponInvalid(message="The number of uses cannot be negative.",
                            field="value_count")
    if coupon.start_date and coupon.exp_date and coupon.exp_date <= coupon.start_date:
        raise CouponInvalid(message="The expiry date must be after the start date.",
                            field="exp_date")
    if coupon.status not in CouponStatus.values:
        raise CouponInvalid(message="status is ACTIVE or INACTIVE.", field="status")


def _save_unique(coupon: Coupon) -> Coupon:
    try:
        with transaction.atomic():
            coupon.save()
    except IntegrityError as exc:
        if Coupon.objects.by_code(coupon.code).exclude(pk=coupon.pk).exists():
            raise CouponCodeTaken(
                message=f"Another coupon already has the code {coupon.display_code!r}.",
                field="code") from exc
        raise
    return coupon


@transaction.atomic
def create_coupon(
    *,
    type: str,
    entity_type: str,
    code: str | None = None,
    item: CatalogItem | None = None,
    group: LearnerGroup | None = None,
    value_count: int | None = None,
    value_amount_cents: int | None = None,
    value_percent: Decimal | None = None,
    start_date: dt.datetime | None = None,
    exp_date: dt.datetime | None = None,
    owner_group: LearnerGroup | None = None,
    set_membership_expiration: bool = False,
    add_user_to_coupons_group: bool = False,
    require_approval: bool = False,
    preview_access_only: bool = False,
    status: str = CouponStatus.ACTIVE,
    comment: str = "",
    created_by: str = "",
) -> Coupon:
    """A new coupon; its code is generated when none is given, else stored canonical beside
    the text as written (`clean_coupon_code`). An expired one may be made."""
    if type not in CouponType.values:
        raise CouponInvalid(message=f"type must be one of {', '.join(CouponType.values)}.",
                            field="type")
    if entity_type not in EntityType.values:
        choices = ", ".join(EntityType.values)
        raise UnknownEntityType(message=f"entity_type must be one of {choices}.",
                                field="entity_type", choices=choices)
    generated = not (code or "").strip()
    if generated:
        code = display_code = generate_code()
    else:
        code, display_code = clean_coupon_code(code)
    coupon = Coupon(
        code=code, display_code=display_code, type=type, entity_type=entity_type, item=item,
        group=group,
        value_count=value_count, value_amount_cents=value_amount_cents,
        value_percent=value_percent, start_date=start_date, exp_date=exp_date,
        owner_group=owner_group, set_membership_expiration=set_membership_expiration,
        add_user_to_coupons_group=add_user_to_coupons_group, require_approval=require_approval,
        preview_access_only=preview_access_only, status=status, comment=comment,
        created_by=created_by[:200],
    )
    check_terms(coupon)
    if not generated:
        return _save_unique(coupon)
    # Insert and let the unique constraint decide (each try in its own savepoint): no
    # check-then-insert, which two requests could pass at once.
    for _ in range(_GENERATE_TRIES - 1):
        try:
            return _save_unique(coupon)
        except CouponCodeTaken:
            coupon.code = coupon.display_code = generate_code()
    return _save_unique(coupon)


@transaction.atomic
def update_coupon(coupon: Coupon, **changes) -> Coupon:
    """Change a coupon's terms under its lock; `value_count` never below its uses so far."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise CouponInvalid(message=f"These cannot be changed: {', '.join(sorted(unknown))}.")
    locked = Coupon.objects.select_for_update().get(pk=coupon.pk)
    for name, value in changes.items():
        setattr(locked, name, value)
    check_terms(locked)
    if "value_count" in changes and locked.value_count is not None:
        uses = locked.uses()
        if locked.value_count < uses:
            raise UsesBelowCount(
                message=f"The number of uses cannot go below the {uses} uses so far.",
                field="value_count", uses=uses)
    return _save_unique(locked)


@transaction.atomic
def delete_coupon(coupon: Coupon) -> None:
    """Delete a coupon nobody used; a used one is history: deactivate it instead."""
    locked = Coupon.objects.select_for_update().get(pk=coupon.pk)
    used = locked.usages.count()
    if used:
        raise CouponUsed(message=f"This coupon has been used ({used} usage(s)), so it is kept "
                                 "as history; set its status to INACTIVE instead.", uses=used)
    locked.delete()


def _is_member(user: User, group: LearnerGroup, at: dt.datetime) -> bool:
    return Membership.objects.current(at).filter(user=user, group=group).exists()


def _check_use(coupon: Coupon, *, user: User, item: CatalogItem, at: dt.datetime) -> None:
    """Every rule a use must pass (run again under the coupon's lock by `apply_coupon`)."""
    if coupon.status != CouponStatus.ACTIVE:
        raise CouponInactive()
    if coupon.start_date and at < coupon.start_date:
        raise CouponNotStarted()
    if coupon.exp_date and at >= coupon.exp_date:
        raise CouponExpired()
    if not serves(coupon, item):
        raise CouponNotForItem(message=f"This coupon cannot be used for “{item.title}”.",
                               field="item", item=item.title)
    if (coupon.owner_group_id and not coupon.add_user_to_coupons_group
            and not _is_member(user, coupon.owner_group, at)):
        raise NotInCouponGroup(field="user")
    if coupon.usages.filter(user=user, item=item, status__in=HOLDING).exists():
        raise CouponAlreadyUsed()
    if coupon.value_count is not None and coupon.uses() >= coupon.value_count:
        raise CouponUsedUp()
    if coupon.type == CouponType.TOTAL_AMOUNT and coupon.balance_cents() <= 0:
        raise CouponBalanceSpent()


def _discount(coupon: Coupon, item: CatalogItem) -> discounts.Discount:
    return discounts.discount(
        coupon.type, item.price_cents, amount_cents=coupon.value_amount_cents,
        percent=coupon.value_percent, balance_cents=coupon.balance_cents())


def quote(*, coupon: Coupon, user: User, item: CatalogItem,
          at: dt.datetime | None = None) -> Quote:
    """What applying the coupon would give, or the refusal it would meet; changes nothing."""
    at = at or timezone.now()
    _check_use(coupon, user=user, item=item, at=at)
    result = _discount(coupon, item)
    return Quote(coupon=coupon, user=user, item=item, price_cents=result.price_cents,
                 discount_cents=result.discount_cents,
                 final_price_cents=result.final_price_cents,
                 requires_approval=coupon.require_approval, uses=coupon.uses(),
                 balance_cents=coupon.balance_cents())


@transaction.atomic
def apply_coupon(*, coupon: Coupon, user: User, item: CatalogItem,
                 at: dt.datetime | None = None) -> CouponUsage:
    """Use the coupon: lock it, re-check, record the usage; grant now unless approval waits."""
    at = at or timezone.now()
    locked = Coupon.objects.select_for_update().get(pk=coupon.pk)
    _check_use(locked, user=user, item=item, at=at)
    result = _discount(locked, item)
    pending = locked.require_approval
    try:
        with transaction.atomic():
            usage = CouponUsage.objects.create(
                coupon=locked, user=user, item=item, price_cents=result.price_cents,
                discount_cents=result.discount_cents,
                final_price_cents=result.final_price_cents,
                status=UsageStatus.PENDING if pending else UsageStatus.APPROVED,
                decided_at=None if pending else at,
                decided_by="" if pending else "automatic (no approval needed)",
            )
    except IntegrityError as exc:  # the lock makes this unreachable; the constraint guards
        raise CouponAlreadyUsed() from exc
    if not pending:
        _grant(locked, usage, at)
    record_event(EventKind.COUPON_APPLIED, usage, user=user, data=payloads.usage(usage), at=at)
    return usage


def _grant(coupon: Coupon, usage: CouponUsage, at: dt.datetime) -> None:
    """What an approved usage gives: access to the item, and group membership."""
    if coupon.preview_access_only:
        grant_entitlement(user=usage.user, item=usage.item, starts_at=at,
                          expires_at=at + dt.timedelta(days=PREVIEW_DAYS),
                          source=EntitlementSource.COUPON, source_ref=usage.pk,
                          preview_only=True)
    else:
        grant_entitlement(user=usage.user, item=usage.item, starts_at=at,
                          source=EntitlementSource.COUPON, source_ref=usage.pk)
    group = coupon.owner_group
    if group is None:
        return
    membership = Membership.objects.filter(user=usage.user, group=group).first()
    is_current = membership is not None and membership.is_current(at)
    if coupon.set_membership_expiration and coupon.exp_date is not None and (
            is_current or coupon.add_user_to_coupons_group):
        add_member(user=usage.user, group=group, expires_at=coupon.exp_date,
                   is_admin=bool(membership and membership.is_admin))
    elif coupon.add_user_to_coupons_group and not is_current:
        add_member(user=usage.user, group=group, expires_at=None,
                   is_admin=bool(membership and membership.is_admin))


def can_decide(actor, coupon: Coupon, at: dt.datetime | None = None) -> bool:
    """Staff and API clients holding `coupons.approve_usage`, and admin members of the
    coupon's owner group, decide on usages."""
    if is_api_client(actor):
        return actor.has_perm(APPROVE_USAGE)
    if is_staff_user(actor) and actor.has_perm(APPROVE_USAGE):
        return True
    if coupon.owner_group_id is None or not getattr(actor, "is_authenticated", False):
        return False
    return Membership.objects.current(at).filter(
        user=actor, group_id=coupon.owner_group_id, is_admin=True).exists()


def _decide(usage: CouponUsage, by, at: dt.datetime) -> tuple[Coupon, CouponUsage]:
    coupon = Coupon.objects.select_for_update().get(pk=usage.coupon_id)
    locked = (CouponUsage.objects.select_for_update(of=("self",))
              .select_related("user", "item").get(pk=usage.pk))
    if not can_decide(by, coupon, at):
        raise CouponNotAllowed(message="Only staff or an admin of the coupon's group may "
                                       "approve or reject its usages.")
    if locked.user_id == getattr(by, "pk", None):  # an API key (no pk) is nobody's usage
        raise OwnUsageDecision()
    if locked.status != UsageStatus.PENDING:
        raise UsageNotPending(message=f"This usage is already {locked.status}; only pending "
                                      "usages can be approved or rejected.",
                              status=locked.status)
    return coupon, locked


@transaction.atomic
def approve_usage(*, usage: CouponUsage, by, at: dt.datetime | None = None) -> CouponUsage:
    """Approve a pending usage and grant what it gives."""
    at = at or timezone.now()
    coupon, locked = _decide(usage, by, at)
    locked.status = UsageStatus.APPROVED
    locked.decided_at = at
    locked.decided_by = str(by)[:200]
    locked.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
    _grant(coupon, locked, at)
    record_event(EventKind.COUPON_USAGE_APPROVED, locked, user=locked.user,
                 data=payloads.usage(locked), at=at)
    return locked


@transaction.atomic
def reject_usage(*, usage: CouponUsage, by, reason: str = "",
                 at: dt.datetime | None = None) -> CouponUsage:
    """Reject a pending usage: it gives nothing and frees its use (and its balance share)."""
    at = at or timezone.now()
    _, locked = _decide(usage, by, at)
    locked.status = UsageStatus.REJECTED
    locked.decided_at = at
    locked.decided_by = str(by)[:200]
    locked.reason = reason[:300]
    locked.save(update_fields=["status", "decided_at", "decided_by", "reason", "updated_at"])
    record_event(EventKind.COUPON_USAGE_REJECTED, locked, user=locked.user,
                 data=payloads.usage(locked), at=at)
    return locked


@transaction.atomic
def offer_item(*, group: LearnerGroup, item: CatalogItem) -> GroupOffering:
    """List `item` as offered by `group` (GROUP coupons serve it); safe to repeat."""
    try:
        with transaction.atomic():
            offering, _ = GroupOffering.objects.get_or_create(group=group, item=item)
    except IntegrityError:  # a concurrent request listed it first
        offering = GroupOffering.objects.get(group=group, item=item)
    return offering


@transaction.atomic
def remove_offering(offering: GroupOffering) -> None:
    """Stop the group offering the item (GROUP coupons no longer serve it); usages made
    through it stay. Removing it twice changes nothing."""
    GroupOffering.objects.filter(pk=offering.pk).delete()
