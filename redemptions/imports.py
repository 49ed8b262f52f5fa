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
MAX_PROBLEMS) and how many there are. The check holds no file in memory on PostgreSQL.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from django.core.files.storage import default_storage
from django.db import connection, transaction

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
    listing every problem (`data["problems"]`: line, code, message; the first MAX_PROBLEMS by
    line, and `count`) — malformed lines, duplicates inside the file and codes that exist
    already. Memory stays flat on PostgreSQL: the file's codes go to a temporary table, and
    both duplicate checks are one query over it."""
    malformed: list[dict] = []
    bad = count = longest = 0
    with (_TableCheck() if connection.vendor == "postgresql" else _MemoryCheck()) as codes:
        for line, cells in _lines(path):
            try:
                row = _row(line, cells, default_uses)
            except DomainError as exc:
                bad += 1
                if len(malformed) < MAX_PROBLEMS:
                    malformed.append({"line": line, "code": cells[0][:64],
                                      "message": exc.message})
                continue
            codes.add(line, row.code)
            count, longest = count + 1, max(longest, len(row.code))
        duplicates, duplicate_count = codes.duplicates(MAX_PROBLEMS)
    if bad or duplicate_count:
        problems = sorted(malformed + duplicates, key=lambda p: p["line"])[:MAX_PROBLEMS]
        total = bad + duplicate_count
        raise CodeImportRefused(
            message=f"{total:,} line(s) of the file cannot be imported; nothing was "
                    f"imported.", problems=problems, count=total)
    if not count:
        raise CodeImportRefused(message="The file holds no codes.", problems=[], count=0)
    return count, longest


def _duplicate(line: int, code: str, first: int | None) -> dict:
    return {"line": line, "code": code,
            "message": f"Duplicate of line {first}." if first is not None
            else "This code exists already."}


class _MemoryCheck:
    """The file's codes in a dict (small files, other databases than PostgreSQL); the table
    is asked about them _TAKEN_CHUNK at a time."""

    def __init__(self) -> None:
        self.first_line: dict[str, int] = {}
        self.pending: list[tuple[int, str]] = []
        self.found: list[dict] = []

    def __enter__(self) -> _MemoryCheck:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def add(self, line: int, code: str) -> None:
        if code in self.first_line:
            self.found.append(_duplicate(line, code, self.first_line[code]))
            return
        self.first_line[code] = line
        self.pending.append((line, code))
        if len(self.pending) >= _TAKEN_CHUNK:
            self._against_table()

    def _against_table(self) -> None:
        taken = Code.objects.taken([code for _, code in self.pending])
        self.found.extend(_duplicate(line, code, None)
                          for line, code in self.pending if code in taken)
        self.pending.clear()

    def duplicates(self, limit: int) -> tuple[list[dict], int]:
        self._against_table()
        return sorted(self.found, key=lambda p: p["line"])[:limit], len(self.found)


class _TableCheck:
    """The file's (line, code) pairs COPY'd into a temporary table, dropped when the check's
    transaction ends; one query finds the duplicates inside the file and the codes that
    exist (a code's first line only), in line order, with their count."""

    TABLE = "import_check"

    def __init__(self) -> None:
        self.atomic = transaction.atomic()
        self.buffer: list[str] = []

    def __enter__(self) -> _TableCheck:
        self.atomic.__enter__()
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {self.TABLE} (line integer NOT NULL, "
                           f"code text NOT NULL) ON COMMIT DROP")
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:  # also inside a caller's transaction, which would keep it
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {self.TABLE}")
        self.atomic.__exit__(*exc)

    def add(self, line: int, code: str) -> None:
        self.buffer.append(f"{line}\t{code}\n")  # canonical codes: nothing to escape
        if len(self.buffer) >= _TAKEN_CHUNK * 5:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        payload = "".join(self.buffer).encode()
        self.buffer.clear()
        with connection.wrap_database_errors, connection.cursor() as cursor, \
                cursor.cursor.copy(f"COPY {self.TABLE} (line, code) FROM STDIN") as copy:
            copy.write(payload)

    def duplicates(self, limit: int) -> tuple[list[dict], int]:
        self._flush()
        codes = connection.ops.quote_name(Code._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {self.TABLE}")
            cursor.execute(f"""
                WITH firsts AS (SELECT line, code, min(line) OVER (PARTITION BY code) AS first
                                FROM {self.TABLE}),
                found AS (SELECT line, code, first FROM firsts WHERE line <> first
                          UNION ALL
                          SELECT f.line, f.code, NULL FROM firsts f
                          JOIN {codes} c ON c.code = f.code WHERE f.line = f.first)
                SELECT line, code, first, count(*) OVER () FROM found ORDER BY line LIMIT %s
            """, [limit])
            rows = cursor.fetchall()
        return [_duplicate(line, code, first) for line, code, first, _ in rows], \
            rows[0][3] if rows else 0
