"""Tizra's envelope (`{"error": "..."}`, every problem in one sentence) and its table of
refusals: the domain's statuses and words, in Tizra's field names (kebab-case), a refusal
about one code object of an array naming its place (`[2].batch`)."""

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
from core.envelopes import (
    Problem,
    Refusals,
    Wording,
    make_exception_handler,
    message_with_field,
)
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

# Service fields as Tizra names them.
TIZRA_FIELDS = {
    "batch": "batch", "label": "batch", "action_type": "action-type",
    "offer": "access-control-id", "user_tags": "user-tags",
    "match_specification": "match-specification", "code": "access-code", "count": "count",
    "code_length": "code-length", "max_redemptions": "remaining-redemptions",
    "remaining_redemptions": "remaining-redemptions", "is_active": "is-valid",
    "expiration_date": "expiration-date",
}


class TizraRefusals(Refusals):
    def field(self, exc: DomainError, context: dict) -> str | None:
        """A refusal about one code object of an array (`data["index"]`) names its place."""
        field = super().field(exc, context)
        index = exc.data.get("index")
        request = context.get("request")
        if index is None or not isinstance(getattr(request, "data", None), list):
            return field
        return f"[{index}].{field}" if field else f"[{index}]"


REFUSALS = TizraRefusals(
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
        CodeRedeemed, OfferError, AccessTermsExclusive,
        InvalidMaxUses, InvalidRemainingUses,
        GenerationRequestSpent,
        InvalidCodeLength, CodeSpaceTooSmall, CodeSpaceExhausted, NoCodes, InvalidAccessDays,
        InvalidMatchSpecification, InvalidUserTags, TermNotApplicable, UnknownOffer, OfferRequired,
        OfferActionMismatch, CodeChangedMeanwhile,
    ],
    own={
        # a batch is every group with one label
        LabelNotFound: Wording(message="There is no batch {label!r}."),
        DuplicateCode: Wording(message="This code exists already (codes are unique across "
                                       "every batch)."),
        # the domain's words naming its fields, in Tizra's field names
        InvalidActionType: Wording(message="action-type must be one of {choices}."),
        CodeLengthForGenerated: Wording(message="code-length is for generated codes; leave it "
                                                "out with a code given by hand."),
        UserTagsNotList: Wording(message="user-tags must be a list of strings."),
        MaxUsesBelowUsed: Wording(message="remaining-redemptions cannot go below {used} (the "
                                          "code has been used {used} time(s))."),
    },
    fields=TIZRA_FIELDS,
)


def render_tizra(status: int, problems: list[Problem]) -> dict:
    return {"error": " ".join(message_with_field(p) for p in problems)}


tizra_exception_handler = make_exception_handler(render_tizra, REFUSALS)
