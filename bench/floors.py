"""The insert floor: raw psycopg `COPY` of N code-shaped rows, and the helpers behind it.

`copy_floor(url, rows=10_000, repeats=5)` makes a scratch table shaped like a code table
(bigint id, 16-character text code with one unique index, a few more columns), then times
`BEGIN; COPY …; COMMIT` of `rows` fresh random codes, the table emptied before each run.
The codes and their COPY text are made before the clock starts: the floor is the database's.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

import psycopg

from bench.timing import Timing, median_of

ALPHABET = "2346789BCDFGHJKMNPQRTVWXYZ"  # no look-alikes (0/O, 1/I/L, 5/S), no vowels
CODE_LENGTH = 16
CHUNK = 1 << 20
FLOOR_TABLE = "bench_copy_floor"
CODE_TABLE_DDL = """
DROP TABLE IF EXISTS {table};
CREATE TABLE {table} (
    id bigint NOT NULL,
    code text NOT NULL,
    group_id bigint NOT NULL,
    max_redemptions integer NOT NULL,
    redemptions_count integer NOT NULL,
    is_active boolean NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX {table}_code ON {table} (code);
"""
CODE_COLUMNS = ("id", "code", "group_id", "max_redemptions", "redemptions_count", "is_active",
                "created_at")


def random_codes(count: int, length: int = CODE_LENGTH, alphabet: str = ALPHABET) -> list[str]:
    """`count` distinct random codes; every character equally likely (bulk bytes, rejection)."""
    size = len(alphabet)
    limit = 256 - 256 % size  # bytes at or above this would favour the first characters
    table = bytes(alphabet.encode()[b % size] if b < limit else 0 for b in range(256))
    rejected = bytes(range(limit, 256))
    codes: set[str] = set()
    while len(codes) < count:
        need = count - len(codes)
        raw = secrets.token_bytes(need * length * 256 // limit + length * 64)
        text = raw.translate(table, rejected).decode()
        usable = len(text) // length
        codes.update(text[i * length:(i + 1) * length] for i in range(min(usable, need)))
    return list(codes)


def code_copy_text(codes: Iterable[str], *, first_id: int = 1, group_id: int = 1,
                   max_redemptions: int = 1) -> bytes:
    """COPY text-format lines of code rows (CODE_COLUMNS order)."""
    now = dt.datetime.now(dt.UTC).isoformat()
    tail = f"\t{group_id}\t{max_redemptions}\t0\tt\t{now}\n"
    return "".join(f"{i}\t{code}{tail}" for i, code in enumerate(codes, first_id)).encode()


def copy_text(conn: psycopg.Connection, table: str, columns: Iterable[str], payload: bytes) -> None:
    """`COPY table (columns) FROM STDIN` of ready COPY text, in 1 MiB writes."""
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        view = memoryview(payload)
        for start in range(0, len(view), CHUNK):
            copy.write(view[start:start + CHUNK])


def copy_floor(database_url: str, *, rows: int, repeats: int = 1) -> Timing:
    """Seconds to COPY `rows` code rows into an empty indexed table (median of `repeats`)."""
    payload = code_copy_text(random_codes(rows))
    with psycopg.connect(database_url, autocommit=True) as conn:
        def reset() -> None:
            conn.execute(CODE_TABLE_DDL.format(table=FLOOR_TABLE))

        def load() -> None:
            with conn.transaction():
                copy_text(conn, FLOOR_TABLE, CODE_COLUMNS, payload)

        try:
            return median_of(repeats, load, before=reset)
        finally:
            conn.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")


PRODUCT_COLUMNS = ("code", "group_id", "offer_id", "target_item_id", "max_redemptions",
                   "redemptions_count", "is_active", "transaction_id", "created_at",
                   "updated_at")


def product_table_floor(database_url: str, *, rows: int, repeats: int = 1) -> Timing:
    """Seconds to COPY `rows` codes into the product's own `redemptions_code` (its six indexes
    and three foreign keys, checked at once with SET CONSTRAINTS ALL IMMEDIATE), rolled back:
    what the schema costs, beside `copy_floor`'s one-index table. Needs one code group."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        group = conn.execute("SELECT id, offer_id FROM redemptions_codegroup "
                             "ORDER BY created_at LIMIT 1").fetchone()
        item = conn.execute("SELECT catalogitem_id FROM redemptions_offer_items "
                            "WHERE offer_id = %s LIMIT 1", (group[1],)).fetchone()
        now = dt.datetime.now(dt.UTC).isoformat()
        tail = (f"\t{group[0]}\t{group[1]}\t{item[0] if item else chr(92) + 'N'}\t1\t0\tt\t"
                f"\t{now}\t{now}\n")
        payloads = [("".join(code + tail for code in random_codes(rows))).encode()
                    for _ in range(repeats)]

        def load() -> None:
            conn.execute("BEGIN")
            try:
                conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
                copy_text(conn, "redemptions_code", PRODUCT_COLUMNS, payloads.pop())
            finally:
                conn.execute("ROLLBACK")

        return median_of(repeats, load)


def product_table_floor_streamed(database_url: str, *, rows: int,
                                 piece: int = 1_000_000) -> float:
    """Seconds to COPY `rows` codes into the product's `redemptions_code` (its indexes and
    foreign keys, checked at once) in one transaction, rolled back — `product_table_floor`
    for counts whose COPY text would not fit in memory at once: made `piece` rows at a time,
    outside the clock, and only the COPY calls and the constraint check timed."""
    import time

    with psycopg.connect(database_url, autocommit=True) as conn:
        group = conn.execute("SELECT id, offer_id FROM redemptions_codegroup "
                             "ORDER BY created_at LIMIT 1").fetchone()
        now = dt.datetime.now(dt.UTC).isoformat()
        tail = f"\t{group[0]}\t{group[1]}\t\\N\t1\t0\tt\t\t{now}\t{now}\n"
        spent = 0.0
        conn.execute("BEGIN")
        try:
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for start in range(0, rows, piece):
                payload = "".join(code + tail for code in random_codes(
                    min(piece, rows - start))).encode()
                began = time.perf_counter()
                copy_text(conn, "redemptions_code", PRODUCT_COLUMNS, payload)
                spent += time.perf_counter() - began
        finally:
            conn.execute("ROLLBACK")
        return spent
