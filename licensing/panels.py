"""The license seats panel on a learner's admin page (`accounts.panels`), with the tools that
extend and revoke a seat (`licensing/admin.py`), and their section on the learner's My access
page (`catalog.sections`); registered in `LicensingConfig.ready()`."""

from django.template.loader import render_to_string
from django.urls import reverse

from accounts.panels import history_panel, when
from catalog.sections import AccessSection
from licensing.selectors import seats_held


def _my_seats(user) -> str:
    seats = seats_held(user)
    if not seats:
        return ""
    return render_to_string("licensing/_seats.html", {
        "seats": seats, "caption": "Your license seats, what they open, and until when."})


ACCESS_SECTIONS = [AccessSection(key="licensing.seats", order=10, render=_my_seats)]


def _seat_tools(seat, viewer) -> list[tuple[str, str]]:
    if seat.revoked_at or not viewer.has_perm("licensing.change_seat"):
        return []
    return [(label, reverse(f"admin:licensing_seat_{name}", args=[seat.pk]))
            for label, name in (("Extend…", "extend"), ("Revoke…", "revoke"))]

PANELS = [
    history_panel(
        key="licensing.seats", order=40, title="License seats", held_as="seat(s)",
        rows=lambda user: user.seats.select_related("license").order_by("-assigned_at"),
        admin_name="licensing_seat",
        headings=["License", "Assigned", "Until", "Revoked", "Source"],
        cells=lambda s: [s.license.name, when(s.assigned_at), when(s.expires_at),
                         f"{when(s.revoked_at)} {s.revoked_reason}" if s.revoked_at else "—",
                         s.source],
        row_tools=_seat_tools),
]
