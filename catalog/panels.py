"""The catalog's panels on a learner's admin page (`accounts.panels`): what they may open now
and through what, then the grants behind it. Registered in `CatalogConfig.ready()`."""

from django.template.loader import render_to_string

from accounts.panels import LearnerPanel, history_panel, when
from catalog.selectors import holdings


def _may_open_now(user) -> str:
    return render_to_string("admin/catalog/learner_holdings.html",
                            {"holdings": holdings(user)})


PANELS = [
    LearnerPanel(key="catalog.holdings", order=10, render=_may_open_now),
    history_panel(
        key="catalog.grants", order=20, title="Grants", held_as="grant(s)",
        rows=lambda user: user.entitlements.select_related("item").order_by("-created_at"),
        admin_name="catalog_entitlement",
        headings=["Item", "Source", "Reference", "From", "Until", "Revoked"],
        cells=lambda e: [e.item.title, e.get_source_display(), e.source_ref or "—",
                         when(e.starts_at), when(e.expires_at), when(e.revoked_at)]),
]
