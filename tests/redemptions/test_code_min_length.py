"""A redemption code chosen by hand has at least `REDEMPTION_CODE_MIN_LENGTH` letters or digits
(default 6): the rule is `redemptions.codes.clean_code`, and the native API, Zype, Tizra and the
CSV import (the admin's "Import codes" page runs it) refuse a shorter code saying why."""

import pytest
from django.core.files.base import ContentFile

from jobs.models import JobStatus
from redemptions import services
from redemptions.codes import clean_code
from redemptions.errors import CodeTooShort
from redemptions.models import Code
from tests.dialects.zype.support import Zype
from tests.factories import CatalogItemFactory
from tests.redemptions.factories import CodeFactory, OfferFactory

pytestmark = pytest.mark.django_db
SHORT = "ab-cde"  # five letters once normalised


def test_a_code_shorter_than_six_is_refused_by_default_naming_the_minimum():
    with pytest.raises(CodeTooShort) as refusal:
        clean_code(SHORT)
    assert refusal.value.data == {"min_length": 6}
    assert "at least 6 letters or digits (this one has 5)" in refusal.value.message


def test_a_code_of_six_is_kept():
    assert clean_code("abc-def") == "ABCDEF"


def test_the_minimum_is_a_setting(settings):
    settings.REDEMPTION_CODE_MIN_LENGTH = 8
    with pytest.raises(CodeTooShort):
        clean_code("ABCDEFG")
    assert clean_code("ABCDEFGH") == "ABCDEFGH"


def test_the_native_api_refuses_a_short_code_with_the_reason(api):
    response = api.post("/api/v1/codes", {"offer": str(OfferFactory().pk), "code": SHORT},
                        format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["code"], error["field"]) == ("code_too_short", "code")
    assert "at least 6" in error["message"]
    assert not Code.objects.exists()


def test_zype_refuses_a_short_code_with_the_reason(api_key):
    CatalogItemFactory(kind="video", external_id="vid-1")
    response = Zype(api_key[1]).post(data={"redemption_code[code]": SHORT,
                                           "redemption_code[video_id]": "vid-1"})
    assert response.status_code == 422
    assert "at least 6" in response.content.decode()
    assert not Code.objects.exists()


def test_tizra_refuses_a_short_access_code_with_the_reason(api):
    response = api.post("/admin-api/redemptions", {
        "batch": "b", "action-type": "apply-offer", "access-control-id": str(OfferFactory().pk),
        "access-code": SHORT}, format="json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("access-code: A code chosen by hand has at least 6")
    assert not Code.objects.exists()


def test_an_import_names_each_short_line_and_creates_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    group = services.start_code_import(
        file=ContentFile(b"LONGENOUGH1\nab-cde\n", name="codes.csv"), label="Moved",
        offer=OfferFactory())
    job = services.run_code_import(group.job_id)
    assert job.status == JobStatus.FAILED
    [problem] = job.result["problems"]
    assert problem["line"] == 2 and "at least 6" in problem["message"]
    assert not Code.objects.exists()


def test_a_learner_still_redeems_a_shorter_code_made_before_the_rule(learner):
    code = CodeFactory(code="OLD1")
    assert services.redeem("old1", learner).code == code
