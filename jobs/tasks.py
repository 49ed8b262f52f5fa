"""Celery tasks of the jobs app: the periodic sweep of jobs whose worker died. Each app that
owns a kind of work defines the task that runs it (`jobs.services.TASKS`)."""

from __future__ import annotations

import contextvars
import threading

from celery import current_app, shared_task
from django.db import connection

from jobs import services


@shared_task(name="jobs.sweep_stale")
def sweep_stale() -> int:
    return len(services.sweep_stale_jobs())


def _run(task_name: str, job_id) -> None:
    try:
        current_app.loader.import_default_modules()  # each app's tasks.py (autodiscovery)
        current_app.tasks[task_name].run(str(job_id))
    finally:
        connection.close()


def run_in_thread(task_name: str, job_id) -> None:
    """With no broker (`make run`): run the job's task in a thread of this process."""
    # In the caller's context, so the job's log lines carry its request id.
    threading.Thread(target=contextvars.copy_context().run, args=(_run, task_name, job_id),
                     daemon=True).start()
