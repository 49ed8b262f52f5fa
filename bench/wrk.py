"""wrk, the HTTP load generator: installed from Debian when missing, run with a Lua script.

`run_wrk(url, "access.lua", connections=8, seconds=10, env={...})` appends lua/report.lua
to the script (status tally + a JSON summary from `done()`), runs wrk with two threads and
returns a `Load`: requests a second, p50/p90/p99 in milliseconds, the status counts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).with_name("lua")
THREADS = 2


def ensure_wrk() -> str:
    """The path of wrk; as root, `apt-get install wrk` first when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: install it (Debian: apt-get install wrk) and re-run.")
    print("installing wrk from Debian…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = {"stdout": subprocess.DEVNULL, "env": env}
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, **quiet).returncode:
        subprocess.run(["apt-get", "update", "-q"], check=True, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, **quiet)
    return shutil.which("wrk") or "wrk"


@dataclass
class Load:
    """What one wrk run measured."""

    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    seconds: float
    connections: int
    statuses: dict[str, int] = field(default_factory=dict)
    socket_errors: int = 0
    timeouts: int = 0

    def count(self, status: int) -> int:
        return self.statuses.get(str(status), 0)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status.startswith("5"))

    def brief(self) -> str:
        return f"{self.rps:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"


def run_wrk(url: str, script: str, *, connections: int, seconds: float,
            env: dict[str, str] | None = None, timeout_s: int = 10) -> Load:
    """Load `url` with `connections` connections for `seconds` through lua/`script`."""
    source = (LUA / script).read_text() + "\n" + (LUA / "report.lua").read_text()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(source)
    argv = [ensure_wrk(), f"-t{THREADS}", f"-c{max(connections, THREADS)}",
            f"-d{max(1, round(seconds))}s", f"--timeout={timeout_s}s", "-s", lua.name, url]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False,
                              env={**os.environ, "BENCH_THREADS": str(THREADS), **(env or {})},
                              timeout=seconds + timeout_s + 30)
    finally:
        Path(lua.name).unlink(missing_ok=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-1500:]}"
                           f"{done.stderr[-1500:]}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    duration = data["duration_us"] / 1e6
    return Load(rps=data["requests"] / duration if duration else 0.0,
                p50_ms=data["p50_us"] / 1000, p90_ms=data["p90_us"] / 1000,
                p99_ms=data["p99_us"] / 1000, requests=data["requests"], seconds=duration,
                connections=connections, statuses=data["statuses"],
                socket_errors=data["socket_errors"], timeouts=data["timeouts"])
