"""A pending redemption waits in the session through login or registration, once."""

import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from accounts.pending import (
    PendingRedemption,
    peek_pending_redemption,
    pop_pending_redemption,
    remember_pending_redemption,
)
from tests.accounts.support import register
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_with_session():
    request = RequestFactory().get("/redeem/entitle")
    request.session = SessionStore()
    return request


def test_a_remembered_redemption_is_popped_once(request_with_session):
    remember_pending_redemption(request_with_session, " ABCD-2345 ", "/thanks",
                                resume_url="/redeem/entitle?redemptionCode=ABCD-2345")
    pending = pop_pending_redemption(request_with_session)
    assert (pending.code, pending.success_url, pending.resume_url) == (
        "ABCD-2345", "/thanks", "/redeem/entitle?redemptionCode=ABCD-2345")
    assert pop_pending_redemption(request_with_session) is None


def test_peeking_leaves_it_in_place(request_with_session):
    remember_pending_redemption(request_with_session, "ABCD", "")
    assert peek_pending_redemption(request_with_session).code == "ABCD"
    assert pop_pending_redemption(request_with_session).code == "ABCD"


def test_nothing_pending_is_none(request_with_session):
    assert pop_pending_redemption(request_with_session) is None


def test_a_success_url_on_another_host_is_not_stored(request_with_session):
    pending = remember_pending_redemption(request_with_session, "ABCD",
                                          "https://evil.example.net/",
                                          resume_url="//evil.example.net/")
    assert pending.success_url == "" and pending.resume_url == ""
    assert pop_pending_redemption(request_with_session).success_url == ""


def test_a_success_url_on_an_allowed_host_is_kept(request_with_session, settings):
    settings.REDIRECT_HOSTS = ["books.example.org"]
    pending = remember_pending_redemption(request_with_session, "ABCD",
                                          "https://books.example.org/read")
    assert pending.success_url == "https://books.example.org/read"


def test_a_stale_pending_redemption_is_dropped(request_with_session, settings):
    remember_pending_redemption(request_with_session, "ABCD", "")
    stored = request_with_session.session["entitle.pending_redemption"]
    stored["stored_at"] = time.time() - settings.PENDING_REDEMPTION_SECONDS - 1
    request_with_session.session["entitle.pending_redemption"] = stored
    assert pop_pending_redemption(request_with_session) is None


def test_a_session_value_of_another_shape_is_dropped(request_with_session):
    request_with_session.session["entitle.pending_redemption"] = {"code": "A", "what": 1}
    assert peek_pending_redemption(request_with_session) is None
    assert "entitle.pending_redemption" not in request_with_session.session


def test_staleness_counts_from_when_it_was_stored(settings):
    pending = PendingRedemption(code="A", stored_at=1000.0)
    assert not pending.is_stale(now=1000.0 + settings.PENDING_REDEMPTION_SECONDS)
    assert pending.is_stale(now=1000.0 + settings.PENDING_REDEMPTION_SECONDS + 1)


def _plant_pending(client, code="ABCD-2345", resume="/account/access/?resume=1"):
    request = client.get("/accounts/login/").wsgi_request
    remember_pending_redemption(request, code, "/thanks", resume_url=resume)
    request.session.save()
    client.cookies["sessionid"] = request.session.session_key


def _session_pending(client):
    request = RequestFactory().get("/")
    request.session = client.session
    return pop_pending_redemption(request)


def test_the_pending_redemption_survives_login(client):
    user = UserFactory()
    _plant_pending(client)
    response = client.post("/accounts/login/", {"username": user.email,
                                                "password": "secret-pass-123"})
    assert response["Location"] == "/account/access/?resume=1"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert _session_pending(client).code == "ABCD-2345"


def test_the_pending_redemption_survives_registration_and_resumes_without_next(client):
    _plant_pending(client)
    response = register(client)
    assert response["Location"] == "/account/access/?resume=1"
    pending = _session_pending(client)
    assert (pending.code, pending.success_url) == ("ABCD-2345", "/thanks")


def test_the_register_page_names_the_pending_code(client):
    _plant_pending(client, code="WXYZ-7788")
    assert "WXYZ-7788" in client.get("/accounts/register/").content.decode()
