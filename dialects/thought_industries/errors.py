"""Thought Industries' envelope: `{"errors": ["field: message", ...]}`."""

from core.envelopes import Problem, make_exception_handler, message_with_field


def render_thought_industries(status: int, problems: list[Problem]) -> dict:
    return {"errors": [message_with_field(p) for p in problems]}


thought_industries_exception_handler = make_exception_handler(render_thought_industries)
