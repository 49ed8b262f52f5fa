"""Tizra's envelope: `{"error": "..."}`, every problem in one sentence."""

from core.envelopes import Problem, make_exception_handler, message_with_field


def render_tizra(status: int, problems: list[Problem]) -> dict:
    return {"error": " ".join(message_with_field(p) for p in problems)}


tizra_exception_handler = make_exception_handler(render_tizra)
