"""`POST /redemption_codes/redeem`: a consumer's OAuth2 token (a real one, from /oauth/token/
with the password grant) and a code; the same redeem service as every other entry point."""

import datetime as dt

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from catalog.access import has_access
from catalog.models import Entitlement
from redemptions import services
from redemptions.models import Redemption
from tests.dialects.zype.support import (
    URL,
    access_token,
    item,
    oauth_application,
    standalone_code,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
REDEEM = f"{URL}/redeem"


@pytest.fixture
def application(db):
    return oauth_application()


@pytest.fixture
def token(learner, application):
    return access_token(learner, application)


@pytest.fixture
def video(db):
    return item(title="Spaceballs", external_id="570dabc8f28347ccfc02e939")


def redeem(token, code, **extra):
    return APIClient().post(REDEEM, {"access_token": token, "code": code, **extra})


def test_a_consumer_redeems_a_code_and_gets_the_code_object_back(token, learner, video):
    code = standalone_code(video, code="RQMJQJB5JX5V6JQ5")
    response = redeem(token, "RQMJQJB5JX5V6JQ5")
    assert response.status_code == 200, response.content
    body = response.json()["response"]
    assert (body["_id"], body["redeemed"], body["available"]) == (str(code.pk), True, False)
    assert body["redeemed_at"] is not None and body["video_id"] == video.external_id
    assert has_access(learner, video).has_access


def test_a_code_in_lower_case_with_dashes_and_spaces_redeems(token, learner, video):
    standalone_code(video, code="RQMJQJB5JX5V6JQ5")
    response = redeem(token, " rqmj-qjb5 jx5v-6jq5 ")
    assert response.status_code == 200, response.content
    assert Redemption.objects.get().user == learner


def test_the_access_token_may_come_in_the_query_string(token, video):
    standalone_code(video, code="QUERYTOKEN")
    response = APIClient().post(f"{REDEEM}?access_token={token}", {"code": "querytoken"})
    assert response.status_code == 200, response.content


def test_a_json_body_works_too(token, video):
    standalone_code(video, code="JSONBODY")
    response = APIClient().post(REDEEM, {"access_token": token, "code": "json-body"},
                                format="json")
    assert response.status_code == 200, response.content


def test_redeeming_again_is_a_422_and_grants_nothing_more(token, learner, video):
    standalone_code(video, code="ONCEONLY", max_redemptions=2)
    assert redeem(token, "ONCEONLY").status_code == 200
    response = redeem(token, "ONCEONLY")
    assert response.status_code == 422
    assert response.json() == {"message": "This code has already been redeemed by this "
                                          "learner."}
    assert Redemption.objects.count() == 1
    assert Entitlement.objects.filter(user=learner).count() == 1


def test_a_code_another_consumer_used_up_is_a_422(application, video):
    standalone_code(video, code="USEDUP")
    services.redeem("USEDUP", UserFactory())
    response = redeem(access_token(UserFactory(), application), "USEDUP")
    assert response.status_code == 422
    assert "already been used" in response.json()["message"]


def test_an_expired_code_is_a_422_and_nothing_changes(token, learner, video):
    standalone_code(video, code="EXPIRED", expiration_date=timezone.now() - dt.timedelta(days=1))
    response = redeem(token, "EXPIRED")
    assert response.status_code == 422
    assert response.json()["message"].startswith("This code expired on ")
    assert not Redemption.objects.exists() and not Entitlement.objects.exists()


def test_an_inactive_code_is_a_422(token, video):
    code = standalone_code(video, code="SWITCHEDOFF")
    services.set_codes_active([code], False)
    assert redeem(token, "SWITCHEDOFF").status_code == 422


def test_an_unknown_code_is_a_404(token):
    response = redeem(token, "NOSUCHCODE")
    assert response.status_code == 404
    assert list(response.json()) == ["message"]


def test_a_missing_code_is_a_400_naming_it(token):
    response = APIClient().post(REDEEM, {"access_token": token})
    assert response.status_code == 400
    assert response.json() == {"message": "code: This field is required."}


@pytest.mark.parametrize("bad", ["not-a-token", ""])
def test_a_bad_or_missing_token_is_a_401_and_nothing_changes(bad, video):
    standalone_code(video, code="GUARDED")
    response = redeem(bad, "GUARDED")
    assert response.status_code == 401
    assert list(response.json()) == ["message"]
    assert not Redemption.objects.exists()


def test_an_expired_token_is_a_401(token, learner, video):
    AccessToken.objects.filter(user=learner).update(
        expires=timezone.now() - dt.timedelta(seconds=1))
    standalone_code(video, code="LATETOKEN")
    assert redeem(token, "LATETOKEN").status_code == 401


def test_an_api_key_cannot_redeem_for_nobody(api, video):
    standalone_code(video, code="KEYONLY")
    response = api.post(REDEEM, {"code": "KEYONLY"})
    assert response.status_code == 403
    assert not Redemption.objects.exists()


def test_bulk_created_codes_redeem_through_the_same_service(api_key, token, learner, video):
    client = APIClient()
    made = client.post(f"{URL}/bulk_create", {"api_key": api_key[1], "amount": 3,
                                              "redemption_codes[video_id]": video.external_id})
    assert made.status_code == 201, made.content
    nice = made.json()["response"][1]["nice_code"].lower()
    response = redeem(token, nice)
    assert response.status_code == 200, response.content
    assert response.json()["response"]["redeemed"] is True
    assert has_access(learner, video).has_access


def test_repeated_failures_are_throttled_with_429_and_retry_after(settings, token, video):
    settings.REDEEM_FAILURES_PER_LEARNER = 3
    for _ in range(3):
        assert redeem(token, "NOSUCHCODE0000").status_code == 404
    standalone_code(video, code="RQMJQJB5JX5V6JQ5")
    response = redeem(token, "RQMJQJB5JX5V6JQ5")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert set(response.json()) == {"message"}
    assert not Redemption.objects.exists()
