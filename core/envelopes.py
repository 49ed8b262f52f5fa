"""One exception handler per dialect: every refusal, rendered in that vendor's envelope.

`problems_from_exception` turns anything a view may raise (a `DomainError`, DRF's and Django's
exceptions, a stray `IntegrityError`) into a status, a list of `Problem`s and headers; each
dialect (`dialects/<name>/errors.py`) only decides how a list of problems looks on the wire and
builds its handler with `make_exception_handler`. `config/urls.py` says which envelope answers
which path prefix outside DRF (404 and 500 pages), so core names no dialect.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from psycopg.errors import DeadlockDetected, SerializationFailure
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import DomainError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True)
class Wording:
    """How a dialect says one refusal: its own status, its own words (a template filled
    from the refusal's data) and its own code for it (EduBrite's message codes); None keeps
    the domain's."""

    status: int | None = None
    message: str | None = None
    code: str | None = None


AS_THE_DOMAIN_SAYS = Wording()


class Refusals:
    """One dialect's declarative table from domain error class to its status, wording and
    field names: `own` holds only the refusals the dialect says its own way (a subclass says
    it as its nearest base in `own` does); every other refusal keeps the domain's status and
    words. `fields` renames the domain's field names. Nothing edits the exception.

    Each dialect decides for every domain refusal class, own or the domain's: the decisions
    are written down in `tests/dialects/refusal_decisions.txt`, which a test compares with
    the tables, so a new refusal class fails until every dialect has decided."""

    def __init__(self, *, own: dict[type[DomainError], Wording] | None = None,
                 fields: dict[str, str] | None = None) -> None:
        self.own: dict[type[DomainError], Wording] = dict(own or {})
        self.fields = fields or {}

    def wording(self, error_class: type[DomainError]) -> Wording:
        """The class's own entry, else its nearest base's in `own`, else the domain's."""
        for klass in error_class.__mro__:
            if klass in self.own:
                return self.own[klass]
        return AS_THE_DOMAIN_SAYS

    def field(self, exc: DomainError, context: dict) -> str | None:
        return self.fields.get(exc.field, exc.field)

    def message(self, exc: DomainError) -> str:
        template = self.wording(type(exc)).message
        return template.format(**exc.data) if template else exc.message

    def status(self, exc: DomainError) -> int:
        return self.wording(type(exc)).status or exc.http_status

    def code(self, exc: DomainError) -> str:
        return self.wording(type(exc)).code or exc.code

    def problem(self, exc: DomainError, context: dict) -> tuple[int, Problem]:
        return self.status(exc), Problem(self.code(exc), self.message(exc),
                                         self.field(exc, context))


DOMAIN_TERMS = Refusals()  # for a handler with no table of its own: the domain's words


def _flatten(detail: object, field: str | None = None) -> Iterable[Problem]:
    """DRF's nested error details as flat problems, each naming its field path."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__") else str(key)
            path = ".".join(part for part in (field, name) if part) or None
            yield from _flatten(value, path)
    elif isinstance(detail, list | tuple):
        for index, value in enumerate(detail):
            if isinstance(value, dict):
                yield from _flatten(value, f"{field}[{index}]" if field else f"[{index}]")
            else:
                yield from _flatten(value, field)
    else:
        code = getattr(detail, "code", None) or "invalid"
        yield Problem(str(code), str(detail), field)


def problems_from_exception(exc: Exception, refusals: Refusals = DOMAIN_TERMS,
                            context: dict | None = None,
                            ) -> tuple[int, list[Problem], dict[str, str]] | None:
    """Status, problems and headers for an exception (a domain refusal in the words of
    `refusals`, a dialect's table); None for a genuine server error."""
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        retry_after = exc.data.get("retry_after")
        if retry_after is not None:  # a throttled refusal says when to come back
            headers["Retry-After"] = str(max(1, math.ceil(float(retry_after))))
        status, problem = refusals.problem(exc, context or {})
        return status, [problem], headers
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return 401, [Problem("not_authenticated", str(exc.detail))], headers
    if isinstance(exc, drf.Throttled):
        if exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait) + 1)
        return 429, [Problem("throttled", str(exc.detail))], headers
    if isinstance(exc, drf.ValidationError):
        return 400, list(_flatten(exc.detail)) or [Problem("invalid", "Invalid input.")], headers
    if isinstance(exc, drf.APIException):
        code = exc.default_code if isinstance(exc.default_code, str) else "error"
        return exc.status_code, list(_flatten(exc.detail)) or [Problem(code, code)], headers
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return 404, [Problem("not_found", "Not found.")], headers
    if isinstance(exc, DjangoPermissionDenied):
        return 403, [Problem("permission_denied",
                             "You do not have permission to perform this action.")], headers
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return 400, list(_flatten(detail)), headers
    if isinstance(exc, ProtectedError | RestrictedError):
        return 409, [Problem("protected",
                             "This is still in use (it holds history or other records point "
                             "to it), so it cannot be deleted.")], headers
    if isinstance(exc, DataError):
        # A value no validator caught and the database refused (a NUL character, a number
        # beyond its column): bad input, so a 400; logged, since a validator should catch it.
        logger.warning("DataError reached the API: %s", exc)
        return 400, [Problem("unstorable_value",
                             "A value in this request cannot be stored: it is too long, out "
                             "of range, or contains a NUL character.")], headers
    if isinstance(exc, OperationalError) and isinstance(
            exc.__cause__, DeadlockDetected | SerializationFailure):
        # PostgreSQL aborted one of two colliding transactions (services lock in one order,
        # so this is the last guard): nothing was written; the same request may succeed now.
        return 409, [Problem("try_again", "The request collided with another; try "
                                          "again.")], headers
    if isinstance(exc, IntegrityError):
        # Services turn the constraints they expect into domain errors; this is the last guard.
        logger.warning("IntegrityError reached the API: %s", exc)
        return 409, [Problem("conflict", "The request conflicts with existing data.")], headers
    return None


Renderer = Callable[[int, list[Problem]], object]


def make_exception_handler(render: Renderer, refusals: Refusals = DOMAIN_TERMS):
    """A DRF exception handler that words domain refusals by `refusals` (the dialect's
    table) and renders problems with `render(status, problems)`."""

    def handler(exc: Exception, context: dict) -> Response | None:
        outcome = problems_from_exception(exc, refusals, context)
        if outcome is None:
            return None
        status, problems, headers = outcome
        set_rollback()
        response = Response(render(status, problems), status=status)
        for key, value in headers.items():
            if value:
                response[key] = value
        if status == 401:
            response.setdefault("WWW-Authenticate", 'Bearer realm="entitle"')
        return response

    handler.render = render  # the envelope, for what inspects a view's dialect (the fuzz tests)
    return handler


def message_with_field(problem: Problem) -> str:
    """The problem's message, led by its field name unless the message already names it."""
    if problem.field and not problem.message.startswith(problem.field):
        return f"{problem.field}: {problem.message}"
    return problem.message


def renderer_for_path(renderers: list[tuple[str, Renderer]], path: str) -> Renderer | None:
    """The renderer of the first `(path prefix, renderer)` that `path` starts with."""
    return next((render for prefix, render in renderers if path.startswith(prefix)), None)


def json_problem_response(renderers: list[tuple[str, Renderer]], path: str, status: int,
                          code: str, message: str) -> JsonResponse | None:
    """A refusal outside DRF (an unmatched URL, a crash) in the envelope of the first
    `(path prefix, renderer)` of `renderers` that `path` starts with; None for other paths."""
    render = renderer_for_path(renderers, path)
    if render is None:
        return None
    body = render(status, [Problem(code, message)])
    if isinstance(body, dict | list):
        return JsonResponse(body, status=status, safe=False)
    return None
