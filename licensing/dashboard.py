"""Licensing's panels on the staff dashboard (`core.dashboard`): the licenses closest to
full (ancestor limits included) and those that expire soon. Registered in
`LicensingConfig.ready()`."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from core.charts import fill_bar
from core.dashboard import DashboardPanel, Period, expiring_soon
from licensing import selectors
from licensing.models import License


def _fullest(period: Period) -> str:
    rows = []
    for fill in selectors.fullest_licenses(at=period.now):
        license = fill.license
        via = "" if fill.binding.pk == license.pk else f"the limit of “{fill.binding.name}”"
        rows.append({
            "name": f"{license.name} ({license.client.name})",
            "url": reverse("admin:licensing_license_change", args=[license.pk]),
            "bar": fill_bar(fill.used, fill.limit,
                            label=f"{fill.used:,} of {fill.limit:,} seats used"),
            "figures": f"{fill.used:,} / {fill.limit:,}", "note": via,
        })
    return render_to_string("admin/dashboard/bars.html", {
        "title": "Licenses near full: seats used / limit", "rows": rows,
        "intro": "The licenses in force with the least room; a limit of an ancestor counts.",
        "empty": "No license has a seat limit.",
        "more_url": reverse("admin:licensing_license_changelist"), "more": "Every license",
    })


PANELS = [
    DashboardPanel(key="licensing.fullest", order=30, model=License, render=_fullest),
    expiring_soon(key="licensing.licenses", order=30, model=License, label="Licenses",
                  rows=selectors.licenses_expiring, field_path="effective_expires_at",
                  describe=lambda lic: f"{lic.name} ({lic.effective_expires_at:%-d %b})"),
]
