"""API keys in every credential form API.md accepts: good, wrong, revoked."""

from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from rest_framework import exceptions
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from accounts import authentication
from accounts.authentication import (
    ApiClient,
    AuthCodeAuthentication,
    BearerAuthentication,
    ZypeApiKeyAuthentication,
)
from accounts.models import ApiKey
from tests.factories import ApiKeyFactory

URL = "/api/v1/catalog-items"
factory = APIRequestFactory()


def _revoked_key():
    key, raw = ApiKeyFactory.create_with_key()
    key.revoked = True
    key.save()
    return raw


def test_bearer_api_key_is_accepted(db):
    _, raw = ApiKeyFactory.create_with_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(URL).status_code == 200


def test_wrong_bearer_key_is_a_401_in_the_native_envelope(db):
    _, raw = ApiKeyFactory.create_with_key()
    client = APIClient()
    tampered = raw[:-1] + ("x" if raw[-1] != "x" else "y")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tampered}")
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_revoked_bearer_key_is_a_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_revoked_key()}")
    assert client.get(URL).status_code == 401


def test_missing_credentials_are_a_401(anon, db):
    response = anon.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_learner_session_is_not_enough_for_back_office_endpoints(learner):
    client = APIClient()
    client.force_login(learner)
    assert client.get(URL).status_code == 403


def test_a_staff_session_is_enough(staff_user):
    client = APIClient()
    client.force_login(staff_user)
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("auth_class, param", [
    (ZypeApiKeyAuthentication, "api_key"),
    (AuthCodeAuthentication, "authCode"),
])
class TestParameterKeys:
    def test_good_key_in_the_query_authenticates_an_api_client(self, db, auth_class, param):
        key, raw = ApiKeyFactory.create_with_key()
        request = Request(factory.get("/", {param: raw}))
        principal, auth = auth_class().authenticate(request)
        assert isinstance(principal, ApiClient)
        assert auth == key

    def test_good_key_in_a_form_body_authenticates(self, db, auth_class, param):
        key, raw = ApiKeyFactory.create_with_key()
        body = urlencode({param: raw})
        request = Request(factory.post("/", body, content_type="application/x-www-form-urlencoded"),
                          parsers=[FormParser()])
        assert auth_class().authenticate(request)[1] == key

    def test_wrong_key_fails(self, db, auth_class, param):
        _, raw = ApiKeyFactory.create_with_key()
        request = Request(factory.get("/", {param: raw + "x"}))
        with pytest.raises(exceptions.AuthenticationFailed):
            auth_class().authenticate(request)

    def test_revoked_key_fails(self, db, auth_class, param):
        request = Request(factory.get("/", {param: _revoked_key()}))
        with pytest.raises(exceptions.AuthenticationFailed):
            auth_class().authenticate(request)

    def test_no_key_leaves_the_request_anonymous(self, db, auth_class, param):
        assert auth_class().authenticate(Request(factory.get("/"))) is None


def test_bearer_authentication_class_refuses_a_malformed_header(db):
    request = Request(factory.get("/", HTTP_AUTHORIZATION="Bearer a b"))
    with pytest.raises(exceptions.AuthenticationFailed):
        BearerAuthentication().authenticate(request)


def test_using_a_key_records_when_it_was_last_used(db):
    key, raw = ApiKeyFactory.create_with_key()
    assert key.last_used_at is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.get(URL)
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_keys_are_stored_hashed(db):
    key, raw = ApiKeyFactory.create_with_key()
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw not in stored.hashed_key
    assert stored.prefix == raw.split(".")[0]


def test_create_api_key_prints_a_working_key_as_the_last_token(db, capsys):
    call_command("create_api_key", "LMS production")
    raw = capsys.readouterr().out.split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(URL).status_code == 200
    assert ApiKey.objects.get(prefix=raw.split(".")[0]).name == "LMS production"


def _client_with(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_verified_key_is_not_read_again_within_the_cache_bound(db, django_assert_num_queries):
    _, raw = ApiKeyFactory.create_with_key()
    client = _client_with(raw)
    assert client.get(URL).status_code == 200
    with django_assert_num_queries(0):
        authentication.api_key_from_text(raw)


def test_a_key_revoked_in_this_process_stops_working_at_once(db):
    key, raw = ApiKeyFactory.create_with_key()
    client = _client_with(raw)
    assert client.get(URL).status_code == 200
    key.revoked = True
    key.save()
    assert client.get(URL).status_code == 401


def test_a_key_revoked_by_another_process_stops_working_within_the_cache_bound(
        db, settings, monkeypatch):
    settings.API_KEY_CACHE_SECONDS = 5
    now = [1000.0]
    monkeypatch.setattr(authentication, "_clock", lambda: now[0])
    key, raw = ApiKeyFactory.create_with_key()
    client = _client_with(raw)
    assert client.get(URL).status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(revoked=True)  # no signal here: as elsewhere
    now[0] += 5
    assert client.get(URL).status_code == 401


def test_a_key_whose_role_changed_here_acts_with_its_new_role_at_once(db):
    key, raw = ApiKeyFactory.create_with_key(role="full")
    client = _client_with(raw)
    assert client.post("/api/v1/redeem", {"code": "NOPE", "user": "x@example.com"},
                       format="json").status_code != 403
    key.role = "read-only"
    key.save()
    assert client.post("/api/v1/redeem", {"code": "NOPE", "user": "x@example.com"},
                       format="json").status_code == 403
