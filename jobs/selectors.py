"""Reads of jobs shared by the API and the admin."""

from __future__ import annotations

from core.filters import is_uuid
from jobs.errors import JobNotFound
from jobs.models import Job


def job(ident: object) -> Job:
    """The job with this id, or JobNotFound (also for text that is no id at all)."""
    found = Job.objects.filter(pk=ident).first() if is_uuid(ident) else None
    if found is None:
        raise JobNotFound()
    return found
