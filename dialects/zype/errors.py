"""Zype's envelope (`{"message": "..."}`, every problem in one sentence) and its table of
refusals: the domain's words, with Zype's statuses where they differ. Every refusal not in
`own` keeps the domain's status and words (`tests/dialects/refusal_decisions.txt` records the
decision for each class)."""

from core.envelopes import Problem, Refusals, Wording, make_exception_handler, message_with_field
from redemptions.errors import (
    CodeRedeemed,
    DuplicateCode,
    InvalidCodeText,
    InvalidCount,
    TooManyCodes,
)

UNPROCESSABLE = Wording(status=422)
REFUSALS = Refusals(
    own={
        # Zype answers these as its validation errors (422) where others say 400/409
        DuplicateCode: UNPROCESSABLE, InvalidCodeText: UNPROCESSABLE,
        CodeRedeemed: UNPROCESSABLE, TooManyCodes: UNPROCESSABLE, InvalidCount: UNPROCESSABLE,
    },
)


def render_zype(status: int, problems: list[Problem]) -> dict:
    return {"message": " ".join(message_with_field(p) for p in problems)}


zype_exception_handler = make_exception_handler(render_zype, REFUSALS)
