"""Refusals of the redemption rules, each with a stable code.

`RedemptionError` is what redeeming, checking and rolling back raise: its HTTP status follows
from its code (API.md: 404 for an unknown code, 409 for a conflict with what exists, 422 for a
well-formed request the rules refuse). `CodeGroupError` is a generator request that cannot be
met as given (400): a count too large, a code space too small.
"""

from __future__ import annotations

from core.errors import DomainError

# Stable codes a redemption can be refused with, and the status each renders as.
REDEMPTION_STATUSES: dict[str, int] = {
    "not_found": 404,
    "inactive": 422,
    "not_started": 422,
    "expired": 422,
    "used_up": 422,
    "already_redeemed": 422,
    "access_ended": 422,
    "nothing_to_grant": 422,
    "license_full": 422,
    "license_expired": 422,
    "already_rolled_back": 409,
}


class RedemptionError(DomainError):
    """A redemption (or its check or rollback) refused; nothing changed."""

    default_code = "refused"
    default_message = "This code cannot be redeemed."
    http_status = 422

    def __init__(self, code: str | None = None, message: str | None = None, **kwargs) -> None:
        kwargs.setdefault("http_status", REDEMPTION_STATUSES.get(code or "", self.http_status))
        super().__init__(code, message, **kwargs)


class CodeGroupError(DomainError):
    """A request to make codes that cannot be met as given (400)."""

    default_code = "invalid_code_group"
    http_status = 400


class GenerationRequestSpent(DomainError):
    """A generate form submitted again after the group it made was deleted (409): it is not
    made a second time; open the form anew to make another."""

    default_code = "generation_request_spent"
    default_message = ("This form was submitted before and the group it made has since been "
                       "deleted; open the form again to make a new group.")
    http_status = 409


class CodeInUse(DomainError):
    """Deleting what holds redemption history (409)."""

    default_code = "redeemed"
    http_status = 409


class OfferError(DomainError):
    """Offer terms that do not hold together (400)."""

    default_code = "invalid_offer"
    http_status = 400
