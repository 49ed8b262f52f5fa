"""Every CSV the project writes keeps a cell that a spreadsheet would run as a formula as text
(`core.spreadsheets`): the exports of codes through the native API, Thought Industries, the
admin's download and the export job's file."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from core.spreadsheets import neutral_cell
from redemptions import services
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory

ROOT = Path(__file__).resolve().parents[2]
FORMULA = "=1+2@example.com"


@pytest.mark.parametrize("value", ["=1+2", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote(value):
    assert neutral_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["", "ABCD-EFGH", "ann@example.com", "true",
                                   "https://learn.example.com/redeem?x=-1", 5, None])
def test_other_cells_are_left_as_they_are(value):
    assert neutral_cell(value) == value


def test_no_module_writes_csv_but_through_the_neutral_writer():
    writers = [str(path.relative_to(ROOT)) for package in ("accounts", "catalog", "core",
                                                           "coupons", "dialects", "events",
                                                           "jobs", "licensing", "redemptions")
               for path in (ROOT / package).rglob("*.py")
               if re.search(r"csv\.(writer|DictWriter)\(", path.read_text())]
    assert writers == ["core/spreadsheets.py"]


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def group(db):
    group = CodeGroupFactory(label="Spring")
    services.redeem(CodeFactory(group=group).code, UserFactory(email=FORMULA))
    return group


def test_the_native_csv_keeps_a_formula_like_email_as_text(api, group):
    rows = rows_of(api.get(f"/api/v1/code-groups/{group.pk}/codes?format=csv"))
    assert rows[1][2] == "'" + FORMULA


def test_thought_industries_csv_keeps_a_formula_like_email_as_text(api, group):
    rows = rows_of(api.get(f"/incoming/v2/redemptionCodes/{group.pk}/codes", {"format": "csv"}))
    assert rows[1][2] == "'" + FORMULA


def test_the_admins_csv_keeps_a_formula_like_email_as_text(admin_client, group):
    rows = rows_of(admin_client.get(f"/admin/redemptions/codegroup/{group.pk}/codes.csv"))
    assert rows[1][2] == "'" + FORMULA


def test_the_export_jobs_file_keeps_a_formula_like_email_as_text(api, group, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    response = api.post("/api/v1/exports", {"code_group": str(group.pk)}, format="json")
    job = services.run_code_export(response.json()["id"])  # what the worker does
    rows = rows_of(api.get(job.result["download_url"]))
    assert rows[1][2] == "'" + FORMULA
