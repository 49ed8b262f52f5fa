"""Tizra's envelope (`{"error": "..."}`, every problem in one sentence) and its names for
the services' fields."""

from core.envelopes import Problem, make_exception_handler, message_with_field
from core.errors import DomainError


def render_tizra(status: int, problems: list[Problem]) -> dict:
    return {"error": " ".join(message_with_field(p) for p in problems)}


tizra_exception_handler = make_exception_handler(render_tizra)

# Service fields as Tizra names them, for the refusals the services raise.
TIZRA_FIELDS = {
    "batch": "batch", "label": "batch", "action_type": "action-type",
    "offer": "access-control-id", "user_tags": "user-tags",
    "match_specification": "match-specification", "code": "access-code", "count": "count",
    "code_length": "code-length", "max_redemptions": "remaining-redemptions",
    "remaining_redemptions": "remaining-redemptions", "is_active": "is-valid",
    "expiration_date": "expiration-date",
}


def in_tizra_terms(exc: DomainError) -> DomainError:
    """A service's refusal with Tizra's field names (in the field and in the message)."""
    exc.field = TIZRA_FIELDS.get(exc.field, exc.field)
    for name, tizra in TIZRA_FIELDS.items():
        if "_" in name:
            exc.message = exc.message.replace(name, tizra)
    return exc


def at_index(exc: DomainError, index: int) -> DomainError:
    exc.field = f"[{index}].{exc.field}" if exc.field else f"[{index}]"
    return exc
