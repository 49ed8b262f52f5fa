"""Field rules of redemptions, each written once: the services, the admin forms and every
dialect call these, so no entry point answers differently.

Uses: a code allows from 0 uses (used up from the start: Tizra's clients make such codes) to
MAX_USES_PER_CODE, and never fewer than it has had; a new code and a changed one follow the
same rule through every API and the admin.
"""

from __future__ import annotations

from redemptions.errors import (
    InvalidMatchSpecification,
    InvalidMaxUses,
    InvalidRemainingUses,
    InvalidUserTags,
    LabelRequired,
    LabelTooLong,
    MaxUsesBelowUsed,
    UserTagsNotList,
)
from redemptions.models import CodeGroup, empty_match_specification

MAX_USES_PER_CODE = 1_000_000_000  # fits the column with room for the uses so far
_MATCH_KEYS = ("all", "any", "excluded")


def _whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def clean_label(value: object) -> str:
    """A code group's label, trimmed: not empty, and fitting its column."""
    label = value.strip() if isinstance(value, str) else ""
    if not label:
        raise LabelRequired(field="label")
    limit = CodeGroup._meta.get_field("label").max_length
    if len(label) > limit:
        raise LabelTooLong(message=f"A label has at most {limit} characters.", field="label",
                           limit=limit)
    return label


def clean_max_uses(value: object, *, used: int = 0, field: str = "max_redemptions") -> int:
    """How many uses a code allows: 0 up to the cap, and not below the `used` so far."""
    if used and _whole_number(value) and 0 <= value < used:
        raise MaxUsesBelowUsed(message=f"{field} cannot go below {used} (the code has been "
                                       f"used {used} time(s)).", field=field, used=used)
    if not _whole_number(value) or not 0 <= value <= MAX_USES_PER_CODE:
        raise InvalidMaxUses(message=f"A code allows from 0 to {MAX_USES_PER_CODE:,} "
                                     f"redemptions.", field=field)
    return value


def clean_remaining_uses(value: object) -> int:
    """Uses left to give a code (its maximum becomes its uses so far plus these)."""
    if not _whole_number(value) or not 0 <= value <= MAX_USES_PER_CODE:
        raise InvalidRemainingUses(message=f"Remaining redemptions must be a whole number "
                                           f"from 0 to {MAX_USES_PER_CODE:,}.",
                                   field="remaining_redemptions")
    return value


def clean_user_tags(tags: object) -> list[str]:
    if not isinstance(tags, list | tuple):
        raise UserTagsNotList(field="user_tags")
    cleaned = []
    for tag in tags:
        if not isinstance(tag, str) or len(tag.strip()) > 100:
            raise InvalidUserTags(
                message="Each user tag must be a string of at most 100 characters.",
                field="user_tags")
        if tag.strip() and tag.strip() not in cleaned:
            cleaned.append(tag.strip())
    return cleaned


def clean_match_specification(value: object) -> dict:
    if value in (None, ""):
        return empty_match_specification()
    message = ('match_specification must be {"all": [...], "any": [...], "excluded": [...]}, '
               'each a list of title patterns (strings).')
    if not isinstance(value, dict) or set(value) - set(_MATCH_KEYS):
        raise InvalidMatchSpecification(message=message, field="match_specification")
    spec = empty_match_specification()
    for key in _MATCH_KEYS:
        patterns = value.get(key) or []
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise InvalidMatchSpecification(message=message, field="match_specification")
        spec[key] = [p for p in patterns if p.strip()]
    return spec
