"""Webhook receivers on loopback and a Celery worker process, for the webhook bench row and
the delivery tests (`tests/events/`).

`CountingReceiver` (the bench row's) runs `bench.receiver` in a process of its own and only
counts; `Receiver` (the tests') answers each POST with the next status of its plan (`"hold"`:
wait until `release()`, then 200) over kept-alive HTTP/1.1 connections and keeps every request
(with the peer's address); `CeleryWorker` runs `celery -A config worker -B` (the embedded beat
runs the sweep) in its own process group, so `kill()` is a crash.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.stack import free_port as stack_free_port
from bench.stack import port_range

ROOT = Path(__file__).resolve().parents[1]
PORTS = port_range("8160-8179")  # the loopback ports this project's servers may listen on


def wait_for(predicate, what: str, timeout: float = 40):
    """Poll until `predicate()` is truthy (its value), or fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


def free_port() -> int:
    return stack_free_port(PORTS)


class Receiver:
    def __init__(self, port: int | None = None, plan: list[int | str] | None = None) -> None:
        self.port, self.plan, self.requests = port or free_port(), list(plan or []), []
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections alive, as receivers do
            disable_nagle_algorithm = True  # else each answer's body waits for an ACK

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.requests.append({"headers": headers, "body": body,
                                              "peer": self.client_address})
                    step = receiver.plan.pop(0) if receiver.plan else 200
                if step == "hold":
                    receiver.released.wait(30)
                    step = 200
                answer = json.dumps({"status": step}).encode()
                self.send_response(int(step))
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def release(self) -> None:
        self.released.set()

    def stop(self) -> None:
        self.released.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class CountingReceiver:
    """`bench.receiver` in a process of its own: answers every POST 200 and counts them (the
    webhook bench row's receiver: cheap, and its CPU time its own, outside the bench's)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> CountingReceiver:
        self.process = subprocess.Popen([sys.executable, "-m", "bench.receiver", str(self.port)],
                                        cwd=ROOT, stdout=subprocess.PIPE)
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError("The bench receiver did not start")
        return self

    def posts(self) -> int:
        """How many POSTs it has answered."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=10) as answer:
            return json.loads(answer.read())["posts"]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class CeleryWorker:
    def __init__(self, env: dict, workdir: Path, *, concurrency: int = 2, beat: bool = True,
                 name: str = "bench", prefetch: int | None = None) -> None:
        """`beat=False` for every worker but one where several share a broker (one sweep);
        each worker's `name` must differ then, and its log is `<name>-<n>.log`."""
        self.env, self.workdir, self.concurrency = env, workdir, concurrency
        self.beat, self.name, self.prefetch = beat, name, prefetch
        self.process: subprocess.Popen | None = None
        self.log: Path | None = None

    def start(self) -> CeleryWorker:
        prefix = "worker" if self.name == "bench" else self.name
        runs = len(list(self.workdir.glob(f"{prefix}-*.log")))
        self.log = self.workdir / f"{prefix}-{runs}.log"
        options = ["-B", "-s", str(self.workdir / f"beat-{runs}")] if self.beat else []
        if self.prefetch:  # messages reserved per thread beyond the one it runs
            options.append(f"--prefetch-multiplier={self.prefetch}")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", *options,
             "--pool=threads", f"--concurrency={self.concurrency}", "--loglevel=INFO",
             "--without-mingle", "--without-gossip",
             "-n", f"{self.name}-{os.getpid()}-{runs}@%h"],
            cwd=ROOT, env=self.env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_for(lambda: self.process.poll() is not None or b" ready." in self.log.read_bytes(),
                 "the Celery worker to start")
        if self.process.poll() is not None:
            raise RuntimeError("The Celery worker stopped: " + self.log.read_text()[-3000:])
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: no cleanup, no acknowledgement."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
