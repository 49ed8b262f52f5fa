"""EduBrite's refusals: `{"code": -1, "msgs": [...]}` with one 4-digit message code per
problem. `REFUSALS.own` gives a refusal class its message code (and EduBrite's words where they
differ); every other refusal keeps the domain's status and words, its message code found from
its domain code in `CODES` or else from its status (`BY_STATUS`)
(`tests/dialects/refusal_decisions.txt` records the decision for each class). `CODES` also
codes DRF's refusals and the generic ones the parsers raise. The README lists them with their
statuses."""

from __future__ import annotations

import re

from accounts.errors import (
    GroupNotFound,
    GroupPathAmbiguous,
    GroupPathInvalid,
    LearnerNotFound,
    LearnerRequired,
    NotPermitted,
    NotYourself,
)
from catalog.errors import ItemNotFound
from core.envelopes import Problem, Refusals, Wording, make_exception_handler
from core.errors import NotFound
from coupons.errors import (
    AmountNotApplicable,
    AmountRequired,
    CouponAlreadyUsed,
    CouponBalanceSpent,
    CouponCodeTaken,
    CouponCodeUnknown,
    CouponExpired,
    CouponInactive,
    CouponInvalid,
    CouponNotAllowed,
    CouponNotForItem,
    CouponNotStarted,
    CouponUsed,
    CouponUsedUp,
    NotInCouponGroup,
    OwnUsageDecision,
    PercentNotApplicable,
    PercentRequired,
    UnknownEntityType,
    UsageNotFound,
    UsageNotPending,
    UsesBelowCount,
)


class SiteNotFound(NotFound):
    """createCoupon's `entityId` for a SITE coupon names another site than this one."""

    default_code = "site_not_found"
    default_message = "This is not this site's id or URL."


NOT_ALLOWED = "You are not allowed to perform this action."

# EduBrite's message codes by domain code: DRF's refusals, the generic classes the parsers
# raise (`params`), and the refusals that keep the domain's words.
CODES = {
    "not_authenticated": "0005", "authentication_failed": "0005", "permission_denied": "0005",
    "forbidden": "0005",
    "not_found": "0900", "required": "0901", "invalid": "0902", "unknown_dispatch": "0903",
    "coupon_not_found": "0904",
    "bad_credentials": "0940", "conflict": "0960", "protected": "0960", "throttled": "0962",
}
BY_STATUS = {400: "0902", 401: "0005", 403: "0005", 404: "0900", 409: "0960", 422: "0961",
             429: "0962"}
FIXED_MESSAGES = {"0005": NOT_ALLOWED}

REFUSALS = Refusals(
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
        CouponCodeUnknown: Wording(code="0026", message="Invalid auth code"),
        ItemNotFound: Wording(code="0908"), SiteNotFound: Wording(code="0908"),
        # the domain's words naming a coupon's terms, in EduBrite's parameter names
        UnknownEntityType: Wording(code="0911", message="entityType must be one of {choices}."),
        AmountRequired: Wording(code="0911",
                                message="A {type} coupon needs an amount (valueAmount)."),
        AmountNotApplicable: Wording(code="0911", message=(
            "An amount (valueAmount) is only for AMOUNT and TOTAL_AMOUNT coupons.")),
        PercentRequired: Wording(code="0911", message=(
            "A PERCENT coupon needs a percentage (valuePercent).")),
        PercentNotApplicable: Wording(code="0911", message=(
            "A percentage (valuePercent) is only for PERCENT coupons.")),
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
