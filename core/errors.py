"""The one error type of the domain.

Code raises a `DomainError` (or an app's subclass); each dialect's exception handler renders
it in that vendor's envelope (`core.envelopes`). A subclass declares its default code and HTTP
status the way DRF's exceptions do, so raising sites only say what went wrong.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal with a stable machine code, a human message and an HTTP status."""

    default_code = "invalid"
    default_message = "The request was refused."
    http_status = 400

    def __init__(
        self,
        code: str | None = None,
        message: str | None = None,
        *,
        http_status: int | None = None,
        field: str | None = None,
        **data: object,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or self.default_message
        if http_status is not None:
            self.http_status = http_status
        self.field = field
        self.data = data
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidInput(DomainError):
    """Malformed or invalid input (400)."""

    default_code = "invalid"
    http_status = 400


class NotFound(DomainError):
    """The named object does not exist (404)."""

    default_code = "not_found"
    default_message = "Not found."
    http_status = 404


class Conflict(DomainError):
    """The request conflicts with what exists: deleting history, duplicates (409)."""

    default_code = "conflict"
    http_status = 409


class RuleRefused(DomainError):
    """A well-formed request that the business rules refuse (422)."""

    default_code = "refused"
    http_status = 422


class NotAllowed(DomainError):
    """The caller may not do this (403)."""

    default_code = "forbidden"
    default_message = "You are not allowed to perform this action."
    http_status = 403


class HeldAlready(DomainError):
    """A mixin for refusals only someone who already holds the thing can get (a code redeemed
    before, a coupon used before): not a guess, so the redeem throttle never counts them."""


class BodyTooLarge(InvalidInput):
    """The request body is larger than the server reads (400)."""

    default_code = "too_large"
    default_message = "The request body is too large."


class BodyTooDeep(InvalidInput):
    """A JSON body nests arrays and objects deeper than any Entitle reads (400)."""

    default_code = "too_deep"
    default_message = "The JSON body nests too deep."


class TooManyFields(InvalidInput):
    """A form or query string with more fields than the server reads (400)."""

    default_code = "too_many_fields"
    default_message = "The request has too many fields."


class UnstorableText(InvalidInput):
    """A NUL or a lone surrogate in a string: nothing can store, hash or echo it (400)."""

    default_code = "invalid_characters"
    default_message = "Text cannot contain a NUL character or a lone surrogate."
