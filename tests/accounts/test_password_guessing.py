"""One limit guards every password check, whatever the entry point (`accounts.backends`)."""

import base64

import pytest
from django.test import Client
from oauth2_provider.models import Application
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

RIGHT, WRONG = "secret-pass-123", "not-the-password"


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.LOGIN_FAILURES_PER_IP = 50


@pytest.fixture
def oauth_app(db):
    return Application.objects.create(
        name="Host platform", client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_PASSWORD, client_id="host-platform")


def token_request(user, password, ip="203.0.113.1"):
    return APIClient().post("/oauth/token/", {
        "grant_type": "password", "username": user.email, "password": password,
        "client_id": "host-platform"}, REMOTE_ADDR=ip)


def web_login(user, password, ip="203.0.113.1"):
    return Client().post("/accounts/login/", {"username": user.email, "password": password},
                         REMOTE_ADDR=ip)


def admin_login(user, password, ip="203.0.113.1"):
    return Client().post("/admin/login/", {"username": user.email, "password": password},
                         REMOTE_ADDR=ip)


def tizra_basic(user, password, ip="203.0.113.1"):
    client = APIClient()
    token = base64.b64encode(f"{user.email}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    return client.get("/admin-api/redemptions", REMOTE_ADDR=ip)


def test_password_grant_guesses_are_limited(oauth_app, learner):
    for _ in range(3):
        assert token_request(learner, WRONG).status_code == 400
    refused = token_request(learner, RIGHT)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["error"] == "slow_down"


def test_an_account_locked_out_of_the_web_login_gets_no_token(oauth_app, learner):
    for _ in range(3):
        assert web_login(learner, WRONG).status_code == 200
    assert web_login(learner, RIGHT).status_code == 429
    assert token_request(learner, RIGHT).status_code == 429


def test_admin_login_guesses_are_limited(staff_user):
    for _ in range(3):
        assert admin_login(staff_user, WRONG).status_code == 200
    refused = admin_login(staff_user, RIGHT)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


def test_tizra_http_basic_guesses_are_limited_in_tizras_envelope(staff_user):
    for _ in range(3):
        assert tizra_basic(staff_user, WRONG).status_code == 401
    refused = tizra_basic(staff_user, RIGHT)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert list(refused.json()) == ["error"]


def test_a_stranger_guessing_from_elsewhere_cannot_lock_the_owner_out(oauth_app, learner):
    for _ in range(5):
        token_request(learner, WRONG, ip="198.51.100.66")
    assert token_request(learner, RIGHT, ip="198.51.100.66").status_code == 429
    assert token_request(learner, RIGHT, ip="203.0.113.1").status_code == 200


def test_one_address_guessing_many_accounts_is_limited(settings, oauth_app):
    from tests.factories import UserFactory

    settings.LOGIN_FAILURES_PER_IP = 4
    for _ in range(4):
        token_request(UserFactory(), WRONG, ip="198.51.100.9")
    assert token_request(UserFactory(), RIGHT, ip="198.51.100.9").status_code == 429
