"""Benchmark: create a 10,000-code group through the Thought Industries API.

    .venv/bin/python -m bench.code_group_create [--runs 5] [--port 8311] [--count 10000]

Starts gunicorn (sync workers, DEBUG off) against a fresh PostgreSQL database
`entitle_bench_codes`, makes an API key and a course, then times `POST
/incoming/v2/redemptionCodes` with `totalCodesCount` 10,000, once to warm up and then `--runs`
times (each into the same, growing table, as production would). Prints and saves
`bench/results/code_group_create.json` with the median, min and max wall time per request.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform

from bench.common import BenchServer, http, median_of, save_result, timed_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=8311)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=10)
    args = parser.parse_args()

    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    with BenchServer(database="entitle_bench_codes", port=args.port) as server:
        key = server.api_key()
        status, course = http("POST", server.url("/api/v1/catalog-items"), key=key,
                              body={"kind": "course", "title": "Bench course"})
        assert status == 201, course
        endpoint = server.url("/incoming/v2/redemptionCodes")

        def create(i: int) -> float:
            status, body, seconds = timed_request(
                "POST", endpoint, key=key,
                body={"label": f"Bench {i}", "codeLength": args.length,
                      "totalCodesCount": args.count, "courses": [course["id"]]})
            assert status == 201 and body["totalCodesCount"] == args.count, body
            return seconds

        create(-1)  # warm-up: imports, connections, caches
        figures = median_of(args.runs, create)

    result = {
        "benchmark": "POST /incoming/v2/redemptionCodes",
        "codes_per_group": args.count, "code_length": args.length,
        "server": "gunicorn, 2 sync workers, DEBUG off, PostgreSQL on loopback",
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
                   f"{platform.python_version()}",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_before": round(load_before, 2),
        **figures,
    }
    path = save_result("code_group_create", result)
    print(f"{args.count:,} codes per group over HTTP: median {figures['median']:.3f} s "
          f"(min {figures['min']:.3f}, max {figures['max']:.3f}) over {args.runs} runs; "
          f"saved to {path.relative_to(path.parents[2])}")


if __name__ == "__main__":
    main()
