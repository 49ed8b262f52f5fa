"""The catalog's panels on a learner's admin page (`accounts.panels`): what they may open now
and through what, then the grants behind it, with the tools that grant, extend and revoke
(`catalog/admin.py`). Registered in `CatalogConfig.ready()`."""

from django.template.loader import render_to_string
from django.urls import reverse

from accounts.panels import LearnerPanel, history_panel, when
from catalog.selectors import holdings


def _may_open_now(user, viewer=None) -> str:
    return render_to_string("admin/catalog/learner_holdings.html",
                            {"holdings": holdings(user)})


def _grant_tools(entitlement, viewer) -> list[tuple[str, str]]:
    if entitlement.revoked_at or not viewer.has_perm("catalog.change_entitlement"):
        return []
    return [(label, reverse(f"admin:catalog_entitlement_{name}", args=[entitlement.pk]))
            for label, name in (("Extend…", "extend"), ("Revoke…", "revoke"))]


def _grants_tools(user, viewer) -> list[tuple[str, str]]:
    if not viewer.has_perm("catalog.add_entitlement"):
        return []
    return [("Grant an item…", f"{reverse('admin:catalog_entitlement_grant')}?user={user.pk}")]


PANELS = [
    LearnerPanel(key="catalog.holdings", order=10, render=_may_open_now),
    history_panel(
        key="catalog.grants", order=20, title="Grants", held_as="grant(s)",
        rows=lambda user: user.entitlements.select_related("item").order_by("-created_at"),
        admin_name="catalog_entitlement",
        headings=["Item", "Source", "Reference", "From", "Until", "Revoked"],
        cells=lambda e: [e.item.title, e.get_source_display(), e.source_ref or "—",
                         when(e.starts_at), when(e.expires_at), when(e.revoked_at)],
        row_tools=_grant_tools, panel_tools=_grants_tools),
]
