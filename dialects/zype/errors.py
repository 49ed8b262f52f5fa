"""Zype's envelope: `{"message": "..."}`, every problem in one sentence."""

from core.envelopes import Problem, make_exception_handler, message_with_field


def render_zype(status: int, problems: list[Problem]) -> dict:
    return {"message": " ".join(message_with_field(p) for p in problems)}


zype_exception_handler = make_exception_handler(render_zype)
