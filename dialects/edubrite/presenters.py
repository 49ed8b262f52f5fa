"""Coupons and their usages as EduBrite shows them."""

from __future__ import annotations

from core.time import epoch_millis
from coupons.discounts import cents_to_units
from coupons.models import Coupon, CouponUsage


def coupon_brief(coupon: Coupon) -> dict:
    return {"id": str(coupon.pk), "name": coupon.display_code}


def coupon_full(coupon: Coupon) -> dict:
    entity = coupon.item_id or coupon.group_id
    return {
        "id": str(coupon.pk), "name": coupon.display_code, "type": coupon.type,
        "entityType": coupon.entity_type, "entityId": str(entity) if entity else None,
        "valueCount": coupon.value_count,
        "valueAmount": cents_to_units(coupon.value_amount_cents),
        "valuePercent": str(coupon.value_percent) if coupon.value_percent is not None else None,
        "startDate": epoch_millis(coupon.start_date), "expDate": epoch_millis(coupon.exp_date),
        "ownerGroupId": str(coupon.owner_group_id) if coupon.owner_group_id else None,
        "setMembershipExpiration": coupon.set_membership_expiration,
        "addUserToCouponsGroup": coupon.add_user_to_coupons_group,
        "requireApproval": coupon.require_approval,
        "previewAccessOnly": coupon.preview_access_only,
        "status": coupon.status, "comment": coupon.comment, "usedCount": coupon.uses(),
        "balance": cents_to_units(coupon.balance_cents()),
        "createdDate": epoch_millis(coupon.created_at),
    }


def usage_dict(usage: CouponUsage) -> dict:
    return {
        "id": str(usage.pk), "couponId": str(usage.coupon_id), "userName": usage.user.email,
        "eventId": str(usage.item_id), "status": usage.status,
        "price": cents_to_units(usage.price_cents),
        "discount": cents_to_units(usage.discount_cents),
        "finalPrice": cents_to_units(usage.final_price_cents),
        "createdDate": epoch_millis(usage.created_at),
        "decidedDate": epoch_millis(usage.decided_at),
    }
