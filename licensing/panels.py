"""The license seats panel on a learner's admin page (`accounts.panels`), registered in
`LicensingConfig.ready()`."""

from accounts.panels import history_panel, when

PANELS = [
    history_panel(
        key="licensing.seats", order=40, title="License seats", held_as="seat(s)",
        rows=lambda user: user.seats.select_related("license").order_by("-assigned_at"),
        admin_name="licensing_seat",
        headings=["License", "Assigned", "Until", "Revoked", "Source"],
        cells=lambda s: [s.license.name, when(s.assigned_at), when(s.expires_at),
                         f"{when(s.revoked_at)} {s.revoked_reason}" if s.revoked_at else "—",
                         s.source]),
]
