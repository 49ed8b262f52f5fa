"""Fuzz every operation of the OpenAPI schema with schemathesis; fail on any 5xx.

`make test` runs this after pytest:

    DATABASE_URL=postgres://root@127.0.0.1:5432/entitle python -m tests.fuzz.run_schemathesis

It makes a fresh database beside DATABASE_URL's (`<name>_fuzz`; a temporary SQLite file when
DATABASE_URL is not PostgreSQL), migrates it, creates credentials for every security scheme
and a little data (tests/fuzz/prepare.py), serves it with gunicorn on a free loopback port and runs
`st run <server>/api/schema/ --checks not_a_server_error` with a time budget. Whatever the
schema lists is fuzzed, so each endpoint is covered from the day it is documented. The
server's log is shown when a check fails, for the traceback behind the 500.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

from bench.stack import (
    PYTHON,
    ROOT,
    Gunicorn,
    database_name,
    manage,
    run_json,
    scratch_database,
    server_env,
)

CONFIG = Path(__file__).with_name("schemathesis.toml")
DEFAULT_URL = "postgres://root@127.0.0.1:5432/entitle"
REQUEST_LINE = re.compile(r"^[A-Z][A-Za-z -]+: /")  # django.request: "Not Found: /api/…"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-time", type=int, default=int(os.environ.get("FUZZ_MAX_TIME", 90)),
                        help="time budget of the whole schemathesis run, in seconds")
    parser.add_argument("--max-examples", type=int,
                        default=int(os.environ.get("FUZZ_MAX_EXAMPLES", 25)),
                        help="test cases per operation and phase")
    seed = os.environ.get("FUZZ_SEED")
    parser.add_argument("--seed", type=int, default=int(seed) if seed else None,
                        help="replay one run (FUZZ_SEED; CI pins one so a build is repeatable)")
    parser.add_argument("st_args", nargs="*", help="more `st run` options, after --")
    return parser.parse_args(argv)


def server_errors(log: str, limit: int = 20_000) -> str:
    """The server log's 500 reports with their tracebacks, without the 4xx lines around them."""
    kept, inside = [], False
    for line in log.splitlines():
        if line.startswith("{"):  # a JSON log line (LOG_FORMAT=json): its traceback inside
            if _json_level(line) in ("error", "critical"):
                kept.append(line)
            continue
        if REQUEST_LINE.match(line):
            inside = line.startswith("Internal Server Error")
        if inside or (line.startswith("[") and "[ERROR]" in line):  # gunicorn's own errors
            kept.append(line)
    return "\n".join(kept)[-limit:] or log[-limit:]


def _json_level(line: str) -> str | None:
    try:
        return json.loads(line).get("level")
    except (ValueError, AttributeError):
        return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    db = scratch_database(url, f"{database_name(url)}_fuzz")
    junit = Path(tempfile.mkdtemp(prefix="schemathesis-")) / "junit.xml"
    started = time.monotonic()
    try:
        # Jobs the fuzz starts (50,000,000 codes, say) are queued on the suite's Redis, which
        # no worker reads: without a broker the server would run them itself.
        env = server_env(db.url, LOG_LEVEL="ERROR", CELERY_BROKER_URL=os.environ.get(
            "TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
        manage(env, "migrate", "--noinput", "-v0")
        creds = run_json(env, "tests.fuzz.prepare")
        with Gunicorn(env, workers=2) as server:
            st_env = {
                **os.environ,
                "ENTITLE_FUZZ_API_KEY": creds["api_key"],
                "ENTITLE_FUZZ_LEARNER_TOKEN": creds["learner_token"],
                "ENTITLE_FUZZ_STAFF_EMAIL": creds["staff_email"],
                "ENTITLE_FUZZ_STAFF_PASSWORD": creds["staff_password"],
            }
            argv_st = [
                str(Path(PYTHON).with_name("st")), "--config-file", str(CONFIG), "run",
                server.url("/api/schema/"), "--checks", "not_a_server_error",
                "--max-time", str(args.max_time), "--max-examples", str(args.max_examples),
                "--request-timeout", "30", "--no-color",
                "--report", "junit", "--report-junit-path", str(junit), *args.st_args,
            ]
            if args.seed is not None:
                argv_st += ["--seed", str(args.seed)]
            print(f"schemathesis: fuzzing {server.url('/api/schema/')} "
                  f"({'PostgreSQL' if db.is_postgres else 'SQLite'}, "
                  f"at most {args.max_time} s)", flush=True)
            code = subprocess.run(argv_st, cwd=ROOT, env=st_env, check=False).returncode
            if code != 0:
                print("\n--- server errors (the tracebacks behind the 5xx) ---\n"
                      + server_errors(server.log_path.read_text(errors="replace")),
                      file=sys.stderr)
    finally:
        db.drop()
    passed, failed = junit_counts(junit)
    shutil.rmtree(junit.parent, ignore_errors=True)
    print(f"schemathesis ran {time.monotonic() - started:.0f} s in all "
          f"({'no 5xx' if code == 0 else 'FAILED'}); per operation and stateful run:")
    print(f"schemathesis: {passed} passed, {failed} failed")
    return code


def junit_counts(path: Path) -> tuple[int, int]:
    """(passed, failed) test cases in schemathesis's JUnit report (one per operation)."""
    try:
        cases = ElementTree.parse(path).getroot().iter("testcase")
    except (OSError, ElementTree.ParseError):
        return 0, 0
    outcomes = [any(child.tag in ("failure", "error") for child in case) for case in cases]
    return outcomes.count(False), outcomes.count(True)


if __name__ == "__main__":
    sys.exit(main())
