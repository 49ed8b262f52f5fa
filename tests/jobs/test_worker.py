"""Generation on a real Celery worker process over Redis: a worker killed with SIGKILL mid-job
leaves exactly the codes its committed chunks say, in a group nobody can redeem, and the next
worker (the sweep sends the job again) finishes it with exactly the codes asked for."""

import pytest

from bench.webhooks import wait_for
from jobs.models import Job, JobStatus
from redemptions import services
from redemptions.errors import CodeNotFound
from redemptions.models import Code, CodeGroup
from tests.factories import UserFactory
from tests.redemptions.factories import OfferFactory

pytestmark = pytest.mark.postgres

COUNT = 2000  # 40 chunks of 50 (JOB_ENV), a pause after each


def job_of(group):
    return Job.objects.get(pk=group.job_id)


def test_a_worker_killed_mid_generation_leaves_a_job_the_next_worker_finishes(jobs_worker):
    group = services.start_code_group_generation(
        label="Killed", offer=OfferFactory(), count=COUNT, code_length=10, max_count=None)
    wait_for(lambda: job_of(group).done >= 200, "the job to be under way")
    jobs_worker.kill()

    job = job_of(group)
    assert job.status == JobStatus.RUNNING and 0 < job.done < COUNT
    assert Code.objects.filter(group=group).count() == job.done  # committed chunks only
    with pytest.raises(CodeNotFound):
        services.redeem(Code.objects.filter(group=group).first().code, UserFactory())

    jobs_worker.start()
    job = wait_for(lambda: (j := job_of(group)).is_finished and j, "the job to finish", 60)
    assert (job.status, job.done, job.attempts) == (JobStatus.SUCCEEDED, COUNT, 2)
    assert Code.objects.filter(group=group).count() == COUNT
    assert CodeGroup.objects.get(pk=group.pk).ready


def test_a_job_cancelled_while_the_worker_runs_it_leaves_no_group(jobs_worker, api):
    group = services.start_code_group_generation(
        label="Cancelled", offer=OfferFactory(), count=COUNT, code_length=10, max_count=None)
    wait_for(lambda: job_of(group).done >= 100, "the job to be under way")
    assert api.post(f"/api/v1/jobs/{group.job_id}/cancel").status_code == 200
    job = wait_for(lambda: (j := job_of(group)).is_finished and j, "the job to stop")
    assert job.status == JobStatus.CANCELLED and job.done < COUNT
    assert not CodeGroup.objects.filter(pk=group.pk).exists()
    assert not Code.objects.filter(offer=group.offer).exists()
