"""The coupon usages panel on a learner's admin page (`accounts.panels`), registered in
`CouponsConfig.ready()`."""

from accounts.panels import history_panel, when

PANELS = [
    history_panel(
        key="coupons.usages", order=50, title="Coupon usages", held_as="coupon usage(s)",
        rows=lambda user: user.coupon_usages.select_related("coupon", "item")
        .order_by("-created_at"),
        admin_name="coupons_couponusage",
        headings=["Coupon", "Item", "Status", "Used", "Decided"],
        cells=lambda u: [u.coupon.display_code, u.item.title, u.get_status_display(),
                         when(u.created_at), when(u.decided_at)]),
]
