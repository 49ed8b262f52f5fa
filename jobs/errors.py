"""The refusals of the jobs app, each its own class (every dialect's table words them)."""

from core.errors import Conflict, NotFound


class JobNotFound(NotFound):
    default_code = "job_not_found"
    default_message = "No such job."


class JobAlreadyFinished(Conflict):
    """Cancelling a job that has already succeeded, failed or been cancelled."""

    default_code = "job_finished"
    default_message = "This job has already finished; it cannot be cancelled."


class JobCancelled(Exception):
    """Raised inside a running job when staff asked to cancel it (not a refusal: the job's
    runner catches it and discards the job's partial work)."""
