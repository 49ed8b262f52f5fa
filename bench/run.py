"""`make bench`: Entitle's figures beside their floors and ceilings, all measured in one run.

    .venv/bin/python -m bench.run            # about 3 minutes; --quick for a smoke run

Loopback only. Makes the `entitle_bench` database afresh (dropped and recreated on the
PostgreSQL server DATABASE_URL names; default the local one), migrates and seeds it, serves
it with gunicorn (4 sync workers, bench.settings: Entitle's URLs plus the bench-only floor and
ceiling views), installs wrk from Debian when it is missing, then measures every row and
prints one table, also written to bench/results/<date>.md and <date>.json.

Each row is one function below, registered with `@row`, returning a `Row`: the product's
figure, the floor or ceiling measured in this run beside it, their ratio and the target. A
row whose endpoint has not landed yet still measures its reference and says which issue
brings the figure (`pending(...)`); filling it in is a few lines using `Bench`'s helpers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

from bench.floors import copy_floor, copy_text
from bench.stack import ROOT, Gunicorn, manage, run_json, scratch_database, server_env
from bench.timing import Timing
from bench.wrk import Load, ensure_wrk, run_wrk

DEFAULT_URL = "postgres://root@127.0.0.1:5432/entitle"
RESULTS = Path(__file__).with_name("results")
BUDGET_S = 9 * 60  # rows not started by then are reported as skipped

# The ceiling's codes: "C" + 15 digits, ids 0..CEILING_CODES-1, one use each; one hot code.
CEILING_CODES = 100_000
HOT_CODE, HOT_ID, HOT_USES = "HOT0000000000000", CEILING_CODES, 1_000
OFFSETS = {32: 0, 128: 40_000, "warm-up": 80_000}
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


def pending(measure: str, issue: int, *, reference: str, target: str, data: dict) -> Row:
    return Row(measure, f"pending: lands with issue {issue}", reference, target=target,
               data=data)


class Bench:
    """What rows share: the server, the seed, memoised measurements, SQL, wrk."""

    def __init__(self, *, database_url: str, env: dict, server: Gunicorn, seed: dict,
                 seconds: float, large: int, repeats: int, get_connections: int):
        self.database_url = database_url
        self.env = env  # the server's environment: manage(b.env, "generate_codes", …)
        self.server = server
        self.seed = seed
        self.seconds = seconds
        self.large = large
        self.repeats = repeats
        self.get_connections = get_connections
        self.successes = 0  # 201s the ceiling answered, for its audit…
        self.in_flight = 0  # …and how many requests a stopping wrk may have left unanswered
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
            load = self.wrk("/bench/ceiling/redeem", "ceiling_redeem.lua", connections,
                            env={"BENCH_OFFSET": str(OFFSETS[connections])})
            self.successes += load.count(201)
            self.in_flight += connections
            return load
        return self.memo(f"ceiling {connections}", measure)


def times(figure: float, reference: float) -> str:
    return f"{figure / reference:.1f}×" if reference else "—"


def latency(load: Load) -> str:
    return f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms ({load.connections} conn.)"


# --- the rows, in the issue's order -----------------------------------------------------------

@row
def code_group_over_http(b: Bench) -> Row:
    floor = b.copy_floor(10_000, b.repeats)
    return pending("10,000-code group via POST /incoming/v2/redemptionCodes "
                   f"(median of {b.repeats})", 3,
                   reference=f"raw COPY of 10,000 code rows: {floor.brief()}",
                   target="≤ 2× the floor", data={"floor_s": floor.runs})


@row
def generate_codes_command(b: Bench) -> Row:
    floor = b.copy_floor(b.large, 1)
    return pending(f"{b.large:,} codes via manage.py generate_codes", 3,
                   reference=f"raw COPY of {b.large:,} code rows: {floor.brief()}",
                   target="≤ 2× the floor", data={"rows": b.large, "floor_s": floor.runs})


def _redemption_row(b: Bench, connections: int) -> Row:
    ceiling = b.ceiling(connections)
    return pending(f"redemptions over HTTP, 100,000 distinct codes, {connections} connections",
                   3, reference=f"ceiling view (lock + update + insert): {ceiling.brief()}",
                   target="≥ 70% of the ceiling" + (", p99 < 100 ms" if connections == 32 else ""),
                   data={"ceiling": asdict(ceiling)})


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
    ok = seen_fits(b.successes, redemptions, b.in_flight) and redemptions == counted \
        and lowest >= 0 and twice == 0
    return pending("SQL audit: successes = redemptions, no remaining count below 0", 3,
                   reference=f"ceiling: {redemptions:,} redemptions = Σ counts {counted:,}; "
                             f"{b.successes:,} successes seen; lowest remaining {lowest}; "
                             f"{twice} codes used twice: " + ("ok" if ok else "MISMATCH"),
                   target="exact", data={"successes_seen": b.successes, "in_flight": b.in_flight,
                                         "redemptions": redemptions, "counted": counted,
                                         "lowest_remaining": lowest, "used_twice": twice})


def seen_fits(seen: int, recorded: int, in_flight: int) -> bool:
    """wrk stops mid-flight: a success it did not see may still be recorded, never the reverse."""
    return seen <= recorded <= seen + in_flight


@row
def one_hot_code(b: Bench) -> Row:
    env = {"BENCH_HOT_CODE": HOT_CODE}
    load = b.wrk("/bench/ceiling/redeem", "ceiling_redeem.lua", 32, env=env)
    seen, rounds = load.count(201), 1
    while b.sql("SELECT remaining FROM bench_ceiling_code WHERE id = %s", (HOT_ID,))[0][0] \
            and rounds < 6:  # a slow machine: keep going until the code is used up
        more = b.wrk("/bench/ceiling/redeem", "ceiling_redeem.lua", 32, env={
            **env, "BENCH_OFFSET": str(100_000 * rounds)})
        seen, rounds = seen + more.count(201), rounds + 1
    (used, remaining), = b.sql("SELECT (SELECT count(*) FROM bench_ceiling_redemption "
                               "WHERE code_id = %s), (SELECT remaining FROM bench_ceiling_code "
                               "WHERE id = %s)", (HOT_ID, HOT_ID))
    exact = used == HOT_USES and remaining == 0 and seen_fits(seen, used, 32 * rounds)
    return pending(f"one code allowing {HOT_USES:,}, every connection on it (32 conn.)", 3,
                   reference=f"ceiling: {load.brief()}; {used:,} redemptions, remaining "
                             f"{remaining}, {seen:,} successes seen: "
                             + ("exact" if exact else "NOT EXACT"),
                   target=f"exactly {HOT_USES:,} succeed",
                   data={"ceiling": asdict(load), "redemptions": used, "remaining": remaining,
                         "successes_seen": seen, "rounds": rounds})


@row
def zype_list_filtered(b: Bench) -> Row:
    floor = b.hello_floor()
    return pending(f"Zype list, created_at.gte + video_id over {b.large:,} codes, page 1", 3,
                   reference=f"no-database Django view: {latency(floor)}",
                   target="p50 < 30 ms", data={"floor": asdict(floor)})


@row
def access_check(b: Bench) -> Row:
    floor = b.hello_floor()
    status, body = b.api_json("GET", f"/api/v1/access?user={b.seed['learner']}"
                                     f"&item={b.seed['items'][0]}")
    if status != 200 or not body["has_access"]:
        raise RuntimeError(f"the seeded learner should have access: {status} {body}")
    env = {"BENCH_AUTH": f"Bearer {b.seed['api_key']}", "BENCH_LEARNER": b.seed["learner"],
           "BENCH_ITEMS": ",".join(b.seed["items"])}
    load = b.wrk("/api/v1/access", "access.lua", b.get_connections, env=env)
    wrong = load.requests - load.count(200)
    return Row(f"GET /api/v1/access, learner with {len(b.seed['items'])} entitlements "
               "(10 seats land with issue 5)",
               f"{latency(load)}, {load.rps:,.0f} req/s"
               + (f"; {wrong:,} not 200" if wrong else ""),
               f"no-database Django view: {latency(floor)}",
               ratio=times(load.p50_ms, floor.p50_ms) + " (p50)",
               target="p50 < 5 ms",
               verdict="met" if load.p50_ms < 5 and not wrong
               else f"NOT met: p50 {load.p50_ms:.1f} ms",
               data={"figure": asdict(load), "floor": asdict(floor)})


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
    load = b.wrk("/bench/ceiling/redeem", "ceiling_redeem.lua", 8, seconds=2,
                 env={"BENCH_OFFSET": str(OFFSETS["warm-up"])})
    b.successes += load.count(201)
    b.in_flight += 8


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
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.large, args.repeats = 3, 100_000, 3
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
    db = scratch_database(url, "entitle_bench")
    results: list[Row] = []
    try:
        env = server_env(db.url, settings="bench.settings", LOG_LEVEL="ERROR")
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
                          get_connections=args.get_connections)
            warm_up(bench)
            for function in ROWS:
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
