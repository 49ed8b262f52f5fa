"""Least privilege for every credential (issue 14, findings 1–4): staff act within their
groups' permissions, API keys within their role, OAuth tokens within their scopes, and only
staff holding the permission register OAuth applications."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.authentication import ApiClient
from accounts.models import ApiKey
from accounts.permissions import readme_section
from catalog.models import Entitlement
from redemptions.models import Code
from tests.dialects.zype.support import PASSWORD, access_token, oauth_application
from tests.factories import ApiKeyFactory, CatalogItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def entitlement_body(item, user) -> dict:
    return {"user": user.email, "item": str(item.pk)}


# Finding 1: a staff user's API calls need the Django permissions the admin asks for.

def test_staff_without_permissions_may_not_create_an_entitlement_over_the_session():
    client = APIClient()
    client.force_login(UserFactory(is_staff=True))
    response = client.post("/api/v1/entitlements",
                           entitlement_body(CatalogItemFactory(), UserFactory()), format="json")
    assert response.status_code == 403, response.content
    assert response.json()["errors"][0]["code"] == "permission_denied"
    assert not Entitlement.objects.exists()


def test_staff_whose_group_holds_the_permission_may_create_an_entitlement():
    staff = UserFactory(is_staff=True)
    group = Group.objects.create(name="grants")
    group.permissions.add(Permission.objects.get(codename="add_entitlement"))
    staff.groups.add(group)
    client = APIClient()
    client.force_login(staff)
    response = client.post("/api/v1/entitlements",
                           entitlement_body(CatalogItemFactory(), UserFactory()), format="json")
    assert response.status_code == 201, response.content


def test_staff_without_permissions_may_not_make_a_tizra_batch_over_http_basic():
    staff = UserFactory(is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(
        f"{staff.email}:{PASSWORD}".encode()).decode())
    response = client.post("/admin-api/redemptions", [
        {"batch": "b", "action-type": "add-user-tag", "access-code": "08ab3362418d22ea",
         "user-tags": "x"}], format="json")
    assert response.status_code == 403, response.content
    assert not Code.objects.exists()


# Finding 2: an API key acts within its role.

def test_a_read_only_key_may_list_codes_but_not_create_one():
    _, key = ApiKeyFactory.create_with_key(role="read-only")
    assert bearer(key).get("/api/v1/codes").status_code == 200
    response = bearer(key).post("/api/v1/code-groups", {}, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["errors"][0]["code"] == "permission_denied"


def test_a_licensing_key_may_not_redeem_on_a_learners_behalf():
    _, key = ApiKeyFactory.create_with_key(role="licensing")
    response = bearer(key).post("/api/v1/redeem", {"code": "ABCDEFGH",
                                                   "user": UserFactory().email}, format="json")
    assert response.status_code == 403, response.content


def test_each_role_holds_what_api_md_says():
    def client(role):
        return ApiClient(ApiKeyFactory.create_with_key(role=role)[0])
    assert client("read-only").has_perm("licensing.view_license")
    assert not client("read-only").has_perm("licensing.change_license")
    assert client("codes").has_perm("redemptions.redeem_on_behalf")
    assert not client("codes").has_perm("catalog.add_catalogitem")
    assert client("licensing").has_perm("licensing.assign_seats")
    assert client("coupons").has_perm("coupons.approve_usage")
    assert not client("coupons").has_perm("accounts.add_learnergroup")
    assert client("full").has_perm("accounts.add_learnergroup")


def test_create_api_key_makes_a_key_of_the_role_named():
    out = StringIO()
    call_command("create_api_key", "LMS", "--role", "codes", stdout=out)
    assert ApiKey.objects.get(name="LMS").role == "codes"
    assert "role codes" in out.getvalue()


def test_keys_made_before_roles_existed_become_full():
    migration = __import__("accounts.migrations.0004_apikey_role", fromlist=["x"])
    key, _ = ApiKeyFactory.create_with_key(role="read-only")
    migration.existing_keys_full(apps, None)
    key.refresh_from_db()
    assert key.role == "full"


# Finding 3: no public OAuth application registration.

def test_the_public_application_registration_page_is_gone():
    client = Client()
    client.force_login(UserFactory())
    assert client.get("/oauth/applications/register/").status_code == 404
    assert client.get("/oauth/applications/").status_code == 404


def test_staff_without_the_permission_may_not_register_an_application_in_the_admin():
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/oauth2_provider/application/add/").status_code == 403


def test_the_token_endpoint_still_answers():
    token = access_token(UserFactory(), oauth_application())
    assert token


# Finding 4: scopes are checked.

def test_a_learner_token_gets_the_learner_scopes_by_default():
    learner = UserFactory()
    access_token(learner, oauth_application())
    assert set(learner.oauth2_provider_accesstoken.get().scope.split()) == {"redeem",
                                                                             "read:own"}


def test_a_token_without_the_redeem_scope_may_not_redeem():
    learner, application = UserFactory(), oauth_application()
    token = learner.oauth2_provider_accesstoken.model.objects.create(
        user=learner, application=application, token="read-only-token", scope="read:own",
        expires="2999-01-01T00:00:00Z")
    response = bearer(token.token).post("/api/v1/redeem", {"code": "ABCDEFGH"}, format="json")
    assert response.status_code == 403, response.content


def test_a_superusers_learner_token_does_not_act_as_staff():
    admin = UserFactory(is_staff=True, is_superuser=True)
    token = access_token(admin, oauth_application())
    response = bearer(token).post("/api/v1/entitlements",
                                  entitlement_body(CatalogItemFactory(), UserFactory()),
                                  format="json")
    assert response.status_code == 403, response.content
    assert not Entitlement.objects.exists()


def test_the_staff_scope_is_refused_to_an_application_not_granted_it():
    admin = UserFactory(is_staff=True, is_superuser=True)
    response = APIClient().post("/oauth/token/", {
        "grant_type": "password", "username": admin.email, "password": PASSWORD,
        "client_id": oauth_application().client_id, "scope": "staff"})
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_scope"


def test_a_staff_token_of_a_granted_application_acts_within_the_staff_members_rights(
        settings):
    application = oauth_application()
    settings.OAUTH_STAFF_APPLICATIONS = frozenset({application.client_id})
    admin = UserFactory(is_staff=True, is_superuser=True)
    response = APIClient().post("/oauth/token/", {
        "grant_type": "password", "username": admin.email, "password": PASSWORD,
        "client_id": application.client_id, "scope": "staff"})
    assert response.status_code == 200, response.content
    created = bearer(response.json()["access_token"]).post(
        "/api/v1/entitlements", entitlement_body(CatalogItemFactory(), UserFactory()),
        format="json")
    assert created.status_code == 201, created.content


def test_the_readme_permissions_tables_are_the_ones_the_table_generates():
    with open("README.md", encoding="utf-8") as readme:
        assert readme_section() in readme.read()

