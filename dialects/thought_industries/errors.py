"""Thought Industries' envelope (`{"errors": ["field: message", ...]}`) and its names and
words for the services' refusals."""

from core.envelopes import Problem, make_exception_handler, message_with_field
from core.errors import DomainError


def render_thought_industries(status: int, problems: list[Problem]) -> dict:
    return {"errors": [message_with_field(p) for p in problems]}


thought_industries_exception_handler = make_exception_handler(render_thought_industries)

# Service fields as this dialect names them, for the refusals the services raise.
TI_FIELDS = {"code_length": "codeLength", "count": "totalCodesCount",
             "access_days": "accessDays", "access_expiration_date": "accessExpirationDate",
             "redemptions_per_code": "redemptionsPerCode"}
# The services' refusals in the words this dialect's clients know, by stable code (filled
# from the refusal's data); the rules themselves are checked by the services only.
TI_MESSAGES = {
    "access_days_and_expiration": ("accessDays and accessExpirationDate are mutually "
                                   "exclusive: set one or the other, not both."),
    "too_many_codes": "totalCodesCount cannot exceed {limit:,} (asked for {count:,}).",
}


def in_ti_terms(exc: DomainError) -> DomainError:
    """A service's refusal with this dialect's field names and, where the seed has its own
    words for it, those words."""
    exc.field = TI_FIELDS.get(exc.field, exc.field)
    if exc.code in TI_MESSAGES:
        exc.message = TI_MESSAGES[exc.code].format(**exc.data)
    return exc
