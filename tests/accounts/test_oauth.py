"""Learners authenticate with OAuth2 access tokens (password grant)."""

import pytest
from oauth2_provider.models import Application
from rest_framework.test import APIClient

from tests.factories import CatalogItemFactory, EntitlementFactory


@pytest.fixture
def oauth_app(db):
    return Application.objects.create(
        name="Host platform", client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_PASSWORD, client_id="host-platform",
    )


def _token(client, oauth_app, learner):
    response = client.post("/oauth/token/", {
        "grant_type": "password", "username": learner.email, "password": "secret-pass-123",
        "client_id": oauth_app.client_id,
    })
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def test_password_grant_issues_a_token_that_answers_access_for_oneself(oauth_app, learner):
    client = APIClient()
    item = CatalogItemFactory()
    EntitlementFactory(user=learner, item=item)
    token = _token(client, oauth_app, learner)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v1/access", {"item": str(item.pk)})
    assert response.status_code == 200
    assert response.json()["has_access"] is True


def test_a_learner_token_cannot_ask_about_someone_else(oauth_app, learner):
    client = APIClient()
    other = CatalogItemFactory()
    token = _token(client, oauth_app, learner)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v1/access", {"item": str(other.pk),
                                              "user": "someone@example.com"})
    assert response.status_code == 403  # as on redeem and coupons: not_yourself, no look-up
    assert response.json()["errors"][0]["code"] == "not_yourself"


def test_a_learner_token_is_not_an_api_key(oauth_app, learner):
    client = APIClient()
    token = _token(client, oauth_app, learner)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/catalog-items").status_code == 403


def test_a_bad_token_is_a_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer notarealtoken")
    assert client.get("/api/v1/access", {"item": "x"}).status_code == 401
