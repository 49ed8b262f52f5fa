"""EduBrite's refusals: `{"code": -1, "msgs": [...]}` with one 4-digit message code per
problem. `REFUSALS` lists every domain refusal (EduBrite keeps the domain's statuses and words);
each refusal's 4-digit message code is its entry's `code` there; `CODES` gives the codes of
what is not a refusal class of its own (DRF's refusals, the generic classes raised with a code
here). The README lists them with their statuses."""

from __future__ import annotations

import re

from accounts.errors import (
    AccountsError,
    EmailTaken,
    GroupNotFound,
    GroupPathAmbiguous,
    GroupPathInvalid,
    LearnerNotFound,
    LearnerRequired,
    NotPermitted,
    NotYourself,
    TooManyAttempts,
)
from catalog.errors import (
    CatalogError,
    EndNotLater,
    EntitlementError,
    EntitlementRevoked,
    IncludesCycle,
    ItemInUse,
)
from core.envelopes import Problem, Refusals, Wording, make_exception_handler
from core.errors import (
    BodyTooDeep,
    BodyTooLarge,
    Conflict,
    DomainError,
    HeldAlready,
    InvalidInput,
    NotAllowed,
    NotFound,
    RuleRefused,
    TooManyFields,
    UnstorableText,
)
from coupons.errors import (
    CouponAlreadyUsed,
    CouponBalanceSpent,
    CouponCodeTaken,
    CouponConflict,
    CouponError,
    CouponExpired,
    CouponInactive,
    CouponInvalid,
    CouponNotAllowed,
    CouponNotForItem,
    CouponNotFound,
    CouponNotStarted,
    CouponRefused,
    CouponUsed,
    CouponUsedUp,
    NotInCouponGroup,
    OwnUsageDecision,
    UsageNotFound,
    UsageNotPending,
    UsesBelowCount,
)
from events.errors import (
    DeliveryNotRetryable,
    UnknownEventKind,
    WebhookUrlInvalid,
    WebhookUrlPrivate,
)
from jobs.errors import JobAlreadyFinished, JobNotFound
from licensing.errors import (
    AlreadySeated,
    ClientChangeRefused,
    LicenseCycle,
    LicenseExpired,
    LicenseFull,
    LicenseInUse,
    LicensingError,
    ParentOfAnotherClient,
    SeatEndNotLater,
    SeatRevoked,
    SeatsLimitBelowUse,
)
from redemptions.errors import (
    AccessEnded,
    AccessTermsExclusive,
    AlreadyRedeemed,
    AlreadyRolledBack,
    CodeChangedMeanwhile,
    CodeExpired,
    CodeGroupError,
    CodeImportRefused,
    CodeInactive,
    CodeInUse,
    CodeLengthForGenerated,
    CodeNotFound,
    CodeNotStarted,
    CodeRedeemed,
    CodeSpaceExhausted,
    CodeSpaceTooSmall,
    CodeTooShort,
    CodeUsedUp,
    DuplicateCode,
    GenerationRequestSpent,
    InvalidAccessDays,
    InvalidActionType,
    InvalidCodeLength,
    InvalidCodeText,
    InvalidCount,
    InvalidMatchSpecification,
    InvalidMaxUses,
    InvalidRemainingUses,
    InvalidUserTags,
    LabelNotFound,
    MaxUsesBelowUsed,
    NoCodes,
    NothingToGrant,
    OfferActionMismatch,
    OfferError,
    OfferRequired,
    RedemptionError,
    SeatLicenseExpired,
    SeatLicenseFull,
    TermNotApplicable,
    TooManyCodes,
    UnknownOffer,
    UserTagsNotList,
)

NOT_ALLOWED = "You are not allowed to perform this action."

# EduBrite's message codes for what is not a domain refusal of its own class: DRF's refusals,
# and the generic classes this dialect raises with a code of their own (`params`, `lookups`).
CODES = {
    "not_authenticated": "0005", "authentication_failed": "0005", "permission_denied": "0005",
    "forbidden": "0005", "coupon_code_unknown": "0026",
    "not_found": "0900", "required": "0901", "invalid": "0902", "unknown_dispatch": "0903",
    "coupon_not_found": "0904", "item_not_found": "0908", "site_not_found": "0908",
    "bad_credentials": "0940", "conflict": "0960", "protected": "0960", "throttled": "0962",
}
BY_STATUS = {400: "0902", 401: "0005", 403: "0005", 404: "0900", 409: "0960", 422: "0961",
             429: "0962"}
FIXED_MESSAGES = {"0005": NOT_ALLOWED, "0026": "Invalid auth code"}

REFUSALS = Refusals(
    same=[
        # core
        DomainError, HeldAlready, InvalidInput, NotFound, Conflict, RuleRefused, NotAllowed,
        BodyTooDeep, BodyTooLarge, TooManyFields, UnstorableText,
        # accounts
        AccountsError, EmailTaken, TooManyAttempts,
        # catalog
        CatalogError, IncludesCycle, EntitlementError, ItemInUse,
        EndNotLater, EntitlementRevoked,
        # licensing
        LicensingError, LicenseFull, AlreadySeated, LicenseExpired, LicenseCycle,
        ParentOfAnotherClient, SeatsLimitBelowUse, LicenseInUse, ClientChangeRefused,
        SeatEndNotLater, SeatRevoked,
        # coupons
        CouponError, CouponNotFound, CouponRefused, CouponConflict,
        # events
        WebhookUrlInvalid, WebhookUrlPrivate, UnknownEventKind, DeliveryNotRetryable,
        # jobs
        JobNotFound, JobAlreadyFinished, CodeImportRefused,
        # redemptions
        RedemptionError, CodeNotFound, CodeInactive, CodeNotStarted, CodeExpired, CodeUsedUp,
        AlreadyRedeemed, AccessEnded, NothingToGrant, SeatLicenseFull, SeatLicenseExpired,
        AlreadyRolledBack, CodeGroupError, InvalidCodeText, CodeTooShort, InvalidCount,
        TooManyCodes, CodeInUse,
        DuplicateCode, LabelNotFound, CodeRedeemed, OfferError, AccessTermsExclusive,
        InvalidMaxUses, InvalidRemainingUses,
        GenerationRequestSpent,
        InvalidCodeLength, CodeLengthForGenerated, CodeSpaceTooSmall, CodeSpaceExhausted, NoCodes,
        MaxUsesBelowUsed, InvalidAccessDays, InvalidActionType, InvalidMatchSpecification,
        InvalidUserTags, UserTagsNotList, TermNotApplicable, UnknownOffer, OfferRequired,
        OfferActionMismatch, CodeChangedMeanwhile,
    ],
    own={
        LearnerRequired: Wording(message="userName is required with an authCode."),
        # EduBrite's 4-digit message codes, one per refusal
        NotYourself: Wording(code="0005"), NotPermitted: Wording(code="0005"),
        CouponNotAllowed: Wording(code="0005"), OwnUsageDecision: Wording(code="0005"),
        GroupNotFound: Wording(code="0905"), GroupPathAmbiguous: Wording(code="0906"),
        GroupPathInvalid: Wording(code="0907"), LearnerNotFound: Wording(code="0909"),
        UsageNotFound: Wording(code="0910"), CouponInvalid: Wording(code="0911"),
        CouponCodeTaken: Wording(code="0912"), CouponInactive: Wording(code="0920"),
        CouponNotStarted: Wording(code="0921"), CouponExpired: Wording(code="0922"),
        CouponUsedUp: Wording(code="0923"), CouponBalanceSpent: Wording(code="0924"),
        CouponNotForItem: Wording(code="0925"), NotInCouponGroup: Wording(code="0926"),
        CouponAlreadyUsed: Wording(code="0927"), UsesBelowCount: Wording(code="0928"),
        UsageNotPending: Wording(code="0929"), CouponUsed: Wording(code="0930"),
    },
)


def edubrite_code(problem: Problem, status: int) -> str:
    if re.fullmatch(r"\d{4}", problem.code):
        return problem.code
    return CODES.get(problem.code) or BY_STATUS.get(status, "0999")


def render_edubrite(status: int, problems: list[Problem]) -> dict:
    """A refusal as EduBrite writes it: code -1 and one coded message per problem."""
    msgs = []
    for problem in problems:
        code = edubrite_code(problem, status)
        msgs.append({"code": code, "value": FIXED_MESSAGES.get(code, problem.message)})
    return {"code": -1, "msgs": msgs}


edubrite_exception_handler = make_exception_handler(render_edubrite, REFUSALS)
