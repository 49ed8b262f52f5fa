"""Refusals of the coupon rules: one class per refusal, each with its stable code and default
status. `CouponRefused` (422) and `CouponConflict` (409) are only their families' bases; the
dialects choose the wording on the wire by class (EduBrite's 4-digit message codes too, in
`dialects.edubrite.errors`)."""

from core.errors import (
    Conflict,
    DomainError,
    HeldAlready,
    InvalidInput,
    NotAllowed,
    NotFound,
    RuleRefused,
)


class CouponError(DomainError):
    default_code = "coupon_invalid"
    http_status = 400


class CouponInvalid(InvalidInput, CouponError):
    """The coupon's terms do not hold together (400; `field` names the term)."""

    default_code = "coupon_invalid"


# Terms refused one by one, so each dialect can word them by class; they keep the family's
# code (`coupon_invalid`) on the wire.
class UnknownEntityType(CouponInvalid):
    """An entity type that is none of `EntityType` (`data`: `choices`, comma-separated)."""

    default_message = "entity_type must be one of the entity types."


class AmountRequired(CouponInvalid):
    """An AMOUNT or TOTAL_AMOUNT coupon without its amount (`data`: `type`)."""

    default_message = "This coupon type needs an amount."


class AmountNotApplicable(CouponInvalid):
    default_message = "An amount is only for AMOUNT and TOTAL_AMOUNT coupons."


class PercentRequired(CouponInvalid):
    default_message = "A PERCENT coupon needs a percentage."


class PercentNotApplicable(CouponInvalid):
    default_message = "A percentage is only for PERCENT coupons."


class CouponNotFound(NotFound, CouponError):
    default_code = "coupon_not_found"
    default_message = "No coupon has this code."


class CouponCodeUnknown(CouponNotFound):
    """A code typed to use a coupon that no coupon has (a guess counts against the learner)."""

    default_code = "coupon_code_unknown"


class UsageNotFound(NotFound, CouponError):
    default_code = "usage_not_found"
    default_message = "No coupon usage has this id."


class CouponRefused(RuleRefused, CouponError):
    """A well-formed use the rules refuse (422): the base of the refusals below."""

    default_code = "coupon_refused"


class CouponInactive(CouponRefused):
    default_code = "coupon_inactive"
    default_message = "This coupon is not active."


class CouponNotStarted(CouponRefused):
    default_code = "coupon_not_started"
    default_message = "This coupon cannot be used yet."


class CouponExpired(CouponRefused):
    default_code = "coupon_expired"
    default_message = "This coupon has expired."


class CouponNotForItem(CouponRefused):
    """The coupon does not serve this item (`data`: `item`, its title)."""

    default_code = "coupon_not_for_item"
    default_message = "This coupon cannot be used for this item."


class NotInCouponGroup(CouponRefused):
    default_code = "not_in_coupon_group"
    default_message = "This coupon is only for members of its group."


class CouponUsedUp(CouponRefused):
    default_code = "coupon_used_up"
    default_message = "This coupon has been used up."


class CouponBalanceSpent(CouponRefused):
    default_code = "coupon_balance_spent"
    default_message = "This coupon's balance has been spent."


class UsesBelowCount(CouponRefused):
    """A coupon's number of uses set below the uses it has had (`data`: `uses`)."""

    default_code = "value_count_below_uses"
    default_message = "The number of uses cannot go below the uses so far."


class CouponConflict(Conflict, CouponError):
    """A conflict with what exists (409): the base of the conflicts below."""

    default_code = "coupon_conflict"


class CouponCodeTaken(CouponConflict):
    default_code = "coupon_code_taken"
    default_message = "Another coupon already has this code."


class CouponAlreadyUsed(HeldAlready, CouponConflict):
    default_code = "coupon_already_used"
    default_message = "This learner has already used this coupon for this item."


class CouponUsed(CouponConflict):
    """Deleting a coupon that holds usages (`data`: `uses`)."""

    default_code = "coupon_used"
    default_message = ("This coupon has been used, so it is kept as history; set its status "
                       "to INACTIVE instead.")


class UsageNotPending(CouponConflict):
    """Deciding a usage already decided (`data`: `status`)."""

    default_code = "usage_not_pending"
    default_message = "Only pending usages can be approved or rejected."


class CouponNotAllowed(NotAllowed, CouponError):
    default_code = "not_allowed"


class OwnUsageDecision(NotAllowed, CouponError):
    """Whoever used the coupon does not decide on that usage, however they may decide on
    others' (a group's admin member, staff holding `coupons.approve_usage`)."""

    default_code = "own_usage"
    default_message = ("Nobody may approve or reject their own coupon usage; another admin of "
                       "the coupon's group or staff decides.")
