"""Error pages in the site's own style for people (never Django's debug pages with DEBUG
off), and in the dialect's envelope for API paths."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory

from config.urls import handler403, handler500  # built by core.views.error_handlers

pytestmark = pytest.mark.django_db


def test_debug_is_off_in_these_tests(settings):
    assert settings.DEBUG is False


def test_an_unknown_page_is_a_404_in_the_sites_style(client):
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404 and "We cannot find that page" in body
    assert "entitle/site.css" in body and 'href="/redeem/"' in body
    assert "Django" not in body and "URLconf" not in body


def test_an_unknown_api_path_keeps_its_json_envelope(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "not_found"


def test_a_server_error_page_is_in_the_sites_style():
    response = handler500(RequestFactory().get("/redeem/"))
    body = response.content.decode()
    assert response.status_code == 500 and "Something went wrong on our side" in body
    assert "entitle/site.css" in body and "Traceback" not in body


@pytest.mark.parametrize("path, key", [("/api/v1/codes", "errors"),
                                       ("/redemption_codes", "message"),
                                       ("/admin-api/entitle/redemptions", "error")])
def test_a_server_error_on_an_api_path_keeps_its_dialects_envelope(path, key):
    response = handler500(RequestFactory().get(path))
    assert response.status_code == 500 and key in json.loads(response.content)


def test_a_forbidden_page_is_in_the_sites_style():
    response = handler403(RequestFactory().get("/account/"), PermissionDenied())
    assert response.status_code == 403 and "You may not open this page" in (
        response.content.decode())


def test_an_expired_form_says_so_in_the_sites_style():
    response = Client(enforce_csrf_checks=True).post("/redeem/", {"code": "ABC"})
    assert response.status_code == 403 and "That form has expired" in response.content.decode()


def test_a_redemption_link_for_another_site_says_so_and_offers_this_one(client):
    response = client.get("/redeem/other-site?redemptionCode=abcd-2345")
    body = response.content.decode()
    assert response.status_code == 404 and "This link is for another site" in body
    assert "<strong>other-site</strong>" in body
    assert 'href="/redeem/?code=abcd-2345"' in body
