"""The Celery app: workers run `celery -A config worker` (and one `celery -A config beat`, or
`worker -B` on one machine, for the periodic sweep of due webhook deliveries).

Settings come from Django's, under the `CELERY_` prefix (`config/settings.py`); each app's
`tasks.py` is found by autodiscovery. A task's log lines carry the id of the request that
queued it (`core.logs.connect_celery`). With WORKER_METRICS_PORT set, the worker serves its
Prometheus metrics on that port (bind it to a private network: it asks for no token); with
PROMETHEUS_MULTIPROC_DIR set too, those of all its pool's processes. A worker runs at
WORKER_NICE (default 19): beside a web server it yields the CPU to requests.
"""

import contextlib
import os
from pathlib import Path

from celery import Celery, signals

from core.logs import connect_celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("entitle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
connect_celery()


@signals.worker_init.connect
def be_nice(**_kwargs) -> None:
    """Lower this worker's priority to WORKER_NICE before its pool starts. Linux keeps a
    niceness per thread: each thread running now is set, and the pool's threads and
    processes, started later, inherit it. The PostgreSQL backends it talks to are left alone:
    a niced backend holding a lock or a buffer a request's backend waits for would slow the
    request instead (priority inversion)."""
    from django.conf import settings

    if settings.WORKER_NICE > 0:
        set_niceness(settings.WORKER_NICE)


def set_niceness(niceness: int) -> None:
    """Every thread of this process at `niceness`, unless one is already nicer; and its
    session's scheduling group, when the worker leads a session of its own."""
    tasks = f"/proc/{os.getpid()}/task"
    threads = [int(tid) for tid in os.listdir(tasks)] if os.path.isdir(tasks) else [0]
    for tid in threads:  # 0: this process (elsewhere than Linux, one priority per process)
        with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
            if os.getpriority(os.PRIO_PROCESS, tid) < niceness:
                os.setpriority(os.PRIO_PROCESS, tid, niceness)
    # With Linux's autogroups the CPU is shared between sessions first, and a niceness counts
    # only within its session: a worker in a session of its own (a systemd service, a
    # container, `setsid`) nices the whole session's group too. In a terminal's session it
    # would nice the shell and its other jobs too, so it leaves that group alone.
    group = Path("/proc/self/autogroup")
    if os.getsid(0) == os.getpid() and group.exists():
        with contextlib.suppress(OSError, ValueError):
            if int(group.read_text().split("nice")[1]) < niceness:
                group.write_text(str(niceness))


@signals.worker_init.connect
def serve_worker_metrics(**_kwargs) -> None:
    from django.conf import settings
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    if not settings.WORKER_METRICS_PORT:
        return
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(settings.WORKER_METRICS_PORT, registry=registry)
