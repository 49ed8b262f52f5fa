"""Refusals of the accounts rules."""

from core.errors import DomainError


class AccountsError(DomainError):
    default_code = "accounts_invalid"
    http_status = 400


class GroupPathInvalid(AccountsError):
    """A group path that does not follow the syntax (400)."""

    default_code = "group_path_invalid"


class GroupNotFound(AccountsError):
    """A group id or path that names no group (404)."""

    default_code = "group_not_found"
    http_status = 404


class GroupPathAmbiguous(AccountsError):
    """A group path that matches more than one group (400)."""

    default_code = "group_path_ambiguous"
