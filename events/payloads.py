"""An event's `data`: a JSON-safe snapshot of the object, with the native API's field names
(foreign keys by id), taken in the change's transaction. Each app names its fields in its own
`payloads.py`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.db import models


def plain(value: object) -> object:
    """`value` as JSON: times in ISO 8601 UTC (`Z`), ids and decimals as strings."""
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


def snapshot(obj: models.Model, fields: Iterable[str], **extra: object) -> dict:
    """`fields` of `obj` (a foreign key as its id, under its own name), then `extra`."""
    data = {name: plain(getattr(obj, obj._meta.get_field(name).attname)) for name in fields}
    data.update({name: plain(value) for name, value in extra.items()})
    return data
