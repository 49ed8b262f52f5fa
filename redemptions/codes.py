"""Redemption code text: validation, code spaces and lengths, batches of random codes.

Codes are stored canonical — upper case, no dashes or spaces — so a lookup is one exact match
on a unique index whatever the learner typed. `normalize_code`, the alphabets and the random
generator are shared with coupon codes, so they live in `core.codes`.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable

from django.conf import settings

from core.codes import ALPHABET_CHARACTERS as ALPHABET_CHARACTERS
from core.codes import Alphabet as Alphabet
from core.codes import normalize_code as normalize_code
from core.codes import random_characters as random_characters
from redemptions.errors import (
    CodeSpaceTooSmall,
    CodeTooShort,
    InvalidCodeLength,
    InvalidCodeText,
)

MAX_CODE_LENGTH = 64
# One random guess may hit a live code with odds of at most 1 in this many.
GUESS_ODDS = 10_000
_CANONICAL = re.compile(r"^[A-Z0-9]+$")


def is_canonical(code: str) -> bool:
    """Whether `code` could be a stored code at all (letters A–Z and digits, not too long)."""
    return 0 < len(code) <= MAX_CODE_LENGTH and bool(_CANONICAL.match(code))


def nice_code(code: str) -> str:
    """A code as learners see it: `RQMJ-QJB5-JX5V-6JQ5`, groups of 4, or of 3 when the length
    is a multiple of 3 but not of 4 (`123-456`); a shorter last group otherwise. Zype's
    `nice_code` and the codes CSV show it; `normalize_code` reads it back."""
    return "-".join(_nice_groups(len(code))(code))


@functools.lru_cache(maxsize=64)
def _nice_groups(length: int) -> Callable[[str], tuple[str, ...]]:
    """The groups of a code of `length` characters, as one call (10,000 codes a bulk create)."""
    size = 3 if length % 3 == 0 and length % 4 else 4
    groups = [slice(i, i + size) for i in range(0, length, size)] or [slice(0, 0)]
    getter = operator.itemgetter(*groups)
    return getter if len(groups) > 1 else lambda code: (getter(code),)


def min_code_length() -> int:
    """The fewest letters or digits of a code chosen by hand or imported (a setting, default 6):
    shorter ones are guessed at once."""
    return settings.REDEMPTION_CODE_MIN_LENGTH


def clean_code(text: object) -> str:
    """A code chosen by hand (the native `code`, Zype's `code`, Tizra's `access-code`, the
    admin, an imported line), canonical, or a 400 saying why."""
    code = normalize_code(text)
    if not code:
        raise InvalidCodeText(message="A code needs at least one letter or digit.",
                             field="code")
    if len(code) > MAX_CODE_LENGTH:
        raise InvalidCodeText(message=f"A code has at most {MAX_CODE_LENGTH} characters.",
                              field="code")
    if not _CANONICAL.match(code):
        raise InvalidCodeText(message="A code is made of letters A–Z and digits only "
                             "(dashes and spaces are ignored).", field="code")
    if len(code) < (least := min_code_length()):
        raise CodeTooShort(message=f"A code chosen by hand has at least {least} letters or "
                                   f"digits (this one has {len(code)}): shorter ones are "
                                   f"guessed.", field="code", min_length=least)
    return code


def code_space(length: int, alphabet: str) -> int:
    return len(ALPHABET_CHARACTERS[alphabet]) ** length


def minimum_length(count: int, alphabet: str) -> int:
    """The shortest code length whose code space is at least GUESS_ODDS × count."""
    length = 1
    while code_space(length, alphabet) < GUESS_ODDS * count:
        length += 1
    return length


def default_length(count: int, alphabet: str) -> int:
    """A comfortable length for `count` codes: at least 8, and never guessable."""
    return max(8, minimum_length(count, alphabet))


def check_code_space(*, count: int, length: int, alphabet: str) -> None:
    """Refuse a length too short for `count` codes (a guess would hit too often)."""
    if length < 1 or length > MAX_CODE_LENGTH:
        raise InvalidCodeLength(message=f"The code length must be from 1 to {MAX_CODE_LENGTH}.",
                                field="code_length")
    space = code_space(length, alphabet)
    needed = GUESS_ODDS * count
    if space < needed:
        size = len(ALPHABET_CHARACTERS[alphabet])
        raise CodeSpaceTooSmall(
            message=f"A code length of {length} gives {space:,} possible codes ({size} "
            f"characters), "
            f"but {count:,} codes need at least {needed:,} ({GUESS_ODDS:,} × {count:,}) so "
            f"that a guess hits a live code with odds under 1 in {GUESS_ODDS:,}. "
            f"Use a code length of at least {minimum_length(count, alphabet)}.",
            field="code_length",
        )


def random_codes(count: int, length: int, alphabet: str) -> list[str]:
    """Up to `count` distinct random codes (duplicates within the draw are dropped)."""
    text = random_characters(count * length, alphabet)
    return list(dict.fromkeys(text[i:i + length] for i in range(0, count * length, length)))
