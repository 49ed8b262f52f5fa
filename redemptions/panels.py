"""The redemptions panel on a learner's admin page (`accounts.panels`), with the tool that
rolls one back (`redemptions/admin.py`); registered in `RedemptionsConfig.ready()`."""

from django.urls import reverse

from accounts.panels import history_panel, when


def _redemption_tools(redemption, viewer) -> list[tuple[str, str]]:
    if redemption.rolled_back_at or not viewer.has_perm("redemptions.rollback_redemption"):
        return []
    return [("Roll back…", reverse("admin:redemptions_redemption_rollback",
                                   args=[redemption.pk]))]


def _rolled_back(redemption) -> str:
    if not redemption.rolled_back_at:
        return "—"
    by = f" by {redemption.rolled_back_by}" if redemption.rolled_back_by else ""
    return f"{when(redemption.rolled_back_at)}{by}: {redemption.rolled_back_reason}"

PANELS = [
    history_panel(
        key="redemptions.redemptions", order=30, title="Redemptions", held_as="redemption(s)",
        rows=lambda user: user.redemptions.select_related("code", "code__group")
        .order_by("-redeemed_at", "-id"),
        admin_name="redemptions_redemption",
        headings=["Code", "Group", "Redeemed", "IP", "Rolled back"],
        cells=lambda r: [r.code.code, r.code.group.label if r.code.group else "—",
                         when(r.redeemed_at), r.ip or "—", _rolled_back(r)],
        row_tools=_redemption_tools),
]
