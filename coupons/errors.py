"""Refusals of the coupon rules. Each carries a stable code; dialects choose the wording on
the wire (EduBrite maps the codes to its 4-digit message codes in `dialects.edubrite`)."""

from core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound, RuleRefused


class CouponError(DomainError):
    default_code = "coupon_invalid"
    http_status = 400


class CouponInvalid(InvalidInput, CouponError):
    """The coupon's terms do not hold together (400)."""

    default_code = "coupon_invalid"


class CouponNotFound(NotFound, CouponError):
    default_code = "coupon_not_found"
    default_message = "No coupon has this code."


class UsageNotFound(NotFound, CouponError):
    default_code = "usage_not_found"
    default_message = "No coupon usage has this id."


class CouponRefused(RuleRefused, CouponError):
    """A well-formed use the rules refuse: inactive, outside its window, used up… (422)."""

    default_code = "coupon_refused"


class CouponConflict(Conflict, CouponError):
    """Already used, not pending, deleting history (409)."""

    default_code = "coupon_conflict"


class CouponNotAllowed(NotAllowed, CouponError):
    default_code = "not_allowed"
