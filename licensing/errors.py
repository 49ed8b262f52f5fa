"""Refusals of the licensing rules: each declares its stable code and HTTP status."""

from core.errors import Conflict, DomainError, InvalidInput, RuleRefused


class LicensingError(DomainError):
    """Base of the licensing refusals that are plain bad input (400)."""

    default_code = "licensing_invalid"
    http_status = 400


class LicenseFull(RuleRefused):
    """No seat left on the license or on one of its ancestors."""

    default_code = "license_full"
    default_message = "No seat is left on this license."


class AlreadySeated(Conflict):
    """The learner already holds an active seat on this license."""

    default_code = "already_seated"
    default_message = "This learner already holds a seat on this license."


class LicenseExpired(RuleRefused):
    """The license (or one of its ancestors) has expired: no new seats."""

    default_code = "license_expired"
    default_message = "This license has expired."


class LicenseCycle(RuleRefused):
    """A license cannot be its own ancestor."""

    default_code = "license_cycle"
    default_message = "A license cannot be its own parent, directly or through other licenses."


class ParentOfAnotherClient(RuleRefused):
    """A license's parent must belong to the same client."""

    default_code = "parent_other_client"
    default_message = "The parent license belongs to another client."


class SeatsLimitBelowUse(RuleRefused):
    """A seat limit cannot go below the seats that already count against it."""

    default_code = "seats_limit_below_use"


class SeatRevoked(Conflict):
    """A revoked seat is history: it is not changed (assign a new one instead)."""

    default_code = "seat_revoked"
    default_message = "This seat has been revoked; assign a new one instead."


class SeatEndNotLater(RuleRefused):
    """A seat's new end must be later than its current one and in the future, and its
    license (access days, expiry, its ancestors') must allow it."""

    default_code = "seat_end_not_later"


class LicenseInUse(Conflict):
    """A license that holds seats (or seat history) or has children is not deleted."""

    default_code = "license_in_use"


class ClientChangeRefused(InvalidInput):
    """A license stays with the client it was created for."""

    default_code = "client_fixed"
    default_message = "A license cannot move to another client."
