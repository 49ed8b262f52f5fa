"""The Celery app: workers run `celery -A config worker` (and one `celery -A config beat`, or
`worker -B` on one machine, for the periodic sweep of due webhook deliveries).

Settings come from Django's, under the `CELERY_` prefix (`config/settings.py`); each app's
`tasks.py` is found by autodiscovery. A task's log lines carry the id of the request that
queued it (`core.logs.connect_celery`). With WORKER_METRICS_PORT set, the worker serves its
Prometheus metrics on that port (bind it to a private network: it asks for no token); with
PROMETHEUS_MULTIPROC_DIR set too, those of all its pool's processes. A worker runs at
WORKER_NICE (default 10): beside a web server it yields the CPU to requests.
"""

import contextlib
import os

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
    processes, started later, inherit it."""
    from django.conf import settings

    if settings.WORKER_NICE > 0:
        set_niceness(settings.WORKER_NICE)


def set_niceness(niceness: int) -> None:
    """Every thread of this process at `niceness`, unless one is already nicer."""
    tasks = f"/proc/{os.getpid()}/task"
    threads = [int(tid) for tid in os.listdir(tasks)] if os.path.isdir(tasks) else [0]
    for tid in threads:  # 0: this process (elsewhere than Linux, one priority per process)
        with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
            if os.getpriority(os.PRIO_PROCESS, tid) < niceness:
                os.setpriority(os.PRIO_PROCESS, tid, niceness)


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
