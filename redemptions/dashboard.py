"""The redemptions' panels on the staff dashboard (`core.dashboard`): redemptions per day,
the most active code groups, and the groups and codes that expire soon. Registered in
`RedemptionsConfig.ready()`; the reads are `redemptions.selectors`'."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from core.charts import column_chart, fill_bar
from core.dashboard import DashboardPanel, Period, date_range_url, expiring_soon
from redemptions import selectors
from redemptions.models import Code, CodeGroup, Redemption


def _per_day(period: Period) -> str:
    counts = selectors.redemptions_per_day(period.start)
    days = [(day, counts.get(day, 0)) for day in period.dates()]
    total = sum(n for _, n in days)
    busiest, most = max(days, key=lambda point: point[1])
    first, last = days[0][0], days[-1][0]
    desc = (f"{total:,} redemptions from {first:%-d %B} to {last:%-d %B %Y}"
            + (f"; the busiest day was {busiest:%-d %B} with {most:,}." if most else "."))
    chart = column_chart([(f"{day:%-d %b}", n) for day, n in days],
                         title=f"Redemptions per day over the last {period.days} days",
                         desc=desc, every=7 if period.days <= 30 else 15)
    return render_to_string("admin/dashboard/per_day.html", {
        "period": period, "chart": chart, "days": days, "total": total, "desc": desc,
        "list_url": date_range_url("redemptions_redemption", "redeemed_at", first, last),
    })


def _groups(period: Period) -> str:
    rows = []
    for activity in selectors.most_active_groups(period.start):
        group = activity.group
        redeemed, total = group.redeemed_codes_count, group.total_codes_count
        rows.append({
            "name": group.label, "url": reverse("admin:redemptions_codegroup_change",
                                                args=[group.pk]),
            "bar": fill_bar(redeemed, total, label=f"{redeemed:,} of {total:,} codes redeemed"),
            "figures": f"{redeemed:,} / {total:,}",
            "note": f"{activity.recent:,} code(s) redeemed in {period.days} days",
        })
    return render_to_string("admin/dashboard/bars.html", {
        "title": "Code groups: codes redeemed / codes", "rows": rows,
        "intro": f"The groups redeemed most in the last {period.days} days, then the newest.",
        "empty": "No code groups yet.",
        "more_url": reverse("admin:redemptions_codegroup_changelist"),
        "more": "Every code group",
    })


PANELS = [
    DashboardPanel(key="redemptions.per_day", order=10, model=Redemption, render=_per_day),
    DashboardPanel(key="redemptions.groups", order=20, model=CodeGroup, render=_groups),
    expiring_soon(key="redemptions.groups", order=10, model=CodeGroup, label="Code groups",
                  rows=selectors.code_groups_expiring, field_path="expiration_date",
                  describe=lambda g: f"{g.label} ({g.total_codes_count:,} codes, "
                                     f"{g.expiration_date:%-d %b})"),
    expiring_soon(key="redemptions.codes", order=20, model=Code,
                  label="Codes (their own expiry)", rows=selectors.codes_expiring,
                  field_path="expiration_date",
                  describe=lambda c: f"{c} ({c.expiration_date:%-d %b})"),
]
