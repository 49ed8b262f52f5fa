"""`make bench`: Entitle's figures beside their floors and ceilings, all measured in one run.

    .venv/bin/python -m bench.run            # about 30 minutes; --quick for a smoke run

Loopback only. Makes the `entitle_bench` database afresh (dropped and recreated on the
PostgreSQL server DATABASE_URL names; default the local one), migrates and seeds it, serves
it with gunicorn (4 sync workers, bench.settings: Entitle's URLs plus the bench-only floor and
ceiling views), installs wrk from Debian when it is missing, then measures every row and
prints one table, also written to bench/results/<date>.md and <date>.json.

Each row is one function below, registered with `@row`, returning a `Row`: the product's
figure, the floor or ceiling measured in this run beside it, their ratio and the target.
One 1,000,000-code database serves the generate row and then the Zype list row.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
import redis

from bench.floors import (
    copy_floor,
    copy_text,
    product_table_floor,
    product_table_floor_streamed,
    random_codes,
)
from bench.stack import ROOT, Gunicorn, manage, run_json, scratch_database, server_env
from bench.timing import Timing, format_seconds, median_of
from bench.webhooks import CeleryWorker, CountingReceiver
from bench.wrk import Load, ensure_wrk, run_wrk

DEFAULT_URL = "postgres://root@127.0.0.1:5432/entitle"
RESULTS = Path(__file__).with_name("results")
BUDGET_S = 40 * 60  # rows not started by then are reported as skipped (the job rows: ~20 min)

# The ceiling's codes: "C" + 15 digits, ids 0..CEILING_CODES-1, one use each; one hot code
# (the product's, made by bench/seed.py: "R" + 15 digits, and its own hot code).
CEILING_CODES = 100_000
HOT_CODE, HOT_ID, HOT_USES = "HOT0000000000000", CEILING_CODES, 1_000
OFFSETS = {32: 0, 128: 40_000, "warm-up": 80_000,  # the product's "R" codes alike
           "webhooks warm-up": 84_000, "no webhooks": 86_000, "2 webhooks": 89_500,
           "no webhooks again": 93_000, "2 webhooks again": 96_500,
           "one server": 50_000, "server 1 of 2": 60_000, "server 2 of 2": 70_000}
WEBHOOK_SECONDS = 4  # each of the webhook row's four runs: under 3,500 codes at 32 connections
# The server queues webhook deliveries here; the webhook row's worker takes them.
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CEILING_ENV = {"BENCH_PREFIX": "C"}  # bench/lua/redeem.lua on the ceiling's codes
HOT_SECONDS = 4  # each round on the one code: it is used up in about two
# The ceiling's tables (bench/models.py maps them, unmanaged).
CEILING_DDL = """
DROP TABLE IF EXISTS bench_ceiling_redemption, bench_ceiling_code;
CREATE TABLE bench_ceiling_code (
    id bigint PRIMARY KEY,
    code text NOT NULL UNIQUE,
    remaining integer NOT NULL CHECK (remaining >= 0),
    redemptions_count integer NOT NULL DEFAULT 0,
    last_redeemed_at timestamptz
);
CREATE TABLE bench_ceiling_redemption (
    id bigserial PRIMARY KEY,
    code_id bigint NOT NULL REFERENCES bench_ceiling_code (id),
    user_ref text NOT NULL,
    redeemed_at timestamptz NOT NULL,
    UNIQUE (code_id, user_ref)
);
"""


@dataclass
class Row:
    """One line of the table."""

    measure: str
    figure: str
    reference: str
    ratio: str = "—"
    target: str = ""
    verdict: str = ""
    data: dict = field(default_factory=dict)


ROWS: list[Callable[[Bench], Row]] = []


def row(function: Callable[[Bench], Row]) -> Callable[[Bench], Row]:
    ROWS.append(function)
    return function


class Bench:
    """What rows share: the server, the seed, memoised measurements, SQL, wrk."""

    def __init__(self, *, database_url: str, env: dict, server: Gunicorn, seed: dict,
                 seconds: float, large: int, repeats: int, get_connections: int,
                 job_codes: int = 10_000_000, import_codes: int = 1_000_000):
        self.database_url = database_url
        self.env = env  # the server's environment: manage(b.env, "generate_codes", …)
        self.server = server
        self.seed = seed
        self.seconds = seconds
        self.large = large
        self.job_codes, self.import_codes = job_codes, import_codes
        self.repeats = repeats
        self.get_connections = get_connections
        self.successes = 0  # 201s the ceiling answered, for its audit…
        self.in_flight = 0  # …and how many requests a stopping wrk may have left unanswered
        self.product_successes = 0  # the same for POST /api/v1/redeem
        self.product_in_flight = 0
        self.generated_group: str | None = None  # the generate row's group (the list row's)
        self._memo: dict[str, object] = {}

    def memo(self, key: str, measure: Callable[[], object]):
        if key not in self._memo:
            self._memo[key] = measure()
        return self._memo[key]

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def api_json(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        """One request to the server with the seed's API key: (status, parsed JSON body)."""
        request = urllib.request.Request(
            self.server.url(path), method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.seed['api_key']}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read() or b"null")

    def table_floor(self, rows: int, repeats: int) -> Timing:
        return self.memo(f"table {rows}x{repeats}", lambda: product_table_floor(
            self.database_url, rows=rows, repeats=repeats))

    def copy_floor(self, rows: int, repeats: int) -> Timing:
        return self.memo(f"copy {rows}x{repeats}",
                         lambda: copy_floor(self.database_url, rows=rows, repeats=repeats))

    def wrk(self, path: str, script: str, connections: int, env: dict | None = None,
            seconds: float | None = None) -> Load:
        return run_wrk(self.server.url(path), script, connections=connections,
                       seconds=seconds or self.seconds, env=env)

    def hello_floor(self) -> Load:
        """The stack's floor for a GET: gunicorn + Django answering without the database."""
        return self.memo("hello", lambda: self.wrk("/bench/hello", "hello.lua",
                                                   self.get_connections))

    def ceiling(self, connections: int) -> Load:
        """The ceiling view on distinct codes (lock + update + insert), at `connections`."""
        def measure() -> Load:
            load = self.wrk("/bench/ceiling/redeem", "redeem.lua", connections,
                            env={**CEILING_ENV, "BENCH_OFFSET": str(OFFSETS[connections])})
            self.successes += load.count(201)
            self.in_flight += connections
            return load
        return self.memo(f"ceiling {connections}", measure)

    def redeem(self, connections: int) -> Load:
        """POST /api/v1/redeem on distinct codes and learners, at `connections`."""
        def measure() -> Load:
            load = self.wrk("/api/v1/redeem", "redeem.lua", connections, env={
                "BENCH_OFFSET": str(OFFSETS[connections]),
                "BENCH_AUTH": f"Bearer {self.seed['api_key']}"})
            self.product_successes += load.count(201)
            self.product_in_flight += connections
            return load
        return self.memo(f"redeem {connections}", measure)


def times(figure: float, reference: float) -> str:
    return f"{figure / reference:.1f}×" if reference else "—"


def latency(load: Load) -> str:
    return f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms ({load.connections} conn.)"


# --- the rows, in the order -----------------------------------------------------------

counter = itertools.count()  # group labels


def ti_create(b: Bench, n: object) -> None:
    """10,000 codes by Thought Industries' create (`POST /incoming/v2/redemptionCodes`)."""
    status, answer = b.api_json("POST", "/incoming/v2/redemptionCodes", {
        "codeLength": 16, "totalCodesCount": 10_000, "courses": [b.seed["course"]],
        "label": f"Bench group {n}"})
    if status != 201 or answer.get("totalCodesCount") != 10_000:
        raise RuntimeError(f"POST /incoming/v2/redemptionCodes: {status} {answer}")


def ti_create_timing(b: Bench) -> Timing:
    """The median of `repeats` TI creates of 10,000 codes after a warm-up (imports,
    connections, the first group's offer); shared by the rows that compare with it."""
    def measure() -> Timing:
        ti_create(b, "warm-up")
        return median_of(b.repeats, lambda: ti_create(b, next(counter)))
    return b.memo("ti create", measure)


@row
def code_group_over_http(b: Bench) -> Row:
    floor = b.copy_floor(10_000, b.repeats)
    figure = ti_create_timing(b)
    table = b.table_floor(10_000, b.repeats)
    return Row(f"10,000-code group via POST /incoming/v2/redemptionCodes over HTTP "
               f"(median of {b.repeats})", figure.brief(),
               f"raw COPY of 10,000 code rows: {floor.brief()} (into Entitle's own code "
               f"table, its indexes and foreign keys: {table.brief()}, "
               f"{times(figure.median, table.median)})",
               ratio=times(figure.median, floor.median), target="≤ 2× the floor",
               verdict=within(figure.median, floor.median, 2),
               data={"figure_s": figure.runs, "floor_s": floor.runs,
                     "product_table_floor_s": table.runs})


@row
def zype_bulk_create(b: Bench) -> Row:
    """Zype's bulk create of 10,000 codes answers every code object (two QR drawings each)
    where Thought Industries' create answers the group: the same codes, the same table."""
    video = b.seed["videos"][1]["external_id"]

    def create() -> None:
        status, answer = b.api_json("POST", "/redemption_codes/bulk_create", {
            "api_key": b.seed["api_key"], "amount": 10_000,
            "redemption_codes": {"video_id": video}})
        if status != 201 or len(answer.get("response", ())) != 10_000:
            raise RuntimeError(f"POST /redemption_codes/bulk_create: {status} "
                               f"{str(answer)[:300]}")

    reference = ti_create_timing(b)
    create()  # warm-up: the worker's QR table for the site's URLs
    figure = median_of(b.repeats, create)
    return Row(f"Zype bulk_create of 10,000 codes over HTTP, every code object answered "
               f"(median of {b.repeats})", figure.brief(),
               f"the same group via Thought Industries' create: {reference.brief()}",
               ratio=times(figure.median, reference.median), target="≤ 2× TI's create",
               verdict=within(figure.median, reference.median, 2),
               data={"figure_s": figure.runs, "ti_create_s": reference.runs})


@row
def generate_codes_command(b: Bench) -> Row:
    floor = b.copy_floor(b.large, 1)
    video = b.seed["videos"][0]
    started = time.perf_counter()
    out = manage(b.env, "generate_codes", "--offer", video["offer"], "--count", str(b.large),
                 "--length", "16", "--label", "Bench generate_codes")
    wall = time.perf_counter() - started
    done = re.search(r"Done in ([\d.]+) s: group (\S+)", out)
    if done is None:
        raise RuntimeError(f"generate_codes said: {out[-500:]}")
    b.generated_group = done.group(2)
    table = b.table_floor(b.large, 1)
    settle(b)
    return Row(f"{b.large:,} codes via manage.py generate_codes (one process, start-up "
               f"included)", f"{format_seconds(wall)} ({done.group(1)} s inside the command)",
               f"raw COPY of {b.large:,} code rows: {floor.brief()} (into Entitle's own code "
               f"table: {table.brief()}, {times(wall, table.median)})",
               ratio=times(wall, floor.median), target="≤ 2× the floor",
               verdict=within(wall, floor.median, 2),
               data={"rows": b.large, "wall_s": wall, "inside_s": float(done.group(1)),
                     "floor_s": floor.runs, "product_table_floor_s": table.runs})


def settle(b: Bench) -> None:
    """After a million-row write (and the floor's rolled-back million): vacuum and checkpoint
    now, untimed, so autovacuum and the checkpointer do not land in the rows that follow."""
    with psycopg.connect(b.database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE redemptions_code")
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):  # not a superuser
            conn.execute("CHECKPOINT")


def _redemption_row(b: Bench, connections: int) -> Row:
    ceiling = b.ceiling(connections)
    load = b.redeem(connections)
    ratio = load.rps / ceiling.rps if ceiling.rps else 0
    met = ratio >= 0.7 and (connections != 32 or load.p99_ms < 100)
    wrong = load.requests - load.count(201)
    return Row(f"redemptions via POST /api/v1/redeem (API key, a learner per request), "
               f"100,000 distinct codes, {connections} connections",
               load.brief() + (f"; {wrong:,} not 201 {load.statuses}" if wrong else ""),
               f"ceiling view (lock + update + insert): {ceiling.brief()}",
               ratio=f"{ratio:.0%} of the ceiling's req/s",
               target="≥ 70% of the ceiling" + (", p99 < 100 ms" if connections == 32 else ""),
               verdict="met" if met else f"NOT met: {ratio:.0%}, p99 {load.p99_ms:.0f} ms",
               data={"figure": asdict(load), "ceiling": asdict(ceiling)})


@row
def redemptions_32(b: Bench) -> Row:
    return _redemption_row(b, 32)


@row
def redemptions_128(b: Bench) -> Row:
    return _redemption_row(b, 128)


@row
def redemption_audit(b: Bench) -> Row:
    b.ceiling(32), b.ceiling(128)
    (redemptions, counted, lowest, twice), = b.sql(
        "SELECT (SELECT count(*) FROM bench_ceiling_redemption WHERE code_id < %(n)s), "
        "(SELECT coalesce(sum(redemptions_count), 0) FROM bench_ceiling_code WHERE id < %(n)s), "
        "(SELECT min(remaining) FROM bench_ceiling_code), "
        "(SELECT count(*) FROM bench_ceiling_code WHERE id < %(n)s AND redemptions_count > 1)",
        {"n": CEILING_CODES})
    ceiling_ok = seen_fits(b.successes, redemptions, b.in_flight) and redemptions == counted \
        and lowest >= 0 and twice == 0
    b.redeem(32), b.redeem(128)
    audit = product_audit(b, "R%")
    ok = audit["ok"] and seen_fits(b.product_successes, audit["redemptions"],
                                   b.product_in_flight)
    return Row("SQL audit: successes = redemptions, no code over its limit, every redemption "
               "has its entitlement",
               f"{audit['redemptions']:,} redemptions = Σ counts {audit['counted']:,}; "
               f"{b.product_successes:,} successes seen; {audit['over']} codes over their "
               f"limit; {audit['without_grant']} redemptions without their entitlement: "
               + ("ok" if ok else "MISMATCH"),
               f"ceiling: {redemptions:,} redemptions = Σ counts {counted:,}; "
               f"{b.successes:,} successes seen; lowest remaining {lowest}; "
               f"{twice} codes used twice: " + ("ok" if ceiling_ok else "MISMATCH"),
               target="exact", verdict="met" if ok else "NOT met",
               data={"product": {**audit, "successes_seen": b.product_successes,
                                 "in_flight": b.product_in_flight},
                     "ceiling": {"successes_seen": b.successes, "in_flight": b.in_flight,
                                 "redemptions": redemptions, "counted": counted,
                                 "lowest_remaining": lowest, "used_twice": twice}})


def product_audit(b: Bench, codes_like: str) -> dict:
    """The invariants over the product's codes whose text is LIKE `codes_like`."""
    (redemptions, counted, over, without_grant), = b.sql(
        "WITH c AS (SELECT id, redemptions_count, max_redemptions FROM redemptions_code "
        "           WHERE code LIKE %(like)s), "
        "r AS (SELECT r.id FROM redemptions_redemption r JOIN c ON c.id = r.code_id "
        "      WHERE r.rolled_back_at IS NULL) "
        "SELECT (SELECT count(*) FROM r), (SELECT coalesce(sum(redemptions_count), 0) FROM c), "
        "(SELECT count(*) FROM c WHERE redemptions_count > max_redemptions), "
        "(SELECT count(*) FROM r WHERE NOT EXISTS (SELECT 1 FROM catalog_entitlement e "
        "  WHERE e.source = 'redemption' AND e.source_ref = r.id::text "
        "  AND e.item_id = %(item)s::uuid))",
        {"like": codes_like, "item": b.seed["redeem_course"]})
    return {"redemptions": redemptions, "counted": counted, "over": over,
            "without_grant": without_grant,
            "ok": redemptions == counted and over == 0 and without_grant == 0}


def seen_fits(seen: int, recorded: int, in_flight: int) -> bool:
    """wrk stops mid-flight: a success it did not see may still be recorded, never the reverse."""
    return seen <= recorded <= seen + in_flight


def _used_up(b: Bench, path: str, script: str, env: dict, remaining_sql: str, params: tuple,
             first_offset: int) -> tuple[Load, int, int]:
    """wrk on one code until it is used up (a few bounded rounds): (first load, 201s, rounds)."""
    load = b.wrk(path, script, 32, env={**env, "BENCH_OFFSET": str(first_offset)},
                 seconds=HOT_SECONDS)
    seen, rounds = load.count(201), 1
    while b.sql(remaining_sql, params)[0][0] and rounds < 6:  # a slow machine: keep going
        more = b.wrk(path, script, 32, seconds=HOT_SECONDS, env={
            **env, "BENCH_OFFSET": str(first_offset + 10_000 * rounds)})
        seen, rounds = seen + more.count(201), rounds + 1
    return load, seen, rounds


@row
def one_hot_code(b: Bench) -> Row:
    load, seen, rounds = _used_up(
        b, "/bench/ceiling/redeem", "redeem.lua", {**CEILING_ENV, "BENCH_HOT_CODE": HOT_CODE},
        "SELECT remaining FROM bench_ceiling_code WHERE id = %s", (HOT_ID,), 100_000)
    (used, remaining), = b.sql("SELECT (SELECT count(*) FROM bench_ceiling_redemption "
                               "WHERE code_id = %s), (SELECT remaining FROM bench_ceiling_code "
                               "WHERE id = %s)", (HOT_ID, HOT_ID))
    exact = used == HOT_USES and remaining == 0 and seen_fits(seen, used, 32 * rounds)
    hot = b.seed["hot_code"]
    mine, mine_seen, mine_rounds = _used_up(
        b, "/api/v1/redeem", "redeem.lua",
        {"BENCH_HOT_CODE": hot, "BENCH_AUTH": f"Bearer {b.seed['api_key']}"},
        "SELECT max_redemptions - redemptions_count FROM redemptions_code WHERE code = %s",
        (hot,), 100_000)
    audit = product_audit(b, hot)
    mine_exact = (audit["ok"] and audit["redemptions"] == b.seed["hot_uses"]
                  and seen_fits(mine_seen, audit["redemptions"], 32 * mine_rounds))
    ratio = mine.rps / load.rps if load.rps else 0
    return Row(f"one code allowing {HOT_USES:,}, every connection on it (32 conn., "
               f"{HOT_SECONDS:g} s rounds until used up)",
               f"{mine.brief()}; {audit['redemptions']:,} redemptions, "
               f"{mine_seen:,} successes seen, {audit['without_grant']} without their "
               f"entitlement: " + ("exact" if mine_exact else "NOT EXACT"),
               f"ceiling: {load.brief()}; {used:,} redemptions, remaining "
               f"{remaining}, {seen:,} successes seen: " + ("exact" if exact else "NOT EXACT"),
               ratio=f"{ratio:.0%} of the ceiling's req/s",
               target=f"≥ 60% of the ceiling, exactly {HOT_USES:,} succeed",
               verdict="met" if mine_exact and ratio >= 0.6 else
               f"NOT met: {ratio:.0%}" + ("" if mine_exact else ", NOT EXACT"),
               data={"figure": asdict(mine), "product_audit": audit,
                     "successes_seen": mine_seen, "rounds": mine_rounds,
                     "ceiling": asdict(load), "ceiling_redemptions": used,
                     "ceiling_remaining": remaining, "ceiling_successes_seen": seen,
                     "ceiling_rounds": rounds})


@row
def zype_list_filtered(b: Bench) -> Row:
    floor = b.hello_floor()
    if b.generated_group is None:
        raise RuntimeError("needs the generate_codes row's codes")
    spread_s = b.memo("spread", lambda: spread_codes(b))
    blocks = max(b.large // 10_000, 1)  # as spread_codes made them: the last block's video
    video = b.seed["videos"][(blocks - 1) % len(b.seed["videos"])]
    mid_year = (LIST_START + LIST_YEAR * (blocks // 2) / blocks).isoformat()
    query = urllib.parse.urlencode({"api_key": b.seed["api_key"], "video_id":
                                    video["external_id"], "created_at.gte": mid_year})
    status, body = b.api_json("GET", "/redemption_codes?" + query)
    if status != 200 or len(body["response"]) != 10:
        raise RuntimeError(f"the Zype list should answer a page of 10: {status} {body}")
    load = b.wrk("/redemption_codes", "zype_list.lua", b.get_connections,
                 env={"BENCH_QUERY": query})
    wrong = load.requests - load.count(200)
    return Row(f"Zype list, created_at.gte + video_id over {b.large:,} codes, page 1 "
               f"({body['pagination']['pages']:,} pages match)",
               f"{latency(load)}, {load.rps:,.0f} req/s" + (f"; {wrong:,} not 200" if wrong
                                                             else ""),
               f"no-database Django view: {latency(floor)}",
               ratio=times(load.p50_ms, floor.p50_ms) + " (p50)", target="p50 < 30 ms",
               verdict="met" if load.p50_ms < 30 and not wrong
               else f"NOT met: p50 {load.p50_ms:.1f} ms",
               data={"figure": asdict(load), "floor": asdict(floor), "spread_s": spread_s})


LIST_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
LIST_YEAR = dt.timedelta(days=365)


def spread_codes(b: Bench) -> float:
    """Make the generated codes look like a year of Zype bulk creates: blocks of 10,000, each
    for one of the 10 videos in turn (its offer and target item), made ~3.65 days apart; then
    VACUUM ANALYZE, as autovacuum would. Returns the seconds it took (not a figure)."""
    started = time.perf_counter()
    videos = b.seed["videos"]
    with psycopg.connect(b.database_url, autocommit=True) as conn:
        conn.execute(
            "WITH c AS (SELECT id, (row_number() OVER (ORDER BY id) - 1) / 10000 AS block "
            "           FROM redemptions_code WHERE group_id = %(group)s) "
            "UPDATE redemptions_code code SET "
            "  offer_id = (%(offers)s::uuid[])[c.block %% 10 + 1], "
            "  target_item_id = (%(items)s::uuid[])[c.block %% 10 + 1], "
            "  created_at = %(start)s + c.block * %(step)s "
            "FROM c WHERE code.id = c.id",
            {"group": b.generated_group, "offers": [v["offer"] for v in videos],
             "items": [v["id"] for v in videos], "start": LIST_START,
             "step": LIST_YEAR / max(b.large // 10_000, 1)})
        conn.execute("VACUUM ANALYZE redemptions_code")
    return time.perf_counter() - started


@row
def access_check(b: Bench) -> Row:
    floor = b.hello_floor()
    items = b.seed["items"] + b.seed["seat_items"]
    for item in (b.seed["items"][0], b.seed["seat_items"][0]):
        status, body = b.api_json("GET", f"/api/v1/access?user={b.seed['learner']}"
                                         f"&item={item}")
        if status != 200 or not body["has_access"]:
            raise RuntimeError(f"the seeded learner should have access: {status} {body}")
    env = {"BENCH_AUTH": f"Bearer {b.seed['api_key']}", "BENCH_LEARNER": b.seed["learner"],
           "BENCH_ITEMS": ",".join(items)}
    load = b.wrk("/api/v1/access", "access.lua", b.get_connections, env=env)
    wrong = load.requests - load.count(200)
    return Row(f"GET /api/v1/access, learner with {len(b.seed['items'])} entitlements and "
               f"{len(b.seed['seat_items']) // 5} seats (asked about either)",
               f"{latency(load)}, {load.rps:,.0f} req/s"
               + (f"; {wrong:,} not 200" if wrong else ""),
               f"no-database Django view: {latency(floor)}",
               ratio=f"{times(load.p50_ms, floor.p50_ms)} (p50); p99 "
                     f"{times(load.p99_ms, load.p50_ms)} its p50",
               target="p50 ≤ 6× the no-database view's, p99 ≤ 3× its p50",
               verdict="met" if load.p50_ms <= 6 * floor.p50_ms
               and load.p99_ms <= 3 * load.p50_ms and not wrong
               else f"NOT met: p50 {times(load.p50_ms, floor.p50_ms)}, p99 "
                    f"{times(load.p99_ms, load.p50_ms)} its p50",
               data={"figure": asdict(load), "floor": asdict(floor)})


@row
def redemptions_with_webhooks(b: Bench) -> Row:
    """The same redemptions with no webhook endpoint and with 2 subscribed to every kind (a
    real worker draining the outbox to a receiver on loopback while wrk runs), in four runs
    that alternate — without, with, without, with — so that a drift of the machine's speed
    during the row (neighbours, caches, the database growing) falls on both sides alike; each
    side's rate is its two runs' requests over their time. The redemption writes its events
    (marked for fan-out) in its transaction; the worker, at WORKER_NICE (19 unless the
    environment says otherwise: below the server's priority on these shared cores), makes the
    deliveries and sends them, out of the request. The worker runs throughout (as in any
    deployment); without webhooks the endpoints are switched off and it has nothing to do.
    Beside the rates: the CPU the server, PostgreSQL, the worker and the receiver (a process
    of its own, `bench.receiver`) used per request, the time from each event to its delivery,
    and how long after each run with webhooks its last delivery was made."""
    def postgres_cpu() -> dict[int, float]:
        """CPU seconds of each PostgreSQL backend serving the bench database now (none when
        the server is not on this machine)."""
        return {pid: cpu_seconds(pid) for (pid,) in b.sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()") if Path(f"/proc/{pid}").exists()}

    def since(before: dict[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in postgres_cpu().items())

    def run(offset: str, connections: int = 32, seconds: float = WEBHOOK_SECONDS
            ) -> tuple[Load, float]:
        before = cpu_seconds(b.server.process.pid)
        load = b.wrk("/api/v1/redeem", "redeem.lua", connections, seconds=seconds, env={
            "BENCH_OFFSET": str(OFFSETS[offset]), "BENCH_AUTH": f"Bearer {b.seed['api_key']}"})
        return load, cpu_seconds(b.server.process.pid) - before

    def wait_until_delivered(seconds: float) -> float:
        """Seconds until no event awaits its fan-out and no delivery is pending (polled
        every 0.1 s)."""
        started = time.monotonic()
        while time.monotonic() - started < seconds and b.sql(
                "SELECT (SELECT count(*) FROM events_event WHERE awaiting_fan_out) "
                "+ (SELECT count(*) FROM events_delivery WHERE status = 'pending')")[0][0]:
            time.sleep(0.1)
        return time.monotonic() - started

    def switch(endpoints: list, active: bool) -> None:
        for endpoint in endpoints:
            status, answer = b.api_json("PATCH", f"/api/v1/webhook-endpoints/{endpoint}",
                                        {"is_active": active})
            if status != 200:
                raise RuntimeError(f"PATCH /api/v1/webhook-endpoints: {status} {answer}")

    # per side: the runs' loads, and the CPU of the server, PostgreSQL, the worker, the receiver
    sides = {side: {"loads": [], "server": 0.0, "postgres": 0.0, "worker": 0.0,
                    "receiver": 0.0} for side in (False, True)}
    sent = delivered_in_runs = 0
    lags: list[float] = []
    receiver = CountingReceiver().start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-worker-"))
    worker = CeleryWorker(b.env, workdir).start()
    endpoints = []
    try:
        for _ in range(2):
            status, made = b.api_json("POST", "/api/v1/webhook-endpoints",
                                      {"url": receiver.url, "kinds": []})
            if status != 201:
                raise RuntimeError(f"POST /api/v1/webhook-endpoints: {status} {made}")
            endpoints.append(made["id"])
        run("webhooks warm-up", connections=8, seconds=2)  # the path's first calls: untimed
        wait_until_delivered(30)
        for offset, hooked in (("no webhooks", False), ("2 webhooks", True),
                               ("no webhooks again", False), ("2 webhooks again", True)):
            switch(endpoints, hooked)
            side = sides[hooked]
            worker_before, receiver_before = (cpu_seconds(worker.process.pid),
                                              cpu_seconds(receiver.process.pid))
            received_before, pg_before = receiver.posts(), postgres_cpu()
            load, server_cpu = run(offset)
            if hooked:  # until the run's last delivery: its cost is the run's
                sent += receiver.posts() - received_before
                lags.append(wait_until_delivered(60))
                delivered_in_runs += receiver.posts() - received_before
            side["loads"].append(load)
            side["server"] += server_cpu
            side["postgres"] += since(pg_before)
            side["worker"] += cpu_seconds(worker.process.pid) - worker_before
            side["receiver"] += cpu_seconds(receiver.process.pid) - receiver_before
    finally:
        switch(endpoints, False)  # the rows after this one run without webhooks
        worker.stop()
        receiver.stop()
    made, delivered, p50, p99 = b.sql(
        "SELECT count(*), count(d.delivered_at), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "
        "d.delivered_at - e.occurred_at)), percentile_cont(0.99) WITHIN GROUP (ORDER BY "
        "extract(epoch FROM d.delivered_at - e.occurred_at)) "
        "FROM events_delivery d JOIN events_event e ON e.id = d.event_id")[0]

    def rate(side: dict) -> float:
        return sum(load.requests for load in side["loads"]) / sum(
            load.seconds for load in side["loads"])

    def requests(side: dict) -> int:
        return sum(load.requests for load in side["loads"])

    def per_k(cpu: float, count: int) -> float:
        return 1000 * cpu / count if count else 0

    def runs(side: dict) -> str:
        return " and ".join(f"{load.rps:.0f}" for load in side["loads"])

    none, hooked = sides[False], sides[True]
    ratio = rate(hooked) / rate(none) if rate(none) else 0
    wrong = sum(load.requests - load.count(201) for side in sides.values()
                for load in side["loads"])
    # What a redemption costs the machine in all (the load-independent side of the ratio: on
    # two shared cores CPU is throughput): the server and PostgreSQL, and the worker and the
    # receiver, until each run's last delivery.
    cpu = {flag: per_k(side["server"] + side["postgres"] + side["worker"] + side["receiver"],
                       requests(side)) for flag, side in sides.items()}
    p99s = [load.p99_ms for load in hooked["loads"]]
    nice = b.env.get("WORKER_NICE", "19")
    return Row("redemptions via POST /api/v1/redeem with 2 webhook endpoints subscribed "
               f"(a Celery worker at niceness {nice} delivering meanwhile), 32 connections, "
               "runs alternating without and with",
               f"{rate(hooked):.0f} req/s (runs: {runs(hooked)}), p99 "
               f"{max(p99s):.1f} ms; server CPU {per_k(hooked['server'], requests(hooked)):.2f}"
               f" s per 1,000 requests; {sent:,} deliveries received during the runs, "
               f"{delivered:,} of {made:,} in the end, the last {max(lags):.1f} s after a run "
               f"stopped; event to delivery p50 {p50 or 0:.2f} s, p99 {p99 or 0:.2f} s; "
               f"worker CPU {per_k(hooked['worker'], delivered_in_runs):.2f} s per 1,000 "
               f"deliveries (the receiver's: "
               f"{per_k(hooked['receiver'], delivered_in_runs):.2f} s); all CPU (server, "
               f"PostgreSQL, worker, receiver) {cpu[True]:.2f} s per 1,000 requests"
               + (f"; {wrong:,} not 201" if wrong else ""),
               f"the same with no webhook endpoint: {rate(none):.0f} req/s (runs: "
               f"{runs(none)}), p99 {max(load.p99_ms for load in none['loads']):.1f} ms; "
               f"server CPU {per_k(none['server'], requests(none)):.2f} s per 1,000 requests;"
               f" all CPU {cpu[False]:.2f} s",
               ratio=f"{ratio:.0%} of the req/s without webhooks; all CPU per request "
                     f"{cpu[True] / cpu[False] if cpu[False] else 0:.0%} of theirs",
               target="within 10%",
               verdict="met" if ratio >= 0.9 and not wrong else f"NOT met: {ratio:.0%}",
               data={"runs": [asdict(load) for load in hooked["loads"]],
                     "runs_without": [asdict(load) for load in none["loads"]],
                     "deliveries_received": sent, "deliveries_made": made,
                     "deliveries_delivered": delivered, "event_to_delivery_p50_s": p50,
                     "event_to_delivery_p99_s": p99, "delivered_after_runs_s": lags,
                     "cpu": {("with" if flag else "without"): {
                         k: v for k, v in side.items() if k != "loads"}
                         for flag, side in sides.items()},
                     "deliveries_after_load_start": delivered_in_runs})


def process_tree(pid: int) -> list[Path]:
    """/proc directories of a process and its descendants (those still running)."""
    found, pids = [], [pid]
    while pids:
        current = Path(f"/proc/{pids.pop()}")
        try:
            for task in (current / "task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.append(current)
    return found


@row
def redemptions_one_vs_two_servers(b: Bench) -> Row:
    """Scale-out: POST /api/v1/redeem at 32 connections through the one server, then 16 on
    each of two servers (the second started now, the same settings and worker count) against
    the same database, at once; the SQL audit over the codes both runs used."""
    def redeem(server: Gunicorn, connections: int, offset: str) -> Load:
        return run_wrk(server.url("/api/v1/redeem"), "redeem.lua", connections=connections,
                       seconds=b.seconds, env={"BENCH_OFFSET": str(OFFSETS[offset]),
                                               "BENCH_AUTH": f"Bearer {b.seed['api_key']}"})

    one = redeem(b.server, 32, "one server")
    with Gunicorn(b.env, workers=b.server.workers) as second:
        run_wrk(second.url("/bench/hello"), "hello.lua", connections=8, seconds=2)  # warm
        with ThreadPoolExecutor(2) as pool:
            both = list(pool.map(lambda pair: redeem(*pair),
                                 [(b.server, 16, "server 1 of 2"), (second, 16, "server 2 of 2")]))
    loads = [one, *both]
    seen = sum(load.count(201) for load in loads)
    audits = [product_audit(b, f"R{OFFSETS[name] // 10_000:011d}%")
              for name in ("one server", "server 1 of 2", "server 2 of 2")]
    recorded = sum(a["redemptions"] for a in audits)
    exact = all(a["ok"] for a in audits) and seen_fits(seen, recorded, 32 * 2)
    rps = sum(load.rps for load in both)
    wrong = sum(load.requests - load.count(201) for load in loads)
    return Row(f"redemptions via POST /api/v1/redeem, 32 connections: two app servers "
               f"({b.server.workers} sync workers each, 16 connections each) on one database",
               f"{rps:,.0f} req/s (p99 {max(load.p99_ms for load in both):.0f} ms); audit: "
               f"{recorded:,} redemptions, {seen:,} successes seen, "
               f"{sum(a['over'] for a in audits)} codes over their limit, "
               f"{sum(a['without_grant'] for a in audits)} without their entitlement: "
               + ("exact" if exact else "NOT EXACT")
               + (f"; {wrong:,} not 201 {[x.statuses for x in loads]}" if wrong else ""),
               f"one server: {one.brief()}",
               ratio=times(rps, one.rps) + " req/s",
               target="audit exact; the ratio is what this machine's cores allow",
               verdict="met" if exact and not wrong else "NOT met",
               data={"one_server": asdict(one), "two_servers": [asdict(x) for x in both],
                     "audits": audits, "successes_seen": seen})


def worker_rss_mb(pid: int) -> float:
    """Resident memory of a worker process and its children (MB), from /proc."""
    total = 0
    for proc in process_tree(pid):
        with contextlib.suppress(FileNotFoundError, AttributeError, ProcessLookupError):
            total += int(re.search(r"VmRSS:\s+(\d+) kB", (proc / "status").read_text()).group(1))
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its running descendants have used so far."""
    ticks = 0
    for proc in process_tree(pid):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = (proc / "stat").read_text().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def follow_job(b: Bench, job_id: str, worker: CeleryWorker | None = None) -> tuple[dict, float]:
    """Poll a job until it finishes: (the job, the worker's peak RSS in MB meanwhile)."""
    peak = 0.0
    while True:
        if worker is not None:
            peak = max(peak, worker_rss_mb(worker.process.pid))
        status, job = b.api_json("GET", f"/api/v1/jobs/{job_id}")
        if status != 200:
            raise RuntimeError(f"GET /api/v1/jobs/{job_id}: {status} {job}")
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job, peak
        time.sleep(0.2)


@contextlib.contextmanager
def job_worker(b: Bench):
    """One Celery worker (one job at a time) on the server's broker, for the job rows."""
    worker = CeleryWorker(b.env, Path(tempfile.mkdtemp(prefix="bench-jobs-")),
                          concurrency=1).start()
    try:
        yield worker
    finally:
        worker.stop()


def timed_job(b: Bench, what: str, start: Callable[[], tuple[int, object]]
              ) -> tuple[float, float]:
    """Start a job (`start()` → its 202) with one worker running: (seconds until the job
    succeeded, the worker's peak RSS in MB meanwhile)."""
    with job_worker(b) as worker:
        started = time.perf_counter()
        status, job = start()
        if status != 202:
            raise RuntimeError(f"{what}: {status} {job}")
        job, peak = follow_job(b, job["id"], worker)
        wall = time.perf_counter() - started
    if job["status"] != "succeeded":
        raise RuntimeError(f"{what}: the job {job['status']}: {job['error']}")
    return wall, peak


@row
def generation_job(b: Bench) -> Row:
    """POST /api/v1/code-groups with a count far above 10,000: a job on one Celery worker
    writing committed chunks by COPY, timed from the request to the job's success, its RSS
    sampled throughout; beside one COPY of as many rows into the same table, same indexes."""
    video = b.seed["videos"][0]
    wall, peak = timed_job(b, "POST /api/v1/code-groups", lambda: b.api_json(
        "POST", "/api/v1/code-groups", {"label": "Bench generation job",
                                        "offer": video["offer"], "count": b.job_codes,
                                        "code_length": 16}))
    floor = product_table_floor_streamed(b.database_url, rows=b.job_codes)
    return Row(f"{b.job_codes:,} codes as a job (POST /api/v1/code-groups → 202, one Celery "
               f"worker, until the job succeeded)",
               f"{format_seconds(wall)}; worker RSS peak {peak:.0f} MB",
               f"COPY of {b.job_codes:,} code rows into Entitle's code table (same indexes "
               f"and keys), one transaction: {format_seconds(floor)}",
               ratio=times(wall, floor), target="≤ 1.5× the floor; RSS < 300 MB",
               verdict="met" if wall <= 1.5 * floor and peak < 300 else
               f"NOT met: {times(wall, floor)}, {peak:.0f} MB",
               data={"rows": b.job_codes, "wall_s": wall, "floor_s": floor,
                     "worker_rss_peak_mb": peak})


@row
def import_job(b: Bench) -> Row:
    """POST /api/v1/code-groups/import of a CSV of existing codes (checked whole, then
    inserted by COPY in chunks) on one worker, beside a COPY of as many rows."""
    codes = random_codes(b.import_codes, 14)
    csv_body = ("code,max_uses,expires\n" + "".join(f"{c},1,\n" for c in codes)).encode()
    boundary = "bench-import-boundary"
    fields = {"label": "Bench import", "offer": b.seed["videos"][0]["offer"]}
    body = b"".join(
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        .encode() for k, v in fields.items()) + (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"codes.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() + \
        csv_body + f"\r\n--{boundary}--\r\n".encode()
    def upload() -> tuple[int, object]:
        request = urllib.request.Request(
            b.server.url("/api/v1/code-groups/import"), method="POST", data=body,
            headers={"Authorization": f"Bearer {b.seed['api_key']}",
                     "Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read()[:300]

    wall, peak = timed_job(b, "POST /api/v1/code-groups/import", upload)
    floor = product_table_floor_streamed(b.database_url, rows=b.import_codes)
    return Row(f"importing {b.import_codes:,} codes from CSV (POST /api/v1/code-groups/import "
               f"→ 202, one worker, until the job succeeded)",
               f"{format_seconds(wall)}; worker RSS peak {peak:.0f} MB",
               f"COPY of {b.import_codes:,} code rows into Entitle's code table: "
               f"{format_seconds(floor)}",
               ratio=times(wall, floor), target="≤ 2× the floor",
               verdict=within(wall, floor, 2),
               data={"rows": b.import_codes, "wall_s": wall, "floor_s": floor,
                     "worker_rss_peak_mb": peak})


@row
def ten_million_codes(b: Bench) -> Row:
    """The "10,000,000 codes" section (bench/scale.py): every list, search and page at the
    generation job's size, and a complete CSV of its group through the export job."""
    from bench import scale

    results, export = scale.measure(b, codes=b.job_codes, learners=b.scale_learners,
                                    redemptions=b.scale_redemptions)
    detail = scale.table(results, export)
    print(detail, flush=True)
    pages = [m for m in results if m.target_s == scale.PAGE_TARGET_S]
    searches = [m for m in results if m.target_s == scale.SEARCH_TARGET_S]
    worst, search = max(pages, key=lambda m: m.p50_s), max(searches, key=lambda m: m.p50_s)
    complete = export["export_rows"] == export["export_lines"] == export["codes_in_database"]
    missed = [m.what for m in results if not m.met] + ([] if complete else ["export"])
    return Row(f"{export['codes']:,} codes, {b.scale_learners:,} learners: {len(results)} "
               f"admin pages and API lists (p50 each), a complete CSV by the export job",
               f"slowest page {worst.what}: {format_seconds(worst.p50_s)}; slowest code "
               f"search {format_seconds(search.p50_s)}; CSV {format_seconds(export['export_s'])}"
               f" ({export['export_rows']:,} rows)", "—",
               target="pages ≤ 300 ms, code search ≤ 50 ms, CSV complete",
               verdict="met" if not missed else "NOT met: " + ", ".join(missed),
               data={"pages": [m.__dict__ for m in results], **export, "table": detail})


def within(figure: float, floor: float, factor: float) -> str:
    return "met" if figure <= factor * floor else f"NOT met: {figure / floor:.1f}×"


# --- the run --------------------------------------------------------------------------------

def prepare_ceiling(database_url: str) -> None:
    """The ceiling's tables (raw SQL, see bench/models.py) and its codes, by COPY."""
    lines = "".join(f"{i}\tC{i:015d}\t1\n" for i in range(CEILING_CODES))
    lines += f"{HOT_ID}\t{HOT_CODE}\t{HOT_USES}\n"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(CEILING_DDL)
        with conn.transaction():
            copy_text(conn, "bench_ceiling_code", ("id", "code", "remaining"), lines.encode())
        conn.execute("ANALYZE bench_ceiling_code")


def warm_up(b: Bench) -> None:
    """Two seconds on each path, so no row pays for a cold worker (the codes are spare)."""
    b.wrk("/bench/hello", "hello.lua", b.get_connections, seconds=2)
    load = b.wrk("/bench/ceiling/redeem", "redeem.lua", 8, seconds=2,
                 env={**CEILING_ENV, "BENCH_OFFSET": str(OFFSETS["warm-up"])})
    b.successes += load.count(201)
    b.in_flight += 8
    load = b.wrk("/api/v1/redeem", "redeem.lua", 8, seconds=2, env={
        "BENCH_OFFSET": str(OFFSETS["warm-up"]), "BENCH_AUTH": f"Bearer {b.seed['api_key']}"})
    b.product_successes += load.count(201)
    b.product_in_flight += 8


def machine() -> dict:
    def out(*argv: str) -> str:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)
        return done.stdout.strip()

    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "commit": out("git", "rev-parse", "--short",
                                                               "HEAD")}


def render(rows: list[Row], meta: dict) -> str:
    load = meta["machine"]["load_average"][0]
    lines = [f"Entitle benchmarks, {meta['date']} ({meta['seconds']:.0f} s run; "
             f"{meta['machine']['cpus']} CPUs, load average {load} at start and "
             f"{meta['load_average_end']} at the end, {meta.get('postgres', 'PostgreSQL')}, "
             f"commit {meta['machine']['commit']})", "",
             "| # | measure | Entitle | floor or ceiling, same run | ratio | target |",
             "|---|---|---|---|---|---|"]
    for number, r in enumerate(rows, 1):
        target = r.target + (f" — {r.verdict}" if r.verdict else "")
        lines.append(f"| {number} | {r.measure} | {r.figure} | {r.reference} | {r.ratio} | "
                     f"{target} |")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Entitle's benchmarks (see bench/run.py).")
    parser.add_argument("--seconds", type=float, default=10, help="each wrk run (default 10)")
    parser.add_argument("--large", type=int, default=1_000_000, help="the large code count")
    parser.add_argument("--repeats", type=int, default=5, help="runs behind each median")
    parser.add_argument("--get-connections", type=int, default=2,
                        help="connections for the latency rows (default 2: p50 is then the "
                             "time one request takes, not a queue behind others)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 3 s loads, 100,000 large, 3 repeats; not saved")
    parser.add_argument("--keep", action="store_true", help="keep entitle_bench afterwards")
    parser.add_argument("--job-codes", type=int, default=10_000_000,
                        help="codes the generation job row makes (default 10,000,000)")
    parser.add_argument("--import-codes", type=int, default=1_000_000,
                        help="codes the import row imports (default 1,000,000)")
    parser.add_argument("--scale-learners", type=int, default=1_000_000,
                        help="learners beside the job's codes in ten_million_codes")
    parser.add_argument("--scale-redemptions", type=int, default=100_000,
                        help="redemptions of the job's codes in ten_million_codes")
    parser.add_argument("--only", action="append", default=[],
                        help="run only this row (its function name); repeat for several")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.large, args.repeats = 3, 100_000, 3
        args.job_codes, args.import_codes = 200_000, 100_000
        args.scale_learners, args.scale_redemptions = 50_000, 10_000
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"The benchmarks need PostgreSQL; DATABASE_URL is {url!r}.")
    ensure_wrk()
    meta = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}
    print("bench: preparing entitle_bench (migrate, seed, ceiling tables)…", flush=True)
    db = scratch_database(url, os.environ.get("BENCH_DATABASE", "entitle_bench"))
    results: list[Row] = []
    try:
        redis.Redis.from_url(BENCH_REDIS_URL).flushdb()
        env = server_env(db.url, settings="bench.settings", LOG_LEVEL="ERROR",
                         CELERY_BROKER_URL=BENCH_REDIS_URL, WEBHOOKS_ALLOW_PRIVATE="1")
        manage(env, "migrate", "--noinput", "-v0")
        seed = run_json(env, "bench.seed")
        prepare_ceiling(db.url)
        with psycopg.connect(db.url) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        meta["postgres"] = f"PostgreSQL {version.split()[0]}"
        with Gunicorn(env, workers=4) as server:
            bench = Bench(database_url=db.url, env=env, server=server, seed=seed,
                          seconds=args.seconds,
                          large=args.large, repeats=args.repeats,
                          get_connections=args.get_connections,
                          job_codes=args.job_codes, import_codes=args.import_codes)
            bench.scale_learners = args.scale_learners
            bench.scale_redemptions = args.scale_redemptions
            warm_up(bench)
            for function in [f for f in ROWS if not args.only or f.__name__ in args.only]:
                if time.monotonic() - started > BUDGET_S:
                    results.append(Row(function.__name__, "skipped: time budget spent", ""))
                    continue
                print(f"bench: {function.__name__}…", flush=True)
                try:
                    results.append(function(bench))
                except Exception as exc:  # one broken row must not cost the others
                    results.append(Row(function.__name__, f"FAILED: {exc}"[:300], ""))
            log = server.log_path.read_text(errors="replace")
            server_errors = log[log.find("Internal Server Error"):][:3000] \
                if "Internal Server Error" in log else ""
    finally:
        if not args.keep:
            db.drop()
    meta["seconds"] = time.monotonic() - started
    meta["load_average_end"] = round(os.getloadavg()[0], 2)
    table = render(results, meta)
    print("\n" + table)
    if server_errors:
        print("The server logged errors:\n" + server_errors, file=sys.stderr)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        stem = RESULTS / dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
        stem.with_suffix(".md").write_text(table)
        stem.with_suffix(".json").write_text(json.dumps(
            {**meta, "rows": [asdict(r) for r in results]}, indent=2, default=str) + "\n")
        print(f"written to {stem.relative_to(ROOT)}.md and .json")
    return 1 if any(r.figure.startswith("FAILED") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
