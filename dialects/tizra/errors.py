"""Tizra's envelope (`{"error": "..."}`, every problem in one sentence) and its table of
refusals: the domain's statuses and words, in Tizra's field names (kebab-case), a refusal
about one code object of an array naming its place (`[2].batch`). Every refusal not in `own`
keeps the domain's status and words (`tests/dialects/refusal_decisions.txt` records the
decision for each class); `NothingToChange` is Tizra's own refusal of an empty PUT."""

from core.envelopes import (
    Problem,
    Refusals,
    Wording,
    make_exception_handler,
    message_with_field,
)
from core.errors import DomainError
from redemptions.errors import (
    CodeGroupError,
    CodeLengthForGenerated,
    DuplicateCode,
    InvalidActionType,
    LabelNotFound,
    LabelRequired,
    LabelTooLong,
    MaxUsesBelowUsed,
    UserTagsNotList,
)


class NothingToChange(CodeGroupError):
    """A PUT of a code that changes nothing (Tizra's own refusal: no service is called)."""

    default_code = "nothing_to_change"
    default_message = "Nothing to change was given."


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
    own={
        # a batch is every group with one label
        LabelNotFound: Wording(message="There is no batch {label!r}."),
        LabelRequired: Wording(message="A batch needs a name."),
        LabelTooLong: Wording(message="A batch name has at most {limit} characters."),
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
