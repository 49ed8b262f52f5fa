"""Code text: the one `normalize_code()` every entry point uses, alphabets, and the generator.

Codes are stored canonical — upper case, no dashes or spaces — so a lookup is one exact match
on a unique index whatever the learner typed. Generated codes draw `secrets.token_bytes` in
bulk, drop the bytes at or above the largest multiple of the alphabet's size (so every
character stays equally likely) and map the rest with `bytes.translate`, all in C: about
0.25 s per million 12-character codes, where one `secrets.choice` per character takes ~17 s.
"""

from __future__ import annotations

import re
import secrets

from django.db import models

from redemptions.errors import (
    CodeSpaceTooSmall,
    InvalidCodeLength,
    InvalidCodeText,
)

MAX_CODE_LENGTH = 64
# One random guess may hit a live code with odds of at most 1 in this many.
GUESS_ODDS = 10_000
# The separators learners type (or copy) inside codes: dashes of every width and whitespace.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_]+")
_CANONICAL = re.compile(r"^[A-Z0-9]+$")


class Alphabet(models.TextChoices):
    """The characters generated codes are made of."""

    UNAMBIGUOUS = "unambiguous", "Unambiguous letters and digits (no 0/O, 1/I/L, 5/S, vowels)"
    HEX = "hex", "Hexadecimal (shown lower-case, as Tizra does)"
    DIGITS = "digits", "Digits only"

    @property
    def characters(self) -> str:
        return ALPHABET_CHARACTERS[self]


ALPHABET_CHARACTERS: dict[str, str] = {
    # No vowels (no words), none of 0/O, 1/I/L, 5/S (look-alikes): 19 letters, 7 digits.
    Alphabet.UNAMBIGUOUS.value: "BCDFGHJKMNPQRTVWXYZ2346789",
    Alphabet.HEX.value: "0123456789ABCDEF",
    Alphabet.DIGITS.value: "0123456789",
}


def normalize_code(text: object) -> str:
    """The canonical form of a code as anyone may type it: trimmed, upper case, no separators."""
    if text is None:
        return ""
    return _SEPARATORS.sub("", str(text)).upper()


def is_canonical(code: str) -> bool:
    """Whether `code` could be a stored code at all (letters A–Z and digits, not too long)."""
    return 0 < len(code) <= MAX_CODE_LENGTH and bool(_CANONICAL.match(code))


def nice_code(code: str) -> str:
    """A code as learners see it: `RQMJ-QJB5-JX5V-6JQ5`, groups of 4, or of 3 when the length
    is a multiple of 3 but not of 4 (`123-456`); a shorter last group otherwise. Zype's
    `nice_code` and the codes CSV show it; `normalize_code` reads it back."""
    size = 3 if len(code) % 3 == 0 and len(code) % 4 else 4
    return "-".join(code[i:i + size] for i in range(0, len(code), size))


def clean_code(text: object) -> str:
    """A code chosen by hand (Zype's `code`, Tizra's `access-code`), canonical, or a 400."""
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


def random_characters(n: int, alphabet: str) -> str:
    """`n` characters drawn uniformly from `alphabet` with the `secrets` generator."""
    characters = ALPHABET_CHARACTERS[alphabet]
    size = len(characters)
    limit = 256 - 256 % size  # bytes at or above it would favour the first characters
    table = bytes(ord(characters[b % size]) for b in range(256))
    rejected = bytes(range(limit, 256))
    chunks: list[bytes] = []
    have = 0
    while have < n:
        # Ask for a little more than the expected need so one draw nearly always suffices.
        want = n - have
        draw = secrets.token_bytes(want * 256 // limit + 64).translate(table, rejected)
        chunks.append(draw)
        have += len(draw)
    return b"".join(chunks)[:n].decode("ascii")


def random_codes(count: int, length: int, alphabet: str) -> list[str]:
    """Up to `count` distinct random codes (duplicates within the draw are dropped)."""
    text = random_characters(count * length, alphabet)
    return list(dict.fromkeys(text[i:i + length] for i in range(0, count * length, length)))
