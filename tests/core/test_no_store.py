"""Every API answer, in every dialect and from OAuth, says `Cache-Control: no-store`; the
learner pages keep Django's defaults."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

API_REQUESTS = [
    ("get", "/api/v1/codes"),
    ("post", "/api/v1/redeem"),
    ("get", "/incoming/v2/redemptionCodes"),
    ("get", "/incoming/v2/licenses"),
    ("get", "/redemption_codes"),
    ("get", "/admin-api/redemptions"),
    ("get", "/couponService.do?dispatch=getCoupons"),
    ("get", "/eventService.do"),
    ("get", "/oltpublish/site/couponService.do"),
    ("get", "/connect.do"),
    ("post", "/oauth/token/"),
    ("get", "/api/v1/no-such-thing"),
]


@pytest.mark.parametrize(("method", "path"), API_REQUESTS)
def test_api_answers_say_no_store(client, db, method, path):
    response = getattr(client, method)(path)
    assert "no-store" in response.get("Cache-Control", ""), (path, response.status_code)


def test_a_successful_api_answer_says_no_store(api):
    response = api.get("/api/v1/catalog-items")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_learner_pages_are_not_marked_no_store(client, db):
    response = client.get("/")
    assert "no-store" not in response.get("Cache-Control", "")


def test_every_path_in_the_api_schema_is_under_an_api_prefix(client, db):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = [re.sub(r"\{[^}]+\}", "x", path) for path in schema["paths"]]
    assert [p for p in paths if not p.startswith(tuple(settings.API_PATH_PREFIXES))] == []
