"""Helpers for the Zype dialect's tests: a client that sends `api_key` as Zype clients do,
catalog items of the four target kinds, and a learner's OAuth2 token from /oauth/token/."""

from __future__ import annotations

from oauth2_provider.models import Application
from rest_framework.test import APIClient

from catalog.models import ItemKind
from redemptions import services
from tests.factories import CatalogItemFactory

URL = "/redemption_codes"
FIELD_KINDS = {"video_id": ItemKind.VIDEO, "playlist_id": ItemKind.PLAYLIST,
               "plan_id": ItemKind.PLAN, "pass_plan_id": ItemKind.PASS_PLAN}
SEED_KEYS = ["_id", "code", "content_title", "content_type", "created_at", "expiration_date",
             "pass_plan_id", "plan_id", "playlist_id", "redeemed_at", "site_id",
             "transaction_id", "updated_at", "video_id", "nice_code", "available", "redeemed",
             "expired", "as_qr_code_html_l", "as_qr_code_html_b"]
PASSWORD = "secret-pass-123"  # tests.factories.UserFactory's


class Zype:
    """`api_key` in the query string (GET, DELETE) or the body (POST, PUT), as Zype's docs
    show; form fields unless `json=True`."""

    def __init__(self, key: str):
        self.key = key
        self.client = APIClient()

    def get(self, path: str = URL, **params):
        return self.client.get(path, {"api_key": self.key, **params})

    def post(self, path: str = URL, data: dict | None = None, *, json: bool = False):
        return self.client.post(path, {"api_key": self.key, **(data or {})},
                                format="json" if json else "multipart")

    def put(self, path: str, data: dict | None = None, *, json: bool = False):
        return self.client.put(path, {"api_key": self.key, **(data or {})},
                               format="json" if json else "multipart")

    def delete(self, path: str):
        return self.client.delete(f"{path}?api_key={self.key}")

    def create(self, **fields):
        """POST one code with `redemption_code[...]` form fields; the response object."""
        response = self.post(data={f"redemption_code[{k}]": v for k, v in fields.items()})
        assert response.status_code == 201, response.content
        return response.json()["response"]


def item(kind: str = ItemKind.VIDEO, **fields):
    return CatalogItemFactory(kind=kind, **fields)


def standalone_code(target, **fields):
    """A code for one item, made by the service the dialect calls."""
    return services.create_code(offer=services.OfferTerms(name=target.title, items=[target]),
                                **fields)


def oauth_application() -> Application:
    """What staff register in the admin: a public client with the password grant."""
    return Application.objects.create(
        name="Zype app", client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_PASSWORD, client_id="zype-app")


def access_token(learner, application: Application) -> str:
    """A real token from the authorisation server (password grant)."""
    response = APIClient().post("/oauth/token/", {
        "grant_type": "password", "username": learner.email, "password": PASSWORD,
        "client_id": application.client_id,
    })
    assert response.status_code == 200, response.content
    return response.json()["access_token"]
