"""Tizra's batches in the domain's terms: a batch is every code group with one label, its codes
16 hex digits unless asked otherwise, each code saying what redeeming it does, its tags written
`a;b`, and its uses set as the uses left (`remaining-redemptions`).

Translation only: the locks, the inserts and the uses-left arithmetic (under the code's row
lock) are `redemptions.services.add_codes` and `update_code`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dialects.tizra.errors import NothingToChange
from redemptions import services
from redemptions.codes import Alphabet
from redemptions.models import Code

DEFAULT_BATCH_CODE_LENGTH = 16  # Tizra's codes: 16 hex digits, shown in lower case
_UNSET: Any = object()


@dataclass
class BatchCodes:
    """Codes to add to a batch, named by its label (a Tizra code object)."""

    batch: str
    action_type: str
    offer_id: object = None  # the offer applied (apply-offer) or whose terms apply (-match)
    user_tags: object = None  # add-user-tag: `a;b` or a list
    match_specification: object = None  # session-license-match
    code: str | None = None  # given by hand; None: `count` generated
    count: int | None = None  # None: one
    code_length: int | None = None
    max_redemptions: int = 1
    is_active: bool = True
    expiration_date: dt.datetime | None = None


def tag_list(value: object) -> object:
    """Tizra writes tags `a;b`; a list passes as it is (the domain checks each tag)."""
    return value.split(";") if isinstance(value, str) else value


def add_batch_codes(requests: Sequence[BatchCodes]) -> list[Code]:
    """Add codes to batches by name, all or none; the new codes in order. A new name starts a
    group of hex codes. A refusal names the request it concerns in `data["index"]`."""
    new_codes = []
    for request in requests:
        fields = {f.name: getattr(request, f.name) for f in dataclasses.fields(request)
                  if f.name != "batch"}
        new_codes.append(services.NewCodes(
            label=request.batch, **{**fields, "user_tags": tag_list(request.user_tags)},
            alphabet=Alphabet.HEX, default_code_length=DEFAULT_BATCH_CODE_LENGTH))
    return services.add_codes(new_codes)


def amend_code(code: Code, *, is_active: bool = _UNSET, remaining_redemptions: int = _UNSET,
               expiration_date: dt.datetime | None = _UNSET,
               user_tags: object = _UNSET) -> Code:
    """Tizra's PUT: each argument optional — validity, uses left, its own expiry (None clears
    it) and, for an add-user-tag code, its tags."""
    changes = {name: value for name, value in (
        ("is_active", is_active), ("remaining_uses", remaining_redemptions),
        ("expiration_date", expiration_date), ("user_tags", user_tags)) if value is not _UNSET}
    if not changes:
        raise NothingToChange()
    if "user_tags" in changes:
        changes["user_tags"] = tag_list(changes["user_tags"])
    return services.update_code(code, **changes)
