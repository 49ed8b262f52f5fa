"""Benchmark: Zype's code list filtered by `video_id` + `created_at.gte` over 1,000,000 codes.

    .venv/bin/python -m bench.zype_list [--codes 1000000] [--videos 10] [--requests 200]
                                        [--port 8411] [--database entitle_bench4]

Starts gunicorn (2 sync workers, DEBUG off) against a fresh PostgreSQL database, then makes
the codes with the generator (`COPY`) the way Zype's bulk create does: groups of 10,000, each
for one of `--videos` videos in turn, one every ~3.5 days across a year (each group's
`created_at` is when it was "made"), and runs `VACUUM ANALYZE` as autovacuum would. Then it
times, over HTTP, `GET /redemption_codes?api_key=…&video_id=<video>&created_at.gte=<mid-year>`
(the first page of 10: half of that video's codes match) `--requests` times; the same with
a new page each request (pages 2, 3, …: QR codes drawn afresh rather than from the
worker's cache); the same video from the start of the year (all its codes match); and the
unfiltered list (the count is over every code). It also records PostgreSQL's own timing and
plan of the page query and of the count query (EXPLAIN ANALYZE). Prints a summary and saves
`bench/results/zype_list.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
from unittest import mock
from urllib.parse import urlencode

from bench.common import BenchServer, median_of, save_result, timed_request

GROUP = 10_000  # Zype's bulk create allows at most this many per call
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
YEAR = dt.timedelta(days=365)


def setup_django(env: dict[str, str]) -> None:
    """This process talks to the benchmark's database with the project's own code."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def generate(codes: int, videos: int, progress) -> list:
    """`codes` codes in bulk creates of 10,000 spread over a year, round robin over videos."""
    from django.utils import timezone

    from catalog.models import CatalogItem, ItemKind
    from redemptions import services

    items = [CatalogItem.objects.create(kind=ItemKind.VIDEO, title=f"Bench video {n}",
                                        external_id=f"bench-video-{n}")
             for n in range(videos)]
    groups = max(codes // GROUP, 1)
    for n in range(groups):
        made_at = START + YEAR * n / groups
        with mock.patch.object(timezone, "now", return_value=made_at):
            services.create_code_group(
                label=f"Zype bulk create {n}", count=min(GROUP, codes),
                offer=services.OfferTerms(name=items[n % videos].title,
                                          items=[items[n % videos]]),
                code_length=16)
        progress(n + 1, groups)
    return items


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE redemptions_code")


def explain(path: str, key: str) -> dict:
    """PostgreSQL's own time and plan for the page and count queries behind `path`."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = Client(HTTP_HOST="127.0.0.1").get(f"{path}&api_key={key}")
    assert response.status_code == 200, response.content
    found = {}
    for query in queries.captured_queries:
        sql = query["sql"]
        if "redemptions_code" not in sql:
            continue
        name = "count" if "COUNT(" in sql.upper() else "page"
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            raw = cursor.fetchone()[0]
        plan = (raw if isinstance(raw, list) else json.loads(raw))[0]
        found[name] = {"execution_ms": round(plan["Execution Time"], 3),
                       "planning_ms": round(plan["Planning Time"], 3),
                       "scans": scans(plan["Plan"])}
    return found


def scans(plan: dict) -> list[str]:
    here = []
    if plan.get("Relation Name") == "redemptions_code":
        here.append(f"{plan['Node Type']} {plan.get('Index Name', '')}".strip())
    for child in plan.get("Plans", []):
        here.extend(scans(child))
    return here


def percentiles(samples: list[float]) -> dict:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50_ms": round(statistics.median(samples) * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1),
            "min_ms": round(min(samples) * 1000, 1), "max_ms": round(max(samples) * 1000, 1)}


def measure(server: BenchServer, key: str, params: dict, runs: int, *,
            new_pages: bool = False) -> dict:
    """`runs` requests of the first page, or (`new_pages`) of pages 2, 3, … — codes no worker
    has drawn QR codes for yet."""
    url = server.url("/redemption_codes?" + urlencode({"api_key": key, **params}))

    def once(i) -> float:
        page = f"&page={i + 2}" if new_pages and isinstance(i, int) else ""
        status, body, seconds = timed_request("GET", url + page)
        assert status == 200 and len(body["response"]) == 10, body
        once.pages = body["pagination"]["pages"]
        return seconds

    for _ in range(4):  # both workers: imports, connections, the first page's QR codes
        once("warm-up")
    figures = median_of(runs, once)
    return {"params": params, "runs": runs, "pages": once.pages, "new_pages": new_pages,
            **percentiles(figures["samples"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=1_000_000)
    parser.add_argument("--videos", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=8411)
    parser.add_argument("--database", default="entitle_bench4")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    with BenchServer(database=args.database, port=args.port) as server:
        key = server.api_key()
        setup_django(server.env)
        started = time.perf_counter()
        items = generate(args.codes, args.videos, lambda done, total: print(
            f"\r{done * GROUP:,} / {total * GROUP:,} codes", end="", flush=True))
        generated_s = time.perf_counter() - started
        vacuum()
        print(f"\ngenerated {args.codes:,} codes in {generated_s:.1f} s; measuring")
        video = items[min(3, len(items) - 1)].external_id
        mid_year = (START + YEAR / 2).isoformat()
        filtered = {"video_id": video, "created_at.gte": mid_year}
        cases = {  # name: (params, new pages each request)
            "video_and_created_at_gte_mid_year": (filtered, False),
            "video_and_created_at_gte_mid_year_new_pages": (filtered, True),
            "video_and_created_at_gte_start": ({"video_id": video,
                                                "created_at.gte": START.isoformat()}, False),
            "unfiltered": ({}, False),
        }
        results = {}
        for name, (params, new_pages) in cases.items():
            results[name] = measure(server, key, params, args.requests, new_pages=new_pages)
            results[name]["postgres"] = explain("/redemption_codes?" + urlencode(params), key)
            print(f"{name}: p50 {results[name]['p50_ms']} ms, p99 {results[name]['p99_ms']} ms "
                  f"({results[name]['pages']:,} pages); in PostgreSQL: "
                  + ", ".join(f"{q} {v['execution_ms']} ms ({'; '.join(v['scans'])})"
                              for q, v in results[name]["postgres"].items()))

    result = {
        "benchmark": "GET /redemption_codes?video_id=…&created_at.gte=… (first page of 10)",
        "codes": args.codes, "videos": args.videos, "codes_per_video": args.codes // args.videos,
        "generated_seconds": round(generated_s, 1),
        "server": "gunicorn, 2 sync workers, DEBUG off, PostgreSQL on loopback; "
                  "sequential requests",
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
                   f"{platform.python_version()}, {os.cpu_count()} cores",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_before": round(load_before, 2),
        "cases": results,
    }
    path = save_result("zype_list", result)
    print(f"saved to {path.relative_to(path.parents[2])}")


if __name__ == "__main__":
    main()
