"""Tizra's request bodies read into service arguments: code objects (POST) and changes (PUT),
each bad value a 400 naming Tizra's field."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError

from core.errors import DomainError, InvalidInput
from core.fields import ExpiryField
from core.parsers import JSONParser
from dialects.tizra import batches
from dialects.tizra.errors import NothingToChange
from redemptions.models import MAX_CODES_PER_CALL, ActionType

CREATE_KEYS = ("batch", "action-type", "access-control-id", "user-tags", "match-specification",
               "access-code", "remaining-redemptions", "is-valid", "expiration-date", "count",
               "code-length")
UPDATE_KEYS = ("is-valid", "remaining-redemptions", "expiration-date", "user-tags")
READ_ONLY_KEYS = ("redeemed-users", "used-date", "redemption-url")


class AnyJSONParser(JSONParser):
    """Tizra's clients post JSON whatever the Content-Type says (curl's default is a form)."""

    media_type = "*/*"


def _integer(body: dict, key: str, default: int | None) -> int | None:
    if body.get(key) is None:
        return default
    value = body[key]
    if isinstance(value, str) and value.strip().lstrip("-").isascii() \
            and value.strip().lstrip("-").isdigit():  # not "²": int() refuses it
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("invalid", "must be a whole number.", field=key)
    return value


def _boolean(body: dict, key: str, default: bool) -> bool:
    value = body.get(key, default)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise InvalidInput("invalid", "must be true or false.", field=key)
    return value


_EXPIRY = ExpiryField(allow_null=True, blank_is_null=True)


def _expiry(body: dict, key: str):
    """An expiry (2024-01-01: the end of that day, UTC); null or empty: none."""
    try:
        return _EXPIRY.run_validation(body.get(key))
    except ValidationError as exc:
        raise InvalidInput("invalid", str(exc.detail[0]), field=key) from exc


def _string(body: dict, key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # Tizra's own ids and codes may come as numbers
    if not isinstance(value, str):
        raise InvalidInput("invalid", "must be a string.", field=key)
    return value


def _check_keys(body: dict, allowed: tuple[str, ...]) -> None:
    for key in body:
        if key in allowed:
            continue
        if key in READ_ONLY_KEYS:
            raise InvalidInput("read_only", "is read-only (Entitle keeps it).", field=key)
        raise InvalidInput("unknown_field", f"is not a field here; give only "
                                            f"{', '.join(allowed)}.", field=key)


def parse_code_object(body: object, url_batch: str | None) -> batches.BatchCodes:
    """One code object of Tizra's POST as the service's request."""
    if not isinstance(body, dict):
        raise InvalidInput("invalid_body", "Each code must be a JSON object.")
    _check_keys(body, CREATE_KEYS)
    batch = body.get("batch")
    if url_batch is not None:
        if batch not in (None, url_batch):
            raise InvalidInput("batch_mismatch", f"names batch {batch!r} but the URL names "
                                                 f"{url_batch!r}.", field="batch")
        batch = url_batch
    if batch in (None, ""):
        raise InvalidInput("required", "is required: the name of the batch.", field="batch")
    if not isinstance(batch, str):
        raise InvalidInput("invalid", "must be a string.", field="batch")
    if "/" in batch:
        raise InvalidInput("invalid", "cannot contain \"/\" (the name is part of the batch's "
                                      "URL).", field="batch")
    action = body.get("action-type")
    if action in (None, ""):
        raise InvalidInput("required", f"is required: one of {', '.join(ActionType.values)}.",
                           field="action-type")
    if action not in ActionType.values:
        raise InvalidInput("invalid", f"must be one of {', '.join(ActionType.values)}.",
                           field="action-type")
    if action != ActionType.ADD_USER_TAG and body.get("access-control-id") in (None, ""):
        raise InvalidInput("required", f"is required for {action} codes: the id of the "
                                       f"offer.", field="access-control-id")
    if action == ActionType.ADD_USER_TAG and body.get("user-tags") in (None, "", []):
        raise InvalidInput("required", "is required for add-user-tag codes (\"a;b\" or a "
                                       "list).", field="user-tags")
    return batches.BatchCodes(
        batch=batch, action_type=action, offer_id=_string(body, "access-control-id"),
        user_tags=body.get("user-tags"), match_specification=body.get("match-specification"),
        code=_string(body, "access-code"), count=_integer(body, "count", None),
        code_length=_integer(body, "code-length", None),
        max_redemptions=_integer(body, "remaining-redemptions", 1),
        is_active=_boolean(body, "is-valid", True),
        expiration_date=_expiry(body, "expiration-date"),
    )


def parse_code_objects(data: object, url_batch: str | None) -> list[batches.BatchCodes]:
    """A code object or a JSON array of them; a bad one names its place (`[2].batch`)."""
    if isinstance(data, dict):
        return [parse_code_object(data, url_batch)]
    if not isinstance(data, list):
        raise InvalidInput("invalid_body", "The body must be a JSON code object or an array "
                                           "of them.")
    if not data:
        raise InvalidInput("invalid_body", "The array is empty: give at least one code "
                                           "object.")
    if len(data) > MAX_CODES_PER_CALL:
        raise InvalidInput("too_many_codes", f"At most {MAX_CODES_PER_CALL:,} code objects "
                                             f"per request.")
    requests = []
    for index, element in enumerate(data):
        try:
            requests.append(parse_code_object(element, url_batch))
        except DomainError as exc:
            exc.data.setdefault("index", index)  # Tizra's table names its place
            raise
    return requests


def parse_changes(data: object) -> dict:
    """PUT's body as `batches.amend_code`'s keyword arguments."""
    if not isinstance(data, dict):
        raise InvalidInput("invalid_body", "The body must be a JSON object.")
    _check_keys(data, UPDATE_KEYS)
    if not data:
        raise NothingToChange(message=f"Give at least one of {', '.join(UPDATE_KEYS)}.")
    changes: dict = {}
    if "is-valid" in data:
        changes["is_active"] = _boolean(data, "is-valid", True)
    if "remaining-redemptions" in data:
        changes["remaining_redemptions"] = _integer(data, "remaining-redemptions", None)
        if changes["remaining_redemptions"] is None:
            raise InvalidInput("invalid", "must be a whole number from 0 up.",
                               field="remaining-redemptions")
    if "expiration-date" in data:
        changes["expiration_date"] = _expiry(data, "expiration-date")
    if "user-tags" in data:
        changes["user_tags"] = data["user-tags"]
    return changes
