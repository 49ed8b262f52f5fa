"""Thought Industries' envelope (`{"errors": ["field: message", ...]}`) and its one table of
refusals, for codes and licenses alike: TI's camelCase field names, and the seed's words where
it has its own."""

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
from core.envelopes import Problem, Refusals, Wording, make_exception_handler, message_with_field
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

# Service fields as this dialect names them.
TI_FIELDS = {"code_length": "codeLength", "count": "totalCodesCount",
             "access_days": "accessDays", "access_expiration_date": "accessExpirationDate",
             "redemptions_per_code": "redemptionsPerCode"}
REFUSALS = Refusals(
    same=[
        # core
        DomainError, InvalidInput, NotFound, Conflict, RuleRefused, NotAllowed,
        BodyTooDeep, BodyTooLarge, TooManyFields, UnstorableText,
        # accounts
        AccountsError, GroupPathInvalid, GroupNotFound, GroupPathAmbiguous, EmailTaken,
        TooManyAttempts,
        LearnerRequired, LearnerNotFound, NotPermitted, NotYourself,
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
        AlreadyRolledBack, CodeGroupError, InvalidCodeText, InvalidCount, CodeInUse,
        DuplicateCode, CodeRedeemed, OfferError,
        InvalidMaxUses, InvalidRemainingUses,
        GenerationRequestSpent,
    ],
    own={
        # the seed's own words for these
        AccessTermsExclusive: Wording(message=(
            "accessDays and accessExpirationDate are mutually exclusive: set one or the "
            "other, not both.")),
        TooManyCodes: Wording(
            message="totalCodesCount cannot exceed {limit:,} (asked for {count:,})."),
    },
    fields=TI_FIELDS,
)


def render_thought_industries(status: int, problems: list[Problem]) -> dict:
    return {"errors": [message_with_field(p) for p in problems]}


thought_industries_exception_handler = make_exception_handler(render_thought_industries,
                                                              REFUSALS)
