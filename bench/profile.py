"""CPU per request, in one process: where a redemption's and an access check's time goes.

    .venv/bin/python -m bench.profile                 # seed a scratch database, then measure
    .venv/bin/python -m bench.profile --keep          # keep it; --reuse next time skips the seed
    .venv/bin/python -m bench.profile --cprofile redeem   # and the top functions of one path
    .venv/bin/python -m bench.profile --reuse --webhooks 2 --only redeem   # with 2 endpoints
    .venv/bin/python -m bench.profile --reuse --instructions --only redeem  # under callgrind

On a shared machine wrk's figures move with the neighbours; CPU time per request in one
process does not much, and on two cores CPU per request is throughput. Each path runs
through Django's test client (every middleware, DEBUG off, `bench.settings`) against a
seeded PostgreSQL database (`bench/seed.py`), beside the bench-only ceiling and no-database
views measured in the same process. Prints CPU ms, wall ms and queries per request.

`--instructions` runs the same under valgrind's callgrind and prints the instructions this
process executes per request instead (PostgreSQL's are not counted): the same count on every
run of the same code, whatever the neighbours do, where CPU time on a shared machine moves by
a third from one run to the next. It compares two versions of the Python side; it is about
fifty times slower, so use `-n 100 --rounds 1`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import cpu_seconds, prepare_ceiling
from bench.stack import database_name, manage, run_json, scratch_database, server_env

DEFAULT_URL = "postgres://root@127.0.0.1:5432/entitle"


def prepare(args) -> tuple[str, dict]:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    name = os.environ.get("BENCH_DATABASE", "entitle_bench") + "_profile"
    base = url.rpartition("/")[0]
    seed_path = os.path.join(tempfile.gettempdir(), f"{name}.seed.json")
    if args.reuse and os.path.exists(seed_path):
        return f"{base}/{name}", json.loads(open(seed_path).read())
    db = scratch_database(url, name)
    env = server_env(db.url, settings="bench.settings", LOG_LEVEL="ERROR")
    manage(env, "migrate", "--noinput", "-v0")
    seed = run_json(env, "bench.seed")
    prepare_ceiling(db.url)
    with open(seed_path, "w") as out:
        out.write(json.dumps(seed))
    assert database_name(db.url) == name
    return db.url, seed


def backend_cpu() -> float | None:
    """CPU seconds PostgreSQL's backend process for this connection has used (a server on
    this machine: /proc), or None."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return cpu_seconds(pid) if Path(f"/proc/{pid}").exists() else None


# Set in the process `--instructions` starts under valgrind: its callgrind output file.
CALLGRIND_OUT = "BENCH_CALLGRIND_OUT"


def under_callgrind(argv: list[str]) -> int:
    """Run this command again under callgrind with instrumentation off until `instructions`
    turns it on around each path's calls."""
    if not shutil.which("valgrind"):
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind).")
    out = Path(tempfile.mkdtemp(prefix="bench-callgrind-")) / "callgrind.out"
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--quiet",
               f"--callgrind-out-file={out}", sys.executable, "-m", "bench.profile", *argv]
    return subprocess.run(command, env={**os.environ, CALLGRIND_OUT: str(out)}).returncode


def instructions(call, times: int) -> float:
    """Instructions this process runs per call (it runs under callgrind: `under_callgrind`),
    counted between `callgrind_control`'s zero and dump."""
    pid, out = str(os.getpid()), Path(os.environ[CALLGRIND_OUT])
    control = ["callgrind_control"]
    subprocess.run([*control, "--zero", pid], check=True, capture_output=True)
    subprocess.run([*control, "--instr=on", pid], check=True, capture_output=True)
    for _ in range(times):
        call()
    subprocess.run([*control, "--instr=off", pid], check=True, capture_output=True)
    subprocess.run([*control, "--dump", pid], check=True, capture_output=True)
    dump = max(out.parent.glob(out.name + ".*"), key=lambda p: p.stat().st_mtime)
    totals = next(line for line in dump.read_text().splitlines()
                  if line.startswith("totals:"))
    return int(totals.split()[1]) / times


def measure(call, args, *, profile: bool, times: int) -> tuple[float, float, float | None]:
    """(CPU ms, wall ms, PostgreSQL backend CPU ms) per call: the least of `args.rounds`
    rounds of `times` calls (the neighbours' noise least), with the top functions by CPU
    time printed when `profile`."""
    # CPU time, not wall: what the neighbours do is not counted
    profiler = cProfile.Profile(time.process_time) if profile else None
    rounds = []
    for _ in range(args.rounds):
        backend = backend_cpu()
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for _ in range(times):
            call()
        if profiler:
            profiler.disable()
        used = time.process_time() - cpu, time.perf_counter() - wall
        after = backend_cpu() if backend is not None else None
        rounds.append((used[0] / times * 1000, used[1] / times * 1000,
                       None if after is None else (after - backend) / times * 1000))
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(45)
        print(out.getvalue())
    backends = [r[2] for r in rounds if r[2] is not None]
    return (min(r[0] for r in rounds), min(r[1] for r in rounds),
            min(backends) if backends else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="requests per round (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per path (default 3)")
    parser.add_argument("--reuse", action="store_true", help="reuse the last seeded database")
    parser.add_argument("--cprofile", action="append", default=[],
                        help="print the top functions of this path (redeem, access, …)")
    parser.add_argument("--sort", default="cumulative", help="cProfile's order (tottime…)")
    parser.add_argument("--queries", action="store_true", help="print each path's queries")
    parser.add_argument("--instructions", action="store_true",
                        help="count the instructions per request under valgrind's callgrind "
                        "(the same on every run; Python's side only)")
    parser.add_argument("--only", action="append", default=[],
                        help="measure only this path; the 10,000-code "
                        "ti_create and zype_bulk run only when named")
    parser.add_argument("--offset", type=int, default=0,
                        help="first code/learner number to redeem (a --reuse run: move on)")
    parser.add_argument("--webhooks", type=int, default=0,
                        help="active webhook endpoints subscribed to every kind (default none:"
                        " any left by an earlier run are switched off); the deliveries are"
                        " made and the workers nudged through BENCH_REDIS_URL, as the server"
                        " does, but no worker drains them")
    args = parser.parse_args(argv)
    if args.instructions and CALLGRIND_OUT not in os.environ:
        prepare(args)  # seeded once, outside valgrind
        return under_callgrind([*(sys.argv[1:] if argv is None else argv), "--reuse"])
    url, seed = prepare(args)
    broker = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    for key, value in server_env(url, settings="bench.settings", CELERY_BROKER_URL=broker,
                                 WEBHOOKS_ALLOW_PRIVATE="1").items():
        if key not in ("PYTHONPATH",):
            os.environ[key] = value
    import django

    django.setup()
    from events.models import WebhookEndpoint
    from events.services import create_endpoint

    WebhookEndpoint.objects.filter(is_active=True).update(is_active=False)
    for _ in range(args.webhooks):  # a port nothing listens on: nothing is sent anyway
        create_endpoint(url="http://127.0.0.1:9/hook", kinds=[])
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {seed['api_key']}"}
    items = seed["items"] + seed["seat_items"]
    counter = {"redeem": args.offset, "ceiling": args.offset}

    def redeem():
        n = counter["redeem"] = counter["redeem"] + 1
        body = {"code": f"R{n:015d}", "user": f"r{n}@bench.example"}
        response = client.post("/api/v1/redeem", body, content_type="application/json", **auth)
        assert response.status_code == 201, response.content[:300]

    def ceiling():
        n = counter["ceiling"] = counter["ceiling"] + 1
        body = {"code": f"C{n:015d}", "user": f"r{n}@bench.example"}
        response = client.post("/bench/ceiling/redeem", body, content_type="application/json")
        assert response.status_code == 201, response.content[:300]

    access_n = [0]

    def access():
        access_n[0] += 1
        item = items[(access_n[0] * 7919) % len(items)]
        response = client.get(f"/api/v1/access?user={seed['learner']}&item={item}", **auth)
        assert response.status_code == 200 and response.json()["has_access"], response.content

    def hello():
        assert client.get("/bench/hello").status_code == 200

    groups = iter(range(10**6))

    def ti_create():  # 10,000 codes by Thought Industries' create: the group, no code listed
        response = client.post("/incoming/v2/redemptionCodes", {
            "codeLength": 16, "totalCodesCount": 10_000, "courses": [seed["course"]],
            "label": f"Profile group {next(groups)}"}, content_type="application/json", **auth)
        assert response.status_code == 201, response.content[:300]

    def zype_bulk():  # 10,000 codes by Zype's bulk create: each code listed, QR codes drawn
        response = client.post("/redemption_codes/bulk_create", {
            "api_key": seed["api_key"], "amount": 10_000,
            "redemption_codes[video_id]": seed["videos"][0]["external_id"]})
        assert response.status_code == 201, response.content[:300]

    paths = {"hello": hello, "ceiling": ceiling, "redeem": redeem, "access": access}
    bulk = {"ti_create": ti_create, "zype_bulk": zype_bulk}
    results = {}
    for name, call in paths.items():
        if args.only and name not in args.only:
            continue
        for _ in range(20):  # warm: imports, connections, caches
            call()
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            call()
        per_request = len(queries)
        if args.queries:
            for query in queries.captured_queries:
                print(f"  {name}: {query['sql'][:150]}")
        if args.instructions:
            print(f"{name:9} {instructions(call, args.n) / 1e6:8.3f} M instructions per request"
                  f"  queries {per_request}", flush=True)
            continue
        cpu, wall, backend = measure(call, args, profile=name in args.cprofile, times=args.n)
        results[name] = (cpu, wall, per_request)
        server = "" if backend is None else f"  PostgreSQL CPU {backend:6.2f} ms"
        print(f"{name:9} CPU {cpu:8.2f} ms  wall {wall:8.2f} ms  queries {per_request}"
              f"{server}", flush=True)
    for name, call in bulk.items():  # one warm call, then the least of --rounds
        if name not in args.only:
            continue
        call()
        cpu, wall, _ = measure(call, args, profile=name in args.cprofile, times=1)
        results[name] = (cpu, wall)
        print(f"{name:9} CPU {cpu:8.1f} ms  wall {wall:8.1f} ms  (10,000 codes)", flush=True)
    if "ti_create" in results and "zype_bulk" in results:
        print(f"zype bulk / TI create wall: "
              f"{results['zype_bulk'][1] / results['ti_create'][1]:.1f}×")
    if "ceiling" in results and "redeem" in results:
        print(f"redeem / ceiling CPU: {results['redeem'][0] / results['ceiling'][0]:.2f}×")
    if "hello" in results and "access" in results:
        print(f"access / hello wall: {results['access'][1] / results['hello'][1]:.1f}×")
    if args.webhooks:
        import redis

        redis.Redis.from_url(broker).flushdb()  # the nudges no worker took
        WebhookEndpoint.objects.filter(is_active=True).update(is_active=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
