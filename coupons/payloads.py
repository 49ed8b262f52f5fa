"""Event data for coupons' changes (see `events.payloads`)."""

from coupons.models import CouponUsage
from events.payloads import snapshot

USAGE_FIELDS = ["id", "coupon", "user", "item", "price_cents", "discount_cents",
                "final_price_cents", "status", "decided_at", "decided_by", "reason"]


def usage(used: CouponUsage) -> dict:
    return snapshot(used, USAGE_FIELDS, coupon_code=used.coupon.code)
