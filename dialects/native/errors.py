"""The native envelope (`{"errors": [{"code", "message", "field"}]}`) and its table of
refusals: the domain's own codes, statuses and words, every one."""

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
from core.envelopes import Problem, Refusals, make_exception_handler
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
)


def render_native(status: int, problems: list[Problem]) -> dict:
    return {"errors": [{"code": p.code, "message": p.message, "field": p.field}
                       for p in problems]}


native_exception_handler = make_exception_handler(render_native, REFUSALS)
