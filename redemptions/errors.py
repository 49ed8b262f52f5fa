"""Refusals of the redemption rules: one class per refusal, each with its stable code and
default HTTP status (API.md: 404 for an unknown code, 409 for a conflict with what exists,
422 for a well-formed request the rules refuse, 400 for a request that cannot be met as given).

`RedemptionError` is the base of what redeeming, checking and rolling back raise;
`CodeGroupError` of requests to make codes; `CodeInUse` of changes that would rewrite history.
"""

from __future__ import annotations

from core.errors import Conflict, DomainError, HeldAlready


class RedemptionError(DomainError):
    """A redemption (or its check or rollback) refused; nothing changed."""

    default_code = "refused"
    default_message = "This code cannot be redeemed."
    http_status = 422


class CodeNotFound(RedemptionError):
    default_code = "not_found"
    default_message = "There is no such code; check it and try again."
    http_status = 404


class CodeInactive(RedemptionError):
    default_code = "inactive"
    default_message = "This code has been deactivated."


class CodeNotStarted(RedemptionError):
    default_code = "not_started"


class CodeExpired(RedemptionError):
    default_code = "expired"


class CodeUsedUp(RedemptionError):
    default_code = "used_up"
    default_message = "This code has already been used as many times as it allows."


class AlreadyRedeemed(HeldAlready, RedemptionError):
    default_code = "already_redeemed"
    default_message = "This code has already been redeemed by this learner."


class AccessEnded(RedemptionError):
    default_code = "access_ended"
    default_message = "The access this code grants has already ended."


class NothingToGrant(RedemptionError):
    default_code = "nothing_to_grant"
    default_message = "This code grants nothing at the moment (no matching items)."


class SeatLicenseFull(RedemptionError):
    """A license the code seats its learner on has no seat left."""

    default_code = "license_full"


class SeatLicenseExpired(RedemptionError):
    """A license the code seats its learner on has expired."""

    default_code = "license_expired"


class AlreadyRolledBack(RedemptionError):
    default_code = "already_rolled_back"
    default_message = "This redemption has already been rolled back."
    http_status = 409


class CodeGroupError(DomainError):
    """A request to make or change codes that cannot be met as given (400)."""

    default_code = "invalid_code_group"
    http_status = 400


class CodeGroupBusy(CodeGroupError):
    """Codes asked for a group whose own generation, or another addition, is not finished."""

    default_code = "code_group_busy"
    default_message = ("This group's codes are still being made; add more once its job has "
                       "finished.")
    http_status = 409


class LabelRequired(CodeGroupError):
    """Codes added by label (`services.add_codes`) with no label (`clean_label`)."""

    default_code = "invalid_label"
    default_message = "A code group needs a label."


class LabelTooLong(CodeGroupError):
    """A label longer than the column (`data`: `limit`)."""

    default_code = "invalid_label"
    default_message = "A code group's label is too long."


class InvalidCodeText(CodeGroupError):
    """A code typed by hand that cannot be a code (no letters or digits, too long…)."""

    default_code = "invalid_code"


class CodeTooShort(InvalidCodeText):
    """A code typed by hand shorter than `REDEMPTION_CODE_MIN_LENGTH` (`data`: `min_length`)."""

    default_code = "code_too_short"


class InvalidCodeLength(CodeGroupError):
    default_code = "invalid_code_length"
    default_message = "The code length is not valid."


class CodeLengthForGenerated(InvalidCodeLength):
    """A code length given with a code typed by hand."""

    default_message = ("code_length is for generated codes; leave it out with a code given by "
                       "hand.")


class CodeSpaceTooSmall(CodeGroupError):
    """Too few possible codes of this length for this many to be hard to guess."""

    default_code = "code_space_too_small"


class CodeSpaceExhausted(CodeGroupError):
    """No more unused codes of this length could be found."""

    default_code = "code_space_exhausted"


class NoCodes(CodeGroupError):
    default_code = "no_codes"
    default_message = "Give at least one code."


class InvalidCount(CodeGroupError):
    default_code = "invalid_count"


class TooManyCodes(CodeGroupError):
    """More codes than one call may make (`data`: `limit`, `count`)."""

    default_code = "too_many_codes"


class InvalidMaxUses(CodeGroupError):
    """Uses a code may allow: a whole number from 0 (used up from the start) to the cap,
    never fewer than it has had."""

    default_code = "invalid_max_redemptions"


class MaxUsesBelowUsed(InvalidMaxUses):
    """Fewer uses than the code has had (`data`: `used`; `field` names the setting)."""


class InvalidRemainingUses(CodeGroupError):
    default_code = "invalid_remaining_redemptions"


class GenerationRequestSpent(DomainError):
    """A generate form submitted again after the group it made was deleted (409): it is not
    made a second time; open the form anew to make another."""

    default_code = "generation_request_spent"
    default_message = ("This form was submitted before and the group it made has since been "
                       "deleted; open the form again to make a new group.")
    http_status = 409


class LabelNotFound(DomainError):
    """No code group has the label asked for (`data`: `label`)."""

    default_code = "label_not_found"
    default_message = "No code group has this label."
    http_status = 404


class CodeInUse(DomainError):
    """Deleting or rewriting what holds redemption history (409)."""

    default_code = "redeemed"
    http_status = 409


class DuplicateCode(CodeInUse):
    default_code = "duplicate_code"
    default_message = "This code exists already."


class CodeRedeemed(CodeInUse):
    """A redeemed code's text or grant cannot change: a redemption names both."""

    default_code = "code_redeemed"


class OfferError(DomainError):
    """Offer terms that do not hold together (400)."""

    default_code = "invalid_offer"
    http_status = 400


class InvalidAccessDays(OfferError):
    default_code = "invalid_access_days"


class InvalidActionType(OfferError):
    """An action type that is not one of `ActionType` (`data`: `choices`)."""

    default_code = "invalid_action_type"


class InvalidMatchSpecification(OfferError):
    default_code = "invalid_match_specification"


class InvalidUserTags(OfferError):
    default_code = "invalid_user_tags"


class UserTagsNotList(InvalidUserTags):
    default_message = "user_tags must be a list of strings."


class TermNotApplicable(OfferError):
    """A term this kind of code or offer does not take (user tags on an apply-offer code…)."""

    default_code = "not_applicable"


class UnknownOffer(OfferError):
    default_code = "unknown_offer"


class OfferRequired(OfferError):
    default_code = "offer_required"


class OfferActionMismatch(OfferError):
    """The offer's action type is not the one the code needs."""

    default_code = "offer_action_mismatch"


class CodeChangedMeanwhile(Conflict):
    """A code changed while it was being updated (409); the same request may succeed now."""

    default_code = "try_again"
    default_message = "The code changed while it was being updated; try again."


class AccessTermsExclusive(OfferError):
    default_code = "access_days_and_expiration"
    default_message = "Give access_days or access_expiration_date, not both."


class CodeImportRefused(CodeGroupError):
    """A CSV of codes with bad lines (`data`: `problems` with line numbers, `count`): all or
    nothing, so none of it was imported."""

    default_code = "code_import_refused"
