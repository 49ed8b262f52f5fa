"""Brute-force protection on the native redeem endpoints: failed attempts count per learner
and per IP (shared with the web page), and too many answer 429 with `Retry-After` in the
native envelope."""

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from rest_framework.test import APIClient

from redemptions.models import Redemption
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.REDEEM_FAILURES_PER_LEARNER = 3
    settings.REDEEM_FAILURES_PER_IP = 5
    settings.REDEEM_FAILURE_WINDOW_SECONDS = 600


def token_client(user, ip="203.0.113.7"):
    """A client holding `user`'s OAuth2 token, calling from `ip`."""
    app = Application.objects.create(name="web", client_type="confidential",
                                     authorization_grant_type="password", user=None)
    token = f"token-{user.pk}"
    AccessToken.objects.create(user=user, application=app, token=token, scope="read redeem",
                               expires=timezone.now() + timezone.timedelta(hours=1))
    client = APIClient(REMOTE_ADDR=ip)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def redeem(client, code, path="/api/v1/redeem", **extra):
    return client.post(path, {"code": code, **extra}, format="json")


def test_too_many_failures_answer_429_with_retry_after_in_the_native_envelope(limits,
                                                                              learner):
    client = token_client(learner)
    for _ in range(3):
        assert redeem(client, "WRONG123").status_code == 404
    good = CodeFactory()
    response = redeem(client, good.code)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    [error] = response.json()["errors"]
    assert error["code"] == "throttled"
    assert "Too many failed redemption attempts" in error["message"]
    assert not Redemption.objects.exists()


def test_successes_are_not_counted(limits, learner):
    client = token_client(learner)
    for _ in range(4):
        assert redeem(client, CodeFactory().code).status_code == 201


def test_already_redeemed_by_yourself_is_not_counted(limits, learner):
    client = token_client(learner)
    code = CodeFactory(max_redemptions=5)
    assert redeem(client, code.code).status_code == 201
    for _ in range(4):
        assert redeem(client, code.code).status_code == 422
    assert redeem(client, CodeFactory().code).status_code == 201


def test_other_refusals_count(limits, learner):
    client = token_client(learner)
    for code in (CodeFactory(is_active=False), CodeFactory(expiration_date=timezone.now()),
                 CodeFactory(max_redemptions=1, redemptions_count=1)):
        assert redeem(client, code.code).status_code == 422
    assert redeem(client, CodeFactory().code).status_code == 429


def test_failed_checks_count_too(limits, learner):
    client = token_client(learner)
    for _ in range(3):
        response = redeem(client, "WRONG123", path="/api/v1/redeem/check")
        assert response.status_code == 200 and response.json()["redeemable"] is False
    response = redeem(client, "WRONG123", path="/api/v1/redeem/check")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert redeem(client, CodeFactory().code).status_code == 429


def test_a_redeemable_check_is_not_counted(limits, learner):
    client = token_client(learner)
    code = CodeFactory()
    for _ in range(4):
        assert redeem(client, code.code, path="/api/v1/redeem/check").json()["redeemable"]


def test_the_ip_limit_covers_every_learner_on_that_ip(limits):
    for _ in range(5):
        assert redeem(token_client(UserFactory()), "WRONG123").status_code == 404
    assert redeem(token_client(UserFactory()), CodeFactory().code).status_code == 429
    other_ip = token_client(UserFactory(), ip="198.51.100.4")
    assert redeem(other_ip, CodeFactory().code).status_code == 201


def test_an_api_key_is_counted_per_learner_not_per_server_ip(limits, api):
    for _ in range(6):  # six learners' typos from one vendor backend: over the IP limit
        user = UserFactory()
        assert redeem(api, "WRONG123", user=user.email).status_code == 404
    assert redeem(api, CodeFactory().code, user=UserFactory().email).status_code == 201


def test_an_api_key_still_throttles_the_learner_it_names(limits, api, learner):
    for _ in range(3):
        redeem(api, "WRONG123", user=learner.email)
    response = redeem(api, CodeFactory().code, user=learner.email)
    assert response.status_code == 429 and response.has_header("Retry-After")


def test_the_redemption_records_the_client_ip_behind_a_trusted_proxy(settings, learner):
    settings.NUM_PROXIES = 1
    client = token_client(learner, ip="10.0.0.254")
    response = client.post("/api/v1/redeem", {"code": CodeFactory().code}, format="json",
                           HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 201
    assert Redemption.objects.get().ip == "203.0.113.9"
