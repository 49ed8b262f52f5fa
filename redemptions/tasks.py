"""Celery tasks of the redemptions app: thin, they call the services.

Acknowledged late: a worker killed mid-job leaves its message to be delivered again, and the
jobs sweep sends it sooner; either way the job resumes after its last committed chunk.
"""

from celery import shared_task

from redemptions import services


@shared_task(name="redemptions.run_generation", ignore_result=True, acks_late=True,
             reject_on_worker_lost=True)
def run_generation(job_id: str) -> None:
    services.run_code_group_generation(job_id)


@shared_task(name="redemptions.run_import", ignore_result=True, acks_late=True,
             reject_on_worker_lost=True)
def run_import(job_id: str) -> None:
    services.run_code_import(job_id)


@shared_task(name="redemptions.run_export", ignore_result=True, acks_late=True,
             reject_on_worker_lost=True)
def run_export(job_id: str) -> None:
    services.run_code_export(job_id)
