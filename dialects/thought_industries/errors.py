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

# Service fields as this dialect names them.
TI_FIELDS = {"code_length": "codeLength", "count": "totalCodesCount",
             "access_days": "accessDays", "access_expiration_date": "accessExpirationDate",
             "redemptions_per_code": "redemptionsPerCode"}
REFUSALS = Refusals(
    same=[
        # core
        DomainError, HeldAlready, InvalidInput, NotFound, Conflict, RuleRefused, NotAllowed,
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
        CouponNotAllowed, CouponInactive, CouponNotStarted, CouponExpired, CouponNotForItem,
        NotInCouponGroup, CouponUsedUp, CouponBalanceSpent, UsesBelowCount, CouponCodeTaken,
        CouponAlreadyUsed, CouponUsed, UsageNotPending, OwnUsageDecision,
        # events
        WebhookUrlInvalid, WebhookUrlPrivate, UnknownEventKind, DeliveryNotRetryable,
        # jobs
        JobNotFound, JobAlreadyFinished, CodeImportRefused,
        # redemptions
        RedemptionError, CodeNotFound, CodeInactive, CodeNotStarted, CodeExpired, CodeUsedUp,
        AlreadyRedeemed, AccessEnded, NothingToGrant, SeatLicenseFull, SeatLicenseExpired,
        AlreadyRolledBack, CodeGroupError, InvalidCodeText, CodeTooShort, InvalidCount, CodeInUse,
        DuplicateCode, LabelNotFound, CodeRedeemed, OfferError,
        InvalidMaxUses, InvalidRemainingUses,
        GenerationRequestSpent,
        InvalidCodeLength, CodeLengthForGenerated, CodeSpaceTooSmall, CodeSpaceExhausted, NoCodes,
        MaxUsesBelowUsed, InvalidAccessDays, InvalidActionType, InvalidMatchSpecification,
        InvalidUserTags, UserTagsNotList, TermNotApplicable, UnknownOffer, OfferRequired,
        OfferActionMismatch, CodeChangedMeanwhile,
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
