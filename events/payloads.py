"""An event's `data`: a JSON-safe snapshot of the object, with the native API's field names
(foreign keys by id), taken in the change's transaction. Each app names its fields in its own
`payloads.py`."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.db import models

# Values JSON takes as they are (exact types: a subclass may render otherwise).
_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})


def plain(value: object) -> object:
    """`value` as JSON: times in ISO 8601 UTC (`Z`), ids and decimals as strings."""
    if type(value) in _AS_THEY_ARE:  # most fields: one look-up, not six isinstance checks
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


@functools.lru_cache(maxsize=64)
def _attnames(model: type[models.Model], fields: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(name, attribute) of each of `fields`: a foreign key's attribute is its id."""
    return tuple((name, model._meta.get_field(name).attname) for name in fields)


def snapshot(obj: models.Model, fields: Iterable[str], **extra: object) -> dict:
    """`fields` of `obj` (a foreign key as its id, under its own name), then `extra`."""
    data = {name: plain(getattr(obj, attname))
            for name, attname in _attnames(type(obj), tuple(fields))}
    data.update({name: plain(value) for name, value in extra.items()})
    return data
