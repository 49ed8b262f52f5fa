"""Thought Industries' envelope (`{"errors": ["field: message", ...]}`) and its one table of
refusals, for codes and licenses alike: TI's camelCase field names, and the seed's words where
it has its own. Every refusal not in `own` keeps the domain's status and words
(`tests/dialects/refusal_decisions.txt` records the decision for each class)."""

from core.envelopes import Problem, Refusals, Wording, make_exception_handler, message_with_field
from redemptions.errors import AccessTermsExclusive, TooManyCodes

# Service fields as this dialect names them.
TI_FIELDS = {"code_length": "codeLength", "count": "totalCodesCount",
             "access_days": "accessDays", "access_expiration_date": "accessExpirationDate",
             "redemptions_per_code": "redemptionsPerCode"}
REFUSALS = Refusals(
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
