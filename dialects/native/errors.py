"""The native envelope: `{"errors": [{"code", "message", "field"}]}`."""

from core.envelopes import Problem, make_exception_handler


def render_native(status: int, problems: list[Problem]) -> dict:
    return {"errors": [{"code": p.code, "message": p.message, "field": p.field}
                       for p in problems]}


native_exception_handler = make_exception_handler(render_native)
