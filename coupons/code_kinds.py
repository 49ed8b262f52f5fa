"""Coupon codes on the learner's redeem page (`accounts.code_kinds`), registered in
`CouponsConfig.ready()`: a coupon typed there is described — the discount and what it is
for — and one that grants access by itself (a USAGE or 100% coupon on one item, so nothing
is left to pay) is applied there, through `services.apply_coupon` (the API's rules)."""

from __future__ import annotations

from accounts.code_kinds import CodeDescription, CodeKind, CodeUse
from coupons import discounts, services
from coupons.errors import CouponError, CouponNotForItem, CouponNotFound
from coupons.models import Coupon, CouponType, EntityType, UsageStatus

KEY = "coupon"


def _money(cents: int | None) -> str:
    return discounts.cents_to_units(cents or 0)


def _discount_in_words(coupon: Coupon) -> str:
    if coupon.type == CouponType.USAGE:
        return "Free access"
    if coupon.type == CouponType.PERCENT:
        return f"{coupon.value_percent.normalize():f}% off"
    if coupon.type == CouponType.AMOUNT:
        return f"{_money(coupon.value_amount_cents)} off"
    return f"{_money(coupon.balance_cents())} left to spend"


def _for_what(coupon: Coupon) -> str:
    if coupon.entity_type == EntityType.SITE:
        return "any paid item on this site"
    if coupon.entity_type == EntityType.GROUP:
        return f"what the group “{coupon.group.name}” offers"
    return f"“{coupon.item.title}” ({coupon.item.get_kind_display().lower()})"


def _find(text: str) -> Coupon | None:
    return (Coupon.objects.by_code(text).select_related("item", "group", "owner_group")
            .first())


def describe(text: str, user) -> CodeDescription | None:
    coupon = _find(text)
    if coupon is None:
        return None
    details = []
    if coupon.exp_date:
        details.append(f"Usable until {coupon.exp_date:%-d %B %Y}.")
    if coupon.require_approval:
        details.append("Each use waits for approval.")
    if coupon.preview_access_only:
        details.append(f"It opens a preview only, for {services.PREVIEW_DAYS} days.")
    usable, refusal = False, ""
    if coupon.item is not None:
        try:
            quote = services.quote(coupon=coupon, user=user, item=coupon.item)
        except CouponError as exc:
            refusal = exc.message
        else:
            usable = quote.final_price_cents == 0
    if not usable and not refusal:
        details.append("Use it when you pay for the item; it does not open anything by "
                       "itself.")
    return CodeDescription(
        kind=KEY, heading="This is a coupon",
        summary=f"{_discount_in_words(coupon)} on {_for_what(coupon)}", details=details,
        usable_here=usable, use_label="Apply the coupon", refusal=refusal)


def use(text: str, user) -> CodeUse:
    coupon = _find(text)
    if coupon is None:
        raise CouponNotFound()
    if coupon.item is None:
        raise CouponNotForItem(message="This coupon is used when you pay for an item.")
    usage = services.apply_coupon(coupon=coupon, user=user, item=coupon.item)
    if usage.status == UsageStatus.PENDING:
        return CodeUse(heading="Coupon applied",
                       message=f"Coupon {coupon.display_code} is applied to “{coupon.item.title}”; "
                               "the access waits for approval.", pending=True)
    return CodeUse(heading="Coupon applied", message=f"Coupon {coupon.display_code} is applied.")


CODE_KINDS = [CodeKind(key=KEY, order=10, describe=describe, use=use)]
