"""Native API for jobs: a code group above 10,000 codes is a 202 with its job, followed at
`GET /api/v1/jobs/{id}` and cancelled at `POST /api/v1/jobs/{id}/cancel`."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jobs.models import Job, JobStatus
from redemptions import services
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


@pytest.fixture
def job_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_an_import_is_a_202_whose_failed_job_names_each_bad_line(api, job_files):
    upload = SimpleUploadedFile("codes.csv", b"code\nGOOD0001\nGOOD0001\nx\n", "text/csv")
    response = api.post("/api/v1/code-groups/import",
                        {"file": upload, "label": "Moved", "offer": str(OfferFactory().pk)},
                        format="multipart")
    assert response.status_code == 202, response.content
    services.run_code_import(response.json()["id"])  # what the worker does
    body = api.get(f"/api/v1/jobs/{response.json()['id']}").json()
    assert body["status"] == "failed"
    assert [p["line"] for p in body["result"]["problems"]] == [3, 4]
    assert not CodeGroup.objects.exists()


def test_an_imported_group_says_uploaded_in_thought_industries_list_and_detail(api, job_files):
    upload = SimpleUploadedFile("codes.csv", b"MOVED0001\nMOVED0002\n", "text/csv")
    job_id = api.post("/api/v1/code-groups/import",
                      {"file": upload, "label": "Moved", "offer": str(OfferFactory().pk)},
                      format="multipart").json()["id"]
    services.run_code_import(job_id)
    group = CodeGroup.objects.get(job_id=job_id)
    detail = api.get(f"/incoming/v2/redemptionCodes/{group.pk}").json()
    listed = api.get("/incoming/v2/redemptionCodes").json()
    assert detail["uploaded"] is True
    assert [g["uploaded"] for g in listed["redemptionCodeGroups"]] == [True]


def test_an_import_without_a_file_is_a_400(api):
    response = api.post("/api/v1/code-groups/import",
                        {"label": "Moved", "offer": str(OfferFactory().pk)}, format="multipart")
    assert response.status_code == 400
    assert errors(response)[0][1] == "file"


def test_an_export_job_writes_every_code_to_a_file_staff_download(api, job_files, settings):
    settings.JOB_CHUNK_SIZE = 2
    group = services.create_code_group(label="Exported", offer=OfferFactory(), count=5,
                                       code_length=10)
    response = api.post("/api/v1/exports", {"code_group": str(group.pk)}, format="json")
    assert response.status_code == 202, response.content
    job = services.run_code_export(response.json()["id"])  # what the worker does
    assert (job.status, job.done, job.result["rows"]) == (JobStatus.SUCCEEDED, 5, 5)
    download = api.get(job.result["download_url"])
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert rows[0] == ["code", "redeemed", "redeemedBy", "redeemedAt", "niceCode",
                       "redemptionUrl"]
    assert sorted(r[0] for r in rows[1:]) == sorted(group.codes.values_list("code", flat=True))


def test_an_export_resumed_after_a_crash_cuts_off_what_the_dead_worker_wrote(
        api, job_files, settings):
    settings.JOB_CHUNK_SIZE = 2
    group = services.create_code_group(label="Exported", offer=OfferFactory(), count=5,
                                       code_length=10)
    job = services.start_code_export(group)

    def crash_after_writing_more(job):
        with open(Path(settings.MEDIA_ROOT) / job.params["file"], "ab") as out:
            out.write(b"HALF-WRITTEN,ROW\\n")  # written, never committed
        raise WorkerDied()

    with pytest.raises(WorkerDied):
        services.run_code_export(job.pk, progress=crash_after_writing_more)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    job = services.run_code_export(job.pk)
    rows = (Path(settings.MEDIA_ROOT) / job.params["file"]).read_text().splitlines()
    assert len(rows) == 6 and "HALF-WRITTEN,ROW" not in rows


class WorkerDied(BaseException):
    """Stands for the process vanishing mid-job."""


def test_an_unfinished_export_has_no_file_yet(api):
    job = JobFactory(kind="export_codes")
    assert api.get(f"/api/v1/exports/{job.pk}/file").status_code == 404
