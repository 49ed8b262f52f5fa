"""A download of a group's codes is complete or visibly not given: above
CSV_STREAM_MAX_CODES the admin and every API that exports hand the group to the export job
(whose result states the rows its file holds, checked here against the database), never a
stream a timeout would cut off after its 200. The streamed rows are the same as before they
were read as plain tuples."""

import csv
import io
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from jobs.models import Job, JobStatus
from redemptions import exports, services
from redemptions.codes import Alphabet, nice_code
from redemptions.models import Code
from tests.factories import ApiKeyFactory, UserFactory
from tests.redemptions.factories import OfferFactory

pytestmark = pytest.mark.django_db

GROUPS = "/admin/redemptions/codegroup/"


@pytest.fixture
def job_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.JOB_CHUNK_SIZE = 2  # several chunks, so the count adds them up


@pytest.fixture
def big(settings):
    """A group above the stream limit (the limit lowered to 3 codes), one code redeemed."""
    settings.CSV_STREAM_MAX_CODES = 3
    group = services.create_code_group(label="Big", offer=OfferFactory(), count=5,
                                       code_length=10)
    services.redeem(group.codes.order_by("id").first().code, UserFactory(email="a@example.com"))
    return group


def file_rows(job: Job, settings) -> list[list[str]]:
    text = (Path(settings.MEDIA_ROOT) / job.params["file"]).read_text()
    return list(csv.reader(io.StringIO(text)))


def assert_complete(job_id, group, settings):
    """The job wrote every code of the group, and its result says how many rows that is."""
    job = services.run_code_export(job_id)  # what the worker does
    rows = file_rows(job, settings)
    in_database = Code.objects.filter(group=group).count()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["rows"] == len(rows) - 1 == in_database == 5
    assert sorted(r[0] for r in rows[1:]) == sorted(group.codes.values_list("code", flat=True))


def test_the_admin_offers_a_big_group_to_the_export_job_instead_of_a_download(
        admin_client, big, job_files, settings):
    page = admin_client.get(f"{GROUPS}{big.pk}/codes.csv")
    assert not page.streaming and "Export to a file" in page.content.decode()
    assert not Job.objects.exists()  # looking at the offer starts nothing


def test_the_admin_lands_on_the_export_jobs_page_whose_file_holds_every_code(
        admin_client, big, job_files, settings):
    response = admin_client.post(f"{GROUPS}{big.pk}/codes.csv")
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/jobs/job/{job.pk}/change/"
    assert_complete(job.pk, big, settings)


def test_the_group_list_links_a_big_groups_export_without_a_download_attribute(
        admin_client, big):
    page = admin_client.get(GROUPS).content.decode()
    assert "Export the codes to a file (a job)" in page
    assert f'href="{GROUPS}{big.pk}/codes.csv" download' not in page


def test_the_native_csv_of_a_big_group_is_a_202_with_its_export_job(api, big, job_files,
                                                                        settings):
    response = api.get(f"/api/v1/code-groups/{big.pk}/codes", {"format": "csv"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["progress"]["total"]) == (
        "export_codes", "queued", 5)
    assert_complete(body["id"], big, settings)


def test_a_key_that_may_not_start_jobs_gets_a_403_for_a_big_groups_csv_and_no_job(big):
    _, key = ApiKeyFactory.create_with_key(role="read-only")
    response = APIClient().get(f"/api/v1/code-groups/{big.pk}/codes", {"format": "csv"},
                               HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403
    assert "may not start the export job" in response.json()["errors"][0]["message"]
    assert not Job.objects.exists()


def test_the_thought_industries_csv_of_a_big_group_is_a_202_with_its_export_job(
        api, big, job_files, settings):
    response = api.get(f"/incoming/v2/redemptionCodes/{big.pk}/codes", {"format": "csv"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["progress"]) == (
        "export_codes", "queued", {"done": 0, "total": 5})
    assert body["statusUrl"] == f"/api/v1/jobs/{body['id']}"
    assert body["fileUrl"] == f"/api/v1/exports/{body['id']}/file"
    assert_complete(body["id"], big, settings)


def test_a_thought_industries_csv_filtered_to_more_than_the_limit_is_a_400(api, big):
    response = api.get(f"/incoming/v2/redemptionCodes/{big.pk}/codes",
                       {"format": "csv", "redeemed": "false"})  # 4 codes, above 3
    assert response.status_code == 400
    assert "Narrow the filters" in response.json()["errors"][0]
    assert not Job.objects.exists()


def test_a_thought_industries_csv_filtered_within_the_limit_still_streams(api, big):
    response = api.get(f"/incoming/v2/redemptionCodes/{big.pk}/codes",
                       {"format": "csv", "redeemed": "true"})
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r[:3] for r in rows[1:]] == [[big.codes.order_by("id").first().code, "true",
                                          "a@example.com"]]


def test_an_export_job_counts_only_the_rows_it_wrote_when_codes_go_meanwhile(
        job_files, settings):
    group = services.create_code_group(label="Shrinks", offer=OfferFactory(), count=5,
                                       code_length=10)
    job = services.start_code_export(group)
    Code.objects.filter(pk=group.codes.order_by("id").last().pk).delete()
    job = services.run_code_export(job.pk)
    assert job.result["rows"] == len(file_rows(job, settings)) - 1 == 4


def test_streamed_rows_show_hex_codes_lower_case_and_every_standing_redeemer(settings):
    settings.SITE_URL, settings.SITE_SLUG = "https://learn.example.com", "a b"
    group = services.create_code_group(label="Hex", offer=OfferFactory(), count=2,
                                       code_length=12, alphabet=Alphabet.HEX,
                                       redemptions_per_code=2)
    used, fresh = group.codes.order_by("id")
    services.redeem(used.code, UserFactory(email="x@example.com"))
    services.redeem(used.code, UserFactory(email="y@example.com"))
    text = "".join(exports.code_csv_rows(Code.objects.filter(group=group)))
    rows = list(csv.reader(io.StringIO(text)))
    link = "https://learn.example.com/redeem/a%20b?redemptionCode="
    assert rows[1][:3] == [used.code.lower(), "true", "x@example.com;y@example.com"]
    assert rows[1][3].endswith("Z")
    assert rows[2] == [fresh.code.lower(), "false", "", "", nice_code(fresh.code.lower()),
                       link + fresh.code.lower()]
