"""The coupons' panels on the staff dashboard (`core.dashboard`): uses against each limit,
the usages waiting for approval, and the coupons that expire soon. Registered in
`CouponsConfig.ready()`."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from core.charts import fill_bar
from core.dashboard import DashboardPanel, Period, expiring_soon
from coupons import selectors
from coupons.models import Coupon, CouponStatus, CouponUsage, UsageStatus


def _by_use(period: Period) -> str:
    rows = [{
        "name": coupon.display_code,
        "url": reverse("admin:coupons_coupon_change", args=[coupon.pk]),
        "bar": fill_bar(coupon.uses, coupon.value_count,
                        label=f"{coupon.uses:,} of {coupon.value_count:,} uses"),
        "figures": f"{coupon.uses:,} / {coupon.value_count:,}", "note": "",
    } for coupon in selectors.coupons_by_use()]
    return render_to_string("admin/dashboard/bars.html", {
        "title": "Coupons: uses / limit", "rows": rows,
        "intro": "Active coupons with a use limit, closest to it first (pending uses count).",
        "empty": "No active coupon has a use limit.",
        "more_url": reverse("admin:coupons_coupon_changelist"), "more": "Every coupon",
    })


def _pending(period: Period) -> str:
    return render_to_string("admin/dashboard/pending.html", {
        "count": selectors.pending_usages_count(),
        "url": reverse("admin:coupons_couponusage_changelist")
        + f"?status__exact={UsageStatus.PENDING}",
    })


PANELS = [
    DashboardPanel(key="coupons.by_use", order=40, model=Coupon, render=_by_use),
    DashboardPanel(key="coupons.pending", order=45, model=CouponUsage, render=_pending),
    expiring_soon(key="coupons.coupons", order=40, model=Coupon, label="Coupons (active)",
                  rows=selectors.coupons_expiring, field_path="exp_date",
                  describe=lambda c: f"{c.display_code} ({c.exp_date:%-d %b})",
                  status__exact=CouponStatus.ACTIVE),
]
