"""Who may call what: the one permission table of every API (DESIGN.md "Permissions").

Each operation needs Django permissions, the same ones the admin asks for (`app.view_model`,
`add_`, `change_`, `delete_`, and custom verbs such as `redemptions.redeem_on_behalf`,
`redemptions.rollback_redemption`, `coupons.approve_usage`, `licensing.assign_seats`). A view
declares them (`required_permissions`, by action or HTTP method; else they follow from its
model, or `permission_model`, and the method), and the learner scope, if learners may call
it (`learner_scope`).
`permission_table()` collects every operation's `Requirement` from the URLconf: the OpenAPI
schema (`accounts.schema`), the README's "Permissions" section and the tests read it.

- A staff user holds permissions through groups (`user.has_perm`);
- an API key through its role (`ROLES`): `read-only` views everything, `codes` also changes
  offers, code groups, codes and redemptions, `licensing` licenses and seats, `coupons`
  coupons and usages; only `full` changes the catalog, learners, groups and keys;
- an OAuth token only within its scopes: learner tokens carry `redeem` and `read:own`; a token
  acts as staff only with the `staff` scope, which an application must be granted (on its
  admin page by staff holding `accounts.grant_staff_scope`, or `OAUTH_STAFF_APPLICATIONS`;
  `accounts.oauth.ScopeValidator`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rest_framework.permissions import BasePermission

from accounts.roles import ROLES, role_allows

# Scopes of OAuth2 tokens (settings.OAUTH2_PROVIDER["SCOPES"] lists the same words).
SCOPE_REDEEM = "redeem"
SCOPE_READ_OWN = "read:own"
SCOPE_STAFF = "staff"
SCOPES = {
    SCOPE_REDEEM: "Redeem codes and coupons for yourself",
    SCOPE_READ_OWN: "Read what you hold",
    SCOPE_STAFF: "Act as the staff member you are, within your permissions "
                 "(granted to chosen applications only)",
}
LEARNER_SCOPES = (SCOPE_REDEEM, SCOPE_READ_OWN)

# Custom verbs (not a model change) that the admin and the APIs ask for alike.
REDEEM_ON_BEHALF = "redemptions.redeem_on_behalf"
APPROVE_USAGE = "coupons.approve_usage"
ASSIGN_SEATS = "licensing.assign_seats"

VERBS = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "PUT": "change",
         "PATCH": "change", "DELETE": "delete"}


@dataclass(frozen=True)
class Requirement:
    """What one operation needs: permissions of a back-office credential, and the scope of a
    learner's token (None: learners may not call it)."""

    permissions: tuple[str, ...]
    learner_scope: str | None = None
    back_office: bool = True  # False: learners only (Zype's redeem acts for the caller)
    # False: Django's session cookie may not sign it (a state change over GET, which carries
    # no CSRF token: `accounts.authentication.refuse_session_change_over_get`)
    by_session: bool = True


def model_permission(model, verb: str) -> str:
    return f"{model._meta.app_label}.{verb}_{model._meta.model_name}"


def requirement(view, method: str) -> Requirement:
    """The requirement a view declares for `method` (and its viewset action, if any)."""
    method = method.upper()
    declared = getattr(view, "required_permissions", None) or {}
    action = getattr(view, "action", None)
    scope = getattr(view, "learner_scope", None)
    if isinstance(scope, dict):
        scope = scope.get(action, scope.get(method))
    back_office = getattr(view, "back_office", True)
    for key in (action, method):
        if key in declared:
            return Requirement(tuple(declared[key]), scope, back_office)
    queryset = getattr(view, "queryset", None)
    model = getattr(view, "permission_model", None) or getattr(queryset, "model", None)
    if model is None or method not in VERBS:
        return Requirement((), scope, back_office)
    return Requirement((model_permission(model, VERBS[method]),), scope, back_office)


def is_api_client(user) -> bool:
    return bool(getattr(user, "is_api_client", False))


def token_scopes(user) -> frozenset[str] | None:
    """The scopes of the OAuth token the user came with (None: not a token, e.g. a session)."""
    return getattr(user, "token_scopes", None)


def is_staff_user(user) -> bool:
    """A staff member acting as staff: a session or HTTP Basic, or a token with `staff`."""
    if not (user and user.is_authenticated and user.is_staff and not is_api_client(user)):
        return False
    scopes = token_scopes(user)
    return scopes is None or SCOPE_STAFF in scopes


def is_back_office(user) -> bool:
    return is_api_client(user) or is_staff_user(user)


def is_learner(user) -> bool:
    return bool(user and user.is_authenticated and not is_api_client(user))


def holds(user, permissions) -> bool:
    return all(user.has_perm(perm) for perm in permissions)


def learner_may(user, scope: str | None) -> bool:
    """A person acting for themselves: the view must let learners in, and a token must carry
    the scope (a session carries every learner scope)."""
    if scope is None or not is_learner(user):
        return False
    scopes = token_scopes(user)
    return scopes is None or scope in scopes


class Authorised(BasePermission):
    """Every API call: within the Django permissions the operation needs (`requirement`).

    On a learner's operation (redeem, access) a back-office credential acting for someone
    needs the permissions too; staff naming nobody act for themselves (checked again, for the
    learner named, by `accounts.validators.acting_for`)."""

    message = "Your credentials do not allow this operation."

    def has_permission(self, request, view):
        return may(request.user, requirement(view, request.method))


def may(user, needed: Requirement) -> bool:
    """Whether `user` (a person or an `ApiClient`) may call an operation needing `needed`."""
    if not (user and user.is_authenticated):
        return False
    if is_api_client(user) or (is_staff_user(user) and needed.learner_scope is None):
        return needed.back_office and holds(user, needed.permissions)
    return learner_may(user, needed.learner_scope) or (
        needed.back_office and is_staff_user(user) and holds(user, needed.permissions))


def allowed(kind: str, detail: str, needed: Requirement) -> bool:
    """What the table says a credential may do, without a request (README, tests):
    `kind` is "role" (an API key of role `detail`), "scope" (a learner's token with scope
    `detail`) or "staff" (a staff user signed in by Django's session, holding the permissions
    named in `detail`, comma separated)."""
    if kind == "role":
        return needed.back_office and all(role_allows(detail, p) for p in needed.permissions)
    if kind == "scope":
        return needed.learner_scope is not None and needed.learner_scope == detail
    held_perms = set(filter(None, detail.split(",")))
    return needed.by_session and (needed.learner_scope is not None or (
        needed.back_office and set(needed.permissions) <= held_perms))


def permission_table() -> dict[tuple[str, str, str | None], Requirement]:
    """Every API operation of the URLconf, as (path, method, EduBrite's dispatch or None) →
    its requirement: what the
    OpenAPI schema documents (drf-spectacular's endpoint enumerator)."""
    from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator

    generator, table = SchemaGenerator(), {}
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        view = generator.create_view(callback, method)
        path = generator.coerce_path(path, method, view)
        if not any(isinstance(p, Authorised) for p in view.get_permissions()):
            continue  # open by design (EduBrite's connect.do, unknown services)
        dispatches = getattr(view, "dispatch_requirements", None)
        if dispatches:  # EduBrite: one service, a verb per `dispatch=`
            for dispatch, needed in dispatches.items():
                if method.upper() != "POST" and dispatch not in view.reads:
                    needed = replace(needed, by_session=False)
                table[(path, method.upper(), dispatch)] = needed
        else:
            table[(path, method.upper(), None)] = requirement(view, method)
    return table


def readme_section() -> str:
    """The README's "Permissions" tables, generated from the table (a test compares them)."""
    from accounts.roles import ROLE_WORDS

    table = permission_table()
    lines = ["| API key role | what it may do | operations |", "|---|---|---|"]
    for role in ROLES:
        count = sum(allowed("role", role, needed) for needed in table.values())
        lines.append(f"| `{role}` | {ROLE_WORDS[role]} | {count} of {len(table)} |")
    lines += ["", "| OAuth scope | what it lets a token do | operations |", "|---|---|---|"]
    for scope, words in SCOPES.items():
        if scope == SCOPE_STAFF:
            ops = "every operation, within the staff member's permissions"
        else:
            ops = ", ".join(sorted({f"`{method} {path}{f'?dispatch={d}' if d else ''}`"
                                    for (path, method, d), needed in table.items()
                                    if needed.learner_scope == scope
                                    and not path.startswith("/oltpublish/")}))
        lines.append(f"| `{scope}` | {words} | {ops} |")
    return "\n".join(lines) + "\n"
