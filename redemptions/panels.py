"""The redemptions panel on a learner's admin page (`accounts.panels`), registered in
`RedemptionsConfig.ready()`."""

from accounts.panels import history_panel, when

PANELS = [
    history_panel(
        key="redemptions.redemptions", order=30, title="Redemptions", held_as="redemption(s)",
        rows=lambda user: user.redemptions.select_related("code", "code__group")
        .order_by("-redeemed_at", "-id"),
        admin_name="redemptions_redemption",
        headings=["Code", "Group", "Redeemed", "IP", "Rolled back"],
        cells=lambda r: [r.code.code, r.code.group.label if r.code.group else "—",
                         when(r.redeemed_at), r.ip or "—",
                         f"{when(r.rolled_back_at)} {r.rolled_back_reason}"
                         if r.rolled_back_at else "—"]),
]
