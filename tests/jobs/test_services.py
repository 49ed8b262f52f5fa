"""Jobs run chunk by chunk: a generation job makes exactly its codes and then (only then) a
redeemable group; cancelled or failed, it leaves no group; a job whose worker died resumes
where its last chunk committed; `job.finished` is written with the outcome."""

import datetime as dt

import pytest
from django.utils import timezone

from events.models import Event, EventKind
from jobs import services as jobs
from jobs.errors import JobAlreadyFinished
from jobs.models import Job, JobStatus
from redemptions import services
from redemptions.errors import CodeGroupBusy, CodeNotFound
from redemptions.models import Code, CodeGroup
from tests.factories import UserFactory
from tests.jobs.factories import JobFactory
from tests.redemptions.factories import OfferFactory


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.JOB_CHUNK_SIZE = 40


def start(count=130, **extra):
    return services.start_code_group_generation(
        label="Big", offer=OfferFactory(), count=count, code_length=10, max_count=None,
        **extra)


def test_a_generation_job_makes_exactly_its_codes_and_a_ready_group(db):
    group = start()
    job = services.run_code_group_generation(group.job_id)
    group.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 130, 130)
    assert group.ready and Code.objects.filter(group=group).count() == 130
    assert job.result == {"code_group": str(group.pk), "codes": 130}


def test_a_group_whose_job_has_not_succeeded_cannot_be_redeemed(db):
    group = start()
    seen = []

    def try_to_redeem(job):
        code = Code.objects.filter(group=group).first()
        with pytest.raises(CodeNotFound):
            services.redeem(code.code, UserFactory())
        seen.append(job.done)

    services.run_code_group_generation(group.job_id, progress=try_to_redeem)
    assert seen == [40, 80, 120, 130]


def test_a_cancelled_running_job_stops_at_its_next_chunk_and_leaves_no_group(db):
    group = start()
    services.run_code_group_generation(group.job_id,
                                       progress=lambda job: jobs.cancel_job(job))
    job = Job.objects.get(pk=group.job_id)
    assert (job.status, job.done) == (JobStatus.CANCELLED, 40)
    assert not CodeGroup.objects.filter(pk=group.pk).exists()
    assert not Code.objects.filter(offer=group.offer).exists()


def test_a_cancelled_queued_job_finishes_at_once_and_its_worker_removes_the_group(db):
    group = start()
    job = jobs.cancel_job(group.job)
    assert job.status == JobStatus.CANCELLED and job.finished_at is not None
    services.run_code_group_generation(job.pk)  # what the worker does with its message
    assert not CodeGroup.objects.filter(pk=group.pk).exists()


def test_a_finished_job_cannot_be_cancelled(db):
    job = JobFactory(status=JobStatus.SUCCEEDED)
    with pytest.raises(JobAlreadyFinished):
        jobs.cancel_job(job)


def test_a_failed_job_says_why_and_leaves_no_group(db, monkeypatch):
    group = start()
    real = Code.objects.generate
    calls = []

    def fail_on_the_second_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return real(**kwargs)

    monkeypatch.setattr(Code.objects, "generate", fail_on_the_second_chunk)
    job = services.run_code_group_generation(group.job_id)
    assert (job.status, job.error) == (JobStatus.FAILED, "the disk is full")
    assert not CodeGroup.objects.filter(pk=group.pk).exists()
    assert not Code.objects.filter(offer=group.offer).exists()


def test_a_job_whose_worker_died_resumes_after_its_last_chunk(db):
    group = start()
    with pytest.raises(WorkerDied):
        services.run_code_group_generation(group.job_id, progress=_die)
    job = Job.objects.get(pk=group.job_id)
    assert (job.status, job.done) == (JobStatus.RUNNING, 40)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    job = services.run_code_group_generation(job.pk)
    assert (job.status, job.done, job.attempts) == (JobStatus.SUCCEEDED, 130, 2)
    assert Code.objects.filter(group=group).count() == 130


class WorkerDied(BaseException):
    """Stands for the process vanishing: nothing after it runs (not even `except Exception`)."""


def _die(job):
    raise WorkerDied()


def test_a_running_job_with_a_fresh_heartbeat_is_not_claimed_twice(db):
    job = JobFactory(status=JobStatus.RUNNING, heartbeat_at=timezone.now())
    assert jobs.claim(job.pk) is None


def test_the_sweep_sends_again_jobs_whose_heartbeat_is_old(db, monkeypatch):
    old = timezone.now() - dt.timedelta(hours=1)
    lost = JobFactory(status=JobStatus.RUNNING, heartbeat_at=old)
    JobFactory(status=JobStatus.RUNNING, heartbeat_at=timezone.now())
    sent = []
    monkeypatch.setattr(jobs, "send", sent.append)
    assert jobs.sweep_stale_jobs() == [lost] and sent == [lost]


def test_a_finished_job_writes_its_job_finished_event(db):
    group = start(created_by=UserFactory())
    services.run_code_group_generation(group.job_id)
    event = Event.objects.get(kind=EventKind.JOB_FINISHED)
    assert event.object_id == str(group.job_id)
    assert event.data["status"] == "succeeded" and event.user == group.job.created_by


def test_with_no_broker_the_server_runs_the_job_in_a_thread_of_its_own(transactional_db,
                                                                       settings):
    from bench.webhooks import wait_for

    settings.CELERY_TASK_ALWAYS_EAGER = True  # `make run`: no CELERY_BROKER_URL
    group = start()
    job = wait_for(lambda: (j := Job.objects.get(pk=group.job_id)).is_finished and j,
                   "the job to finish")
    assert (job.status, job.done) == (JobStatus.SUCCEEDED, 130)


def ready_group(count=30):
    group = start(count=count)
    services.run_code_group_generation(group.job_id)
    group.refresh_from_db()
    return group


def test_an_addition_job_adds_exactly_its_codes_switched_on_only_when_it_succeeded(db):
    group = ready_group()
    job = services.start_code_addition(group, count=100, queue=False)
    switched_off = []

    def look(job):
        switched_off.append(Code.objects.filter(group=group, is_active=False).count())

    job = services.run_code_group_generation(job.pk, progress=look)
    group.refresh_from_db()
    assert (job.status, job.result["codes"]) == (JobStatus.SUCCEEDED, 100)
    assert switched_off == [40, 80, 100]
    assert (group.total_codes_count, group.codes.filter(is_active=True).count()) == (130, 130)


def test_a_cancelled_addition_removes_the_codes_it_added_and_leaves_the_group_as_it_was(db):
    group = ready_group()
    job = services.start_code_addition(group, count=100, queue=False)
    job = services.run_code_group_generation(job.pk, progress=lambda job: jobs.cancel_job(job))
    group.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert (group.total_codes_count, group.codes.count()) == (30, 30)
    assert group.codes.filter(is_active=True).count() == 30


def test_a_group_takes_one_addition_at_a_time(db):
    group = ready_group()
    services.start_code_addition(group, count=10, queue=False)
    with pytest.raises(CodeGroupBusy):
        services.start_code_addition(group, count=10, queue=False)


def test_codes_cannot_be_added_to_a_group_still_being_generated(db):
    with pytest.raises(CodeGroupBusy):
        services.start_code_addition(start(), count=10, queue=False)
