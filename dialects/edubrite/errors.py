"""EduBrite's refusals: `{"code": -1, "msgs": [...]}` with one 4-digit message code per
problem. `REFUSALS` lists every domain refusal (EduBrite keeps the domain's statuses and words);
`CODES` is the one table from refusal codes to EduBrite's message codes (the README lists them
with their statuses)."""

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
    InvalidInput,
    NotAllowed,
    NotFound,
    RuleRefused,
    TooManyFields,
    UnstorableText,
)
from coupons.errors import (
    CouponConflict,
    CouponError,
    CouponInvalid,
    CouponNotAllowed,
    CouponNotFound,
    CouponRefused,
    UsageNotFound,
)
from events.errors import (
    DeliveryNotRetryable,
    UnknownEventKind,
    WebhookUrlInvalid,
    WebhookUrlPrivate,
)
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
    CodeExpired,
    CodeGroupError,
    CodeInactive,
    CodeInUse,
    CodeNotFound,
    CodeNotStarted,
    CodeRedeemed,
    CodeUsedUp,
    DuplicateCode,
    GenerationRequestSpent,
    InvalidCodeText,
    InvalidCount,
    InvalidMaxUses,
    InvalidRemainingUses,
    NothingToGrant,
    OfferError,
    RedemptionError,
    SeatLicenseExpired,
    SeatLicenseFull,
    TooManyCodes,
)

NOT_ALLOWED = "You are not allowed to perform this action."

CODES = {
    "not_authenticated": "0005", "authentication_failed": "0005", "permission_denied": "0005",
    "forbidden": "0005", "not_allowed": "0005", "not_yourself": "0005",
    "coupon_code_unknown": "0026",
    "not_found": "0900", "required": "0901", "invalid": "0902", "unknown_dispatch": "0903",
    "coupon_not_found": "0904", "group_not_found": "0905", "group_path_ambiguous": "0906",
    "group_path_invalid": "0907", "item_not_found": "0908", "site_not_found": "0908",
    "user_not_found": "0909", "usage_not_found": "0910", "coupon_invalid": "0911",
    "coupon_code_taken": "0912", "coupon_inactive": "0920", "coupon_not_started": "0921",
    "coupon_expired": "0922", "coupon_used_up": "0923", "coupon_balance_spent": "0924",
    "coupon_not_for_item": "0925", "not_in_coupon_group": "0926",
    "coupon_already_used": "0927", "value_count_below_uses": "0928",
    "usage_not_pending": "0929", "coupon_used": "0930", "bad_credentials": "0940",
    "conflict": "0960", "protected": "0960", "throttled": "0962",
}
BY_STATUS = {400: "0902", 401: "0005", 403: "0005", 404: "0900", 409: "0960", 422: "0961",
             429: "0962"}
FIXED_MESSAGES = {"0005": NOT_ALLOWED, "0026": "Invalid auth code"}

REFUSALS = Refusals(
    same=[
        # core
        DomainError, InvalidInput, NotFound, Conflict, RuleRefused, NotAllowed,
        BodyTooDeep, BodyTooLarge, TooManyFields, UnstorableText,
        # accounts
        AccountsError, GroupPathInvalid, GroupNotFound, GroupPathAmbiguous, EmailTaken,
        TooManyAttempts,
        LearnerNotFound, NotPermitted, NotYourself,
        # catalog
        CatalogError, IncludesCycle, EntitlementError, ItemInUse,
        EndNotLater, EntitlementRevoked,
        # licensing
        LicensingError, LicenseFull, AlreadySeated, LicenseExpired, LicenseCycle,
        ParentOfAnotherClient, SeatsLimitBelowUse, LicenseInUse, ClientChangeRefused,
        SeatEndNotLater, SeatRevoked,
        # coupons
        CouponError, CouponInvalid, CouponNotFound, UsageNotFound, CouponRefused, CouponConflict,
        CouponNotAllowed,
        # events
        WebhookUrlInvalid, WebhookUrlPrivate, UnknownEventKind, DeliveryNotRetryable,
        # redemptions
        RedemptionError, CodeNotFound, CodeInactive, CodeNotStarted, CodeExpired, CodeUsedUp,
        AlreadyRedeemed, AccessEnded, NothingToGrant, SeatLicenseFull, SeatLicenseExpired,
        AlreadyRolledBack, CodeGroupError, InvalidCodeText, InvalidCount, TooManyCodes, CodeInUse,
        DuplicateCode, CodeRedeemed, OfferError, AccessTermsExclusive,
        InvalidMaxUses, InvalidRemainingUses,
        GenerationRequestSpent,
    ],
    own={
        LearnerRequired: Wording(message="userName is required with an authCode."),
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
