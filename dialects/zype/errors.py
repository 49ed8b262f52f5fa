"""Zype's envelope: `{"message": "..."}`, every problem in one sentence."""

from core.envelopes import Problem, make_exception_handler, message_with_field
from core.errors import DomainError


def render_zype(status: int, problems: list[Problem]) -> dict:
    return {"message": " ".join(message_with_field(p) for p in problems)}


zype_exception_handler = make_exception_handler(render_zype)

# Service refusals Zype answers with 422 (its validation errors) where others say 400/409.
UNPROCESSABLE = {"duplicate_code", "invalid_code", "code_redeemed", "too_many_codes",
                 "invalid_count"}


def zype_codes_exception_handler(exc, context):
    if isinstance(exc, DomainError) and exc.code in UNPROCESSABLE:
        exc.http_status = 422
    return zype_exception_handler(exc, context)
