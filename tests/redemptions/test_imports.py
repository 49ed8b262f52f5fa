"""Importing existing codes from CSV: every code of a clean file, normalised, with its own uses
and expiry, in a group that says `uploaded`; a file with bad or duplicate lines reports each
with its line number and creates nothing."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from jobs.models import JobStatus
from redemptions import services
from redemptions.models import Code, CodeGroup
from tests.redemptions.factories import CodeFactory, OfferFactory


@pytest.fixture(autouse=True)
def job_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.JOB_CHUNK_SIZE = 2


def import_csv(text, **extra):
    group = services.start_code_import(file=ContentFile(text.encode(), name="codes.csv"),
                                       label="Moved", offer=OfferFactory(), **extra)
    return group, services.run_code_import(group.job_id)


def test_a_clean_file_imports_every_code_normalised_with_its_uses_and_expiry(db):
    group, job = import_csv("code,max_uses,expires\nspring-0001,3,2027-06-30\n"
                            "SPRING 0002,,\n\nspring0003\n", redemptions_per_code=2)
    assert (job.status, job.done, job.result["codes"]) == (JobStatus.SUCCEEDED, 3, 3)
    codes = {c.code: c for c in Code.objects.filter(group=group)}
    assert sorted(codes) == ["SPRING0001", "SPRING0002", "SPRING0003"]
    assert [codes[c].max_redemptions for c in sorted(codes)] == [3, 2, 2]
    assert codes["SPRING0001"].expiration_date == dt.datetime(2027, 6, 30, tzinfo=dt.UTC)
    group.refresh_from_db()
    assert (group.uploaded, group.ready, group.total_codes_count) == (True, True, 3)


def test_a_file_with_bad_and_duplicate_lines_reports_each_and_creates_nothing(db):
    CodeFactory(code="TAKEN123")
    group, job = import_csv("GOOD0001\nab\nGOOD-0001\ntaken-123\nGOOD0002,many\n"
                            "GOOD0003,1,someday\nGOOD0004\n")
    assert job.status == JobStatus.FAILED
    assert [(p["line"], p["code"]) for p in job.result["problems"]] == [
        (2, "ab"), (3, "GOOD0001"), (4, "TAKEN123"), (5, "GOOD0002"), (6, "GOOD0003")]
    assert job.result["problems"][1]["message"] == "Duplicate of line 1."
    assert job.result["count"] == 5
    assert not CodeGroup.objects.filter(pk=group.pk).exists()
    assert not Code.objects.filter(code__startswith="GOOD").exists()


def test_an_empty_file_is_refused(db):
    _, job = import_csv("code\n\n")
    assert (job.status, job.error) == (JobStatus.FAILED, "The file holds no codes.")


def test_a_code_that_exists_and_repeats_is_reported_as_existing_once_then_as_duplicates(db):
    CodeFactory(code="TAKEN123")
    _, job = import_csv("TAKEN123\nGOOD0001\ntaken-123\n")
    assert [(p["line"], p["message"]) for p in job.result["problems"]] == [
        (1, "This code exists already."), (3, "Duplicate of line 1.")]


def test_two_imports_in_one_transaction_are_each_checked(db):
    _, first = import_csv("FIRST001\n")
    _, second = import_csv("SECOND01\nFIRST001\n")
    assert first.status == JobStatus.SUCCEEDED
    assert [p["line"] for p in second.result["problems"]] == [2]
