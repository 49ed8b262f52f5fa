"""Jobs' state changes: create (and hand to a worker), claim, advance chunk by chunk, finish,
cancel, and the sweep that picks up jobs whose worker died.

How a worker killed mid-job ends (README, "Jobs"): each chunk of work commits together with
the job's `done`, so the row always says exactly how much is committed. Tasks are
acknowledged late (`acks_late`), and the periodic sweep (`sweep_stale_jobs`) sends again
every running job whose heartbeat is older than JOB_STALE_SECONDS (and every queued job that
long untouched: a lost message). The next worker `claim`s it and resumes at `done`. A claim
is a row lock plus that heartbeat test, so a job never runs on two workers at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from core.metrics import JOB_DURATION, observe_on_commit
from events.models import EventKind
from events.services import record_event
from jobs.errors import JobAlreadyFinished, JobCancelled
from jobs.models import Job, JobKind, JobStatus

logger = logging.getLogger(__name__)

# The Celery task that runs each kind (by name: the app that owns the work defines it).
TASKS = {
    JobKind.GENERATE_CODES: "redemptions.run_generation",
    JobKind.IMPORT_CODES: "redemptions.run_import",
    JobKind.EXPORT_CODES: "redemptions.run_export",
}


def create_job(kind: str, *, total: int, params: dict | None = None, created_by=None,
               queue: bool = True) -> Job:
    """A queued job, handed to a worker once the caller's transaction commits (`queue=False`:
    the caller runs it in its own process)."""
    job = Job.objects.create(kind=kind, total=total, params=params or {},
                             created_by=_person(created_by))
    if queue:
        transaction.on_commit(lambda: send(job))
    return job


def _person(who):
    """Who started a job, when a person did (not an API client, not anonymous)."""
    user_model = get_user_model()
    return who if isinstance(who, user_model) and who.pk else None


def send(job: Job) -> None:
    """Ask a worker to run (or resume) `job`. With no broker (`make run`), a thread of this
    process runs it; a broker that does not answer loses nothing (the sweep sends it again)."""
    from jobs.tasks import run_in_thread  # tasks import this module

    if settings.CELERY_TASK_ALWAYS_EAGER:
        run_in_thread(TASKS[job.kind], job.pk)
        return
    try:
        current_app.send_task(TASKS[job.kind], args=[str(job.pk)], retry=False)
    except Exception:
        logger.warning("Could not queue job %s; the sweep will send it.", job.pk, exc_info=True)


def _stale_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)


def claim(job_id) -> Job | None:
    """Start (or resume) the job for this worker: None when it has finished or another live
    worker runs it (its heartbeat is fresh)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        if job.status == JobStatus.RUNNING and job.heartbeat_at > _stale_before():
            return None
        now = timezone.now()
        job.status, job.heartbeat_at, job.attempts = JobStatus.RUNNING, now, job.attempts + 1
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "heartbeat_at", "attempts", "started_at"])
    return job


def run(job_id, *, step: Callable[[Job, int], int], complete: Callable[[Job], dict],
        discard: Callable[[Job], None], prepare: Callable[[Job], int] | None = None,
        progress: Callable[[Job], None] | None = None) -> Job | None:
    """Run a job chunk by chunk: `prepare(job)` (before any chunk committed) checks the
    work and says its size; `step(job, size)` does up to `size` units of work in the chunk's
    transaction (the job row locked first) and says how many it did; `complete(job)` makes
    the work visible (in the transaction that marks the job succeeded) and returns the
    result; `discard(job)` removes partial work of a cancelled or failed job. A refusal
    (DomainError) fails the job with its message, and its data as the result."""
    job = Job.objects.filter(pk=job_id).first()
    if job is not None and job.status == JobStatus.CANCELLED and job.started_at is None:
        discard(job)  # cancelled while queued: nothing ran, but the job may own rows
        return job
    job = claim(job_id)
    if job is None:
        return None
    try:
        if prepare is not None and job.done == 0:
            job.total = prepare(job)
            Job.objects.filter(pk=job.pk).update(total=job.total)
        while job.done < job.total:
            with transaction.atomic():
                _check_not_cancelled(job)
                job.done += step(job, min(settings.JOB_CHUNK_SIZE, job.total - job.done))
                job.heartbeat_at = timezone.now()
                Job.objects.filter(pk=job.pk).update(done=job.done,
                                                     heartbeat_at=job.heartbeat_at)
            if progress is not None:
                progress(job)
            if settings.JOB_CHUNK_PAUSE_SECONDS:
                time.sleep(settings.JOB_CHUNK_PAUSE_SECONDS)
        with transaction.atomic():
            _check_not_cancelled(job)
            return finish(job, JobStatus.SUCCEEDED, result=complete(job))
    except JobCancelled:
        discard(job)
        return finish(job, JobStatus.CANCELLED)
    except DomainError as exc:
        discard(job)
        return finish(job, JobStatus.FAILED, error=exc.message, result=exc.data or None)
    except Exception as exc:
        logger.exception("Job %s failed", job.pk)
        discard(job)
        return finish(job, JobStatus.FAILED, error=str(exc) or type(exc).__name__)


def _check_not_cancelled(job: Job) -> None:
    if Job.objects.select_for_update().filter(pk=job.pk, cancel_requested=True).exists():
        raise JobCancelled()


@transaction.atomic
def finish(job: Job, status: str, *, result: dict | None = None, error: str = "") -> Job:
    """Mark the job finished, with its `job.finished` event (one transaction)."""
    job.status, job.result, job.error = status, result, error
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "result", "error", "finished_at"])
    began = job.started_at or job.created_at
    observe_on_commit(JOB_DURATION.labels(job.kind, status),
                      (job.finished_at - began).total_seconds())
    from jobs.payloads import job_payload

    record_event(EventKind.JOB_FINISHED, job, data=job_payload(job), user=job.created_by)
    return job


@transaction.atomic
def cancel_job(job: Job) -> Job:
    """Cancel a job: a queued one at once, a running one at its next chunk (its partial work
    discarded). A finished job refuses (JobAlreadyFinished)."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.is_finished:
        raise JobAlreadyFinished()
    job.cancel_requested = True
    job.save(update_fields=["cancel_requested"])
    if job.status == JobStatus.QUEUED:
        finish(job, JobStatus.CANCELLED)
        transaction.on_commit(lambda: send(job))  # the worker discards what the job owns
    return job


def sweep_stale_jobs() -> list[Job]:
    """Send again each job whose worker is gone: running with an old heartbeat, or queued
    and untouched that long (its message lost). Returns them."""
    stale_before = _stale_before()
    stale = list(Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale_before)) \
        + list(Job.objects.filter(status=JobStatus.QUEUED, created_at__lt=stale_before))
    for job in stale:
        logger.warning("Job %s (%s) lost its worker at %s of %s; sending it again.",
                       job.pk, job.kind, job.done, job.total)
        send(job)
    return stale
