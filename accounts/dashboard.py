"""Accounts' line of the staff dashboard's "expires soon" box (`core.dashboard`): group
memberships that end soon. Registered in `AccountsConfig.ready()`."""

from accounts.models import Membership
from accounts.selectors import memberships_expiring
from core.dashboard import expiring_soon

PANELS = [
    expiring_soon(key="accounts.memberships", order=50, model=Membership,
                  label="Group memberships", rows=memberships_expiring, field_path="expires_at",
                  describe=lambda m: f"{m.user.email} in {m.group.name} "
                                     f"({m.expires_at:%-d %b})"),
]
