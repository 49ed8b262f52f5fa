"""Refusals of the accounts rules."""

from core.errors import DomainError


class AccountsError(DomainError):
    default_code = "accounts_invalid"
    http_status = 400
