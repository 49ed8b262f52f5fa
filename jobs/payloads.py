"""A job as the API, the admin's progress endpoint and the `job.finished` event show it."""

from __future__ import annotations

from core.time import iso_millis_z
from jobs.models import Job


def job_payload(job: Job) -> dict:
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "status": job.status,
        "progress": {"done": job.done, "total": job.total},
        "result": job.result,
        "error": job.error or None,
        "created_at": iso_millis_z(job.created_at),
        "finished_at": iso_millis_z(job.finished_at),
    }
