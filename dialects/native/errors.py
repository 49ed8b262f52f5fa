"""The native envelope (`{"errors": [{"code", "message", "field"}]}`) and its table of
refusals: the domain's own codes, statuses and words, every one (`REFUSALS` words none its own
way; `tests/dialects/refusal_decisions.txt` records that decision class by class)."""

from core.envelopes import Problem, Refusals, make_exception_handler

REFUSALS = Refusals()


def render_native(status: int, problems: list[Problem]) -> dict:
    return {"errors": [{"code": p.code, "message": p.message, "field": p.field}
                       for p in problems]}


native_exception_handler = make_exception_handler(render_native, REFUSALS)
