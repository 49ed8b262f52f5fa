"""Native API for jobs: a code group above 10,000 codes is a 202 with its job, followed at
`GET /api/v1/jobs/{id}` and cancelled at `POST /api/v1/jobs/{id}/cancel`."""

import pytest

from jobs.models import Job, JobStatus
from redemptions.models import CodeGroup
from tests.jobs.factories import JobFactory
from tests.redemptions.factories import OfferFactory


def errors(response):
    return [(e["code"], e["field"]) for e in response.json()["errors"]]


def test_a_code_group_above_ten_thousand_codes_is_a_202_with_its_job(api):
    response = api.post("/api/v1/code-groups", {"label": "Big", "offer": str(OfferFactory().pk),
                                                "count": 10_001}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["progress"]) == (
        "generate_codes", "queued", {"done": 0, "total": 10_001})
    group = CodeGroup.objects.get(job_id=body["id"])
    assert (group.total_codes_count, group.ready) == (10_001, False)


def test_a_job_is_shown_with_its_progress(api):
    job = JobFactory(status=JobStatus.RUNNING, done=30, total=100)
    body = api.get(f"/api/v1/jobs/{job.pk}").json()
    assert (body["id"], body["status"], body["progress"]) == (
        str(job.pk), "running", {"done": 30, "total": 100})
    assert body["result"] is None and body["error"] is None


@pytest.mark.parametrize("ident", ["7d0e3f52-6c1a-4f2e-9d55-0b0c3c1b1a11", "not-an-id"])
def test_an_unknown_job_is_a_404(api, ident):
    response = api.get(f"/api/v1/jobs/{ident}")
    assert response.status_code == 404
    assert errors(response) == [("job_not_found", None)]


def test_cancelling_a_queued_job_cancels_it(api):
    job = JobFactory()
    response = api.post(f"/api/v1/jobs/{job.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert Job.objects.get(pk=job.pk).cancel_requested


def test_cancelling_a_finished_job_is_a_409(api):
    job = JobFactory(status=JobStatus.FAILED)
    response = api.post(f"/api/v1/jobs/{job.pk}/cancel")
    assert response.status_code == 409
    assert errors(response) == [("job_finished", None)]


def test_jobs_need_credentials(db, anon):
    assert anon.get(f"/api/v1/jobs/{JobFactory().pk}").status_code == 401
