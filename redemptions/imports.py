"""Importing existing codes from CSV (a platform moving from another vendor brings its codes).

The file: one code per line, optionally with its maximum uses and its expiry —

    code,max_uses,expires
    SPRING-0001,1,2027-06-30
    SPRING-0002,,                  # the group's uses per code; no expiry of its own

A first line whose first cell is `code` is a header. Codes are normalised as everywhere
(`normalize_code`) and must pass the hand-typed code rules (`clean_code`); uses follow
`clean_max_uses`; an expiry is ISO 8601 or Unix time (`parse_instant`). All or nothing: one
bad line (malformed, a duplicate inside the file or of a code that exists) and nothing is
created; the job's result lists every problem with its line number (the first
MAX_PROBLEMS).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from django.core.files.storage import default_storage

from core.errors import DomainError
from core.time import parse_instant
from redemptions.codes import clean_code
from redemptions.errors import CodeImportRefused
from redemptions.models import Code
from redemptions.validators import clean_max_uses

MAX_PROBLEMS = 1000
_TAKEN_CHUNK = 10_000  # codes checked against the table per query


@dataclass(frozen=True)
class Row:
    line: int
    code: str
    max_redemptions: int
    expiration_date: dt.datetime | None


def _lines(path: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each non-empty line, the header skipped."""
    with default_storage.open(path, "rb") as raw:
        reader = csv.reader(codecs.iterdecode(raw, "utf-8-sig"))
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if reader.line_num == 1 and cells[0].strip().lower() == "code":
                continue
            yield reader.line_num, cells


def _row(line: int, cells: list[str], default_uses: int) -> Row:
    code = clean_code(cells[0])
    uses = cells[1].strip() if len(cells) > 1 else ""
    expires = cells[2].strip() if len(cells) > 2 else ""
    if len(cells) > 3 and any(c.strip() for c in cells[3:]):
        raise CodeImportRefused(message="At most three columns: code, max uses, expiry.")
    if uses:
        if not uses.isdigit():
            raise CodeImportRefused(message=f"Max uses {uses!r} is not a whole number.")
        max_uses = clean_max_uses(int(uses))
    else:
        max_uses = default_uses
    try:
        expiration = parse_instant(expires) if expires else None
    except ValueError as exc:
        raise CodeImportRefused(message=f"Expiry {expires!r}: {exc}") from exc
    return Row(line, code, max_uses, expiration)


def rows(path: str, *, default_uses: int, skip: int = 0) -> Iterator[Row]:
    """The file's rows (checked already by `check`), after the first `skip`."""
    for line, cells in islice(_lines(path), skip, None):
        yield _row(line, cells, default_uses)


def check(path: str, *, default_uses: int) -> tuple[int, int]:
    """Read the whole file once: (the number of codes, the longest), or CodeImportRefused
    listing every
    problem (`data["problems"]`: line, code, message) — malformed lines, duplicates inside
    the file and codes that exist already."""
    problems: list[dict] = []
    first_line: dict[str, int] = {}
    pending: list[tuple[int, str]] = []

    def against_table() -> None:
        taken = Code.objects.taken([code for _, code in pending])
        problems.extend({"line": line, "code": code, "message": "This code exists already."}
                        for line, code in pending if code in taken)
        pending.clear()

    for line, cells in _lines(path):
        try:
            row = _row(line, cells, default_uses)
        except DomainError as exc:
            problems.append({"line": line, "code": cells[0][:64], "message": exc.message})
            continue
        if row.code in first_line:
            problems.append({"line": line, "code": row.code, "message":
                             f"Duplicate of line {first_line[row.code]}."})
            continue
        first_line[row.code] = line
        pending.append((line, row.code))
        if len(pending) >= _TAKEN_CHUNK:
            against_table()
    against_table()
    if problems:
        problems.sort(key=lambda p: p["line"])
        raise CodeImportRefused(
            message=f"{len(problems):,} line(s) of the file cannot be imported; nothing was "
                    f"imported.", problems=problems[:MAX_PROBLEMS], count=len(problems))
    if not first_line:
        raise CodeImportRefused(message="The file holds no codes.", problems=[], count=0)
    return len(first_line), max(map(len, first_line))
