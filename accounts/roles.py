"""API key roles: the one place a role maps to the Django permissions it carries."""

# API key roles: the apps whose every permission the role holds, beyond viewing everything.
ENTITLE_APPS = ("catalog", "accounts", "licensing", "coupons", "redemptions", "events", "jobs")
ROLES = {
    "read-only": (),
    "codes": ("redemptions", "jobs"),  # generating, importing and exporting codes are jobs
    "licensing": ("licensing",),
    "coupons": ("coupons",),
    "full": ENTITLE_APPS,
}
ROLE_CHOICES = [(role, role) for role in ROLES]
ROLE_WORDS = {
    "read-only": "views everything, changes nothing",
    "codes": "views everything; changes offers, code groups, codes and redemptions "
             "(redeems on a learner's behalf, rolls back) and runs their jobs",
    "licensing": "views everything; changes licenses and seats",
    "coupons": "views everything; changes coupons and their usages (approves them)",
    "full": "everything, the catalog, learners, groups and API keys too",
}


def role_allows(role: str, perm: str) -> bool:
    """Whether an API key of `role` holds the Django permission `perm` ("app.codename")."""
    app_label, _, codename = perm.partition(".")
    if app_label not in ENTITLE_APPS or role not in ROLES:
        return False
    return codename.startswith("view_") or app_label in ROLES[role]
