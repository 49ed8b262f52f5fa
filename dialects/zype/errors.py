"""Zype's envelope (`{"message": "..."}`, every problem in one sentence) and its table of
refusals: the domain's words, with Zype's statuses where they differ."""

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

UNPROCESSABLE = Wording(status=422)
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
        AlreadyRolledBack, CodeGroupError, InvalidMaxUses, InvalidRemainingUses, CodeInUse,
        LabelNotFound, OfferError, AccessTermsExclusive,
        GenerationRequestSpent,
        InvalidCodeLength, CodeLengthForGenerated, CodeSpaceTooSmall, CodeSpaceExhausted, NoCodes,
        MaxUsesBelowUsed, InvalidAccessDays, InvalidActionType, InvalidMatchSpecification,
        InvalidUserTags, UserTagsNotList, TermNotApplicable, UnknownOffer, OfferRequired,
        OfferActionMismatch, CodeChangedMeanwhile,
    ],
    own={
        # Zype answers these as its validation errors (422) where others say 400/409
        DuplicateCode: UNPROCESSABLE, InvalidCodeText: UNPROCESSABLE, CodeTooShort: UNPROCESSABLE,
        CodeRedeemed: UNPROCESSABLE, TooManyCodes: UNPROCESSABLE, InvalidCount: UNPROCESSABLE,
    },
)


def render_zype(status: int, problems: list[Problem]) -> dict:
    return {"message": " ".join(message_with_field(p) for p in problems)}


zype_exception_handler = make_exception_handler(render_zype, REFUSALS)
