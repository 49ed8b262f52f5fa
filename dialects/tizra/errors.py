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
from core.envelopes import Problem, Refusals, make_exception_handler, message_with_field
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

    def message(self, exc: DomainError) -> str:
        """The domain's words, with the service field names they mention in Tizra's."""
        message = super().message(exc)
        for name, tizra in self.fields.items():
            if "_" in name:
                message = message.replace(name, tizra)
        return message


REFUSALS = TizraRefusals(
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
        AlreadyRolledBack, CodeGroupError, InvalidCodeText, InvalidCount, TooManyCodes, CodeInUse,
        DuplicateCode, CodeRedeemed, OfferError, AccessTermsExclusive,
        InvalidMaxUses, InvalidRemainingUses,
        GenerationRequestSpent,
    ],
    fields=TIZRA_FIELDS,
)


def render_tizra(status: int, problems: list[Problem]) -> dict:
    return {"error": " ".join(message_with_field(p) for p in problems)}


tizra_exception_handler = make_exception_handler(render_tizra, REFUSALS)
