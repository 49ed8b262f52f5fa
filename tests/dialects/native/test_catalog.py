"""Catalog items, clients, entitlements and access through /api/v1/."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Entitlement, ItemKind
from tests.factories import CatalogItemFactory, ClientFactory, EntitlementFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_create_a_bundle_with_what_it_includes(api):
    course = CatalogItemFactory()
    response = api.post("/api/v1/catalog-items", {
        "kind": "bundle", "title": "Starter", "slug": "starter", "price_cents": 6900,
        "includes": [str(course.pk)]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["includes"] == [str(course.pk)]


def test_unknown_kind_is_a_400_naming_the_field(api):
    response = api.post("/api/v1/catalog-items", {"kind": "spaceship", "title": "X"},
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "kind"


def test_duplicate_external_id_is_refused(api):
    CatalogItemFactory(external_id="ext-1")
    response = api.post("/api/v1/catalog-items", {"kind": "video", "title": "Y",
                                                  "external_id": "ext-1"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "external_id"


def test_an_item_someone_holds_cannot_be_deleted(api):
    grant = EntitlementFactory()
    response = api.delete(f"/api/v1/catalog-items/{grant.item.pk}")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "in_use"


def test_create_a_client_with_courses(api):
    course = CatalogItemFactory()
    response = api.post("/api/v1/clients", {"name": "Acme", "school_name": "Acme Academy",
                                            "courses": [str(course.pk)]}, format="json")
    assert response.status_code == 201
    assert response.json()["courses"] == [str(course.pk)]


def test_a_client_course_must_be_a_course(api):
    video = CatalogItemFactory(kind=ItemKind.VIDEO)
    response = api.post("/api/v1/clients", {"name": "Acme", "courses": [str(video.pk)]},
                        format="json")
    assert response.status_code == 400


def test_grant_by_email_then_access_says_yes_until_expiry(api):
    user = UserFactory(email="grace@example.com")
    item = CatalogItemFactory()
    ends = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    response = api.post("/api/v1/entitlements", {
        "user": "grace@example.com", "item": str(item.pk), "expires_at": ends.isoformat()},
        format="json")
    assert response.status_code == 201, response.content
    assert response.json()["user"] == str(user.pk)
    access = api.get("/api/v1/access", {"user": user.email, "item": str(item.pk)}).json()
    assert access["has_access"] is True
    assert access["via"] == [{"source": "entitlement", "id": response.json()["id"],
                              "preview": False}]
    assert access["expires_at"].startswith(ends.strftime("%Y-%m-%dT%H:%M:%S"))


def test_a_grant_ending_before_it_starts_is_refused(api):
    user, item = UserFactory(), CatalogItemFactory()
    response = api.post("/api/v1/entitlements", {
        "user": str(user.pk), "item": str(item.pk),
        "starts_at": "2030-01-02T00:00:00Z", "expires_at": "2030-01-01T00:00:00Z"},
        format="json")
    assert response.status_code == 400
    assert Entitlement.objects.count() == 0


def test_revoke_keeps_the_grant_and_ends_access(api):
    grant = EntitlementFactory()
    response = api.post(f"/api/v1/entitlements/{grant.pk}/revoke", {"reason": "refund"},
                        format="json")
    assert response.status_code == 200
    assert response.json()["revoked_reason"] == "refund"
    assert response.json()["is_active"] is False
    access = api.get("/api/v1/access", {"user": str(grant.user.pk),
                                        "item": str(grant.item.pk)}).json()
    assert access["has_access"] is False


def test_entitlements_cannot_be_deleted_through_the_api(api):
    grant = EntitlementFactory()
    assert api.delete(f"/api/v1/entitlements/{grant.pk}").status_code == 405
    assert Entitlement.objects.filter(pk=grant.pk).exists()


def test_access_names_missing_and_unknown_parameters(api):
    user, item = UserFactory(), CatalogItemFactory(external_id="course-77")
    assert api.get("/api/v1/access", {"item": str(item.pk)}).status_code == 400
    assert api.get("/api/v1/access", {"user": user.email}).status_code == 400
    assert api.get("/api/v1/access", {"user": "x@example.com",
                                      "item": str(item.pk)}).status_code == 404
    assert api.get("/api/v1/access", {"user": user.email, "item": "nope"}).status_code == 404
    by_external = api.get("/api/v1/access", {"user": user.email, "item": "course-77"})
    assert by_external.json() == {"has_access": False, "expires_at": None,
                                  "preview_only": False, "via": []}


def _learner_client(learner):
    """An APIClient carrying the learner's own OAuth2 access token."""
    from oauth2_provider.models import AccessToken

    token = AccessToken.objects.create(user=learner, token=f"tok-{learner.pk}", scope="read:own",
                                       expires=timezone.now() + dt.timedelta(hours=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    return client


def test_a_learner_may_name_themselves_by_email_in_any_case():
    learner, item = UserFactory(email="me@x.com"), CatalogItemFactory()
    EntitlementFactory(user=learner, item=item)
    response = _learner_client(learner).get("/api/v1/access",
                                            {"user": "Me@X.com", "item": str(item.pk)})
    assert response.status_code == 200, response.content
    assert response.json()["has_access"] is True


def test_access_through_the_api_says_when_it_is_only_a_preview(api):
    grant = EntitlementFactory(preview_only=True)
    response = api.get("/api/v1/access", {"user": grant.user.email, "item": str(grant.item.pk)})
    assert response.json() == {"has_access": True, "expires_at": None, "preview_only": True,
                               "via": [{"source": "entitlement", "id": str(grant.pk),
                                        "preview": True}]}


def test_create_client_sets_its_content():
    from catalog.services import create_client

    course = CatalogItemFactory()
    path = CatalogItemFactory(kind=ItemKind.LEARNING_PATH)
    client = create_client(name="Acme", courses=[course], learning_paths=[path])
    assert list(client.courses.all()) == [course]
    assert list(client.learning_paths.all()) == [path]


def test_update_client_replaces_the_content_it_is_given_and_keeps_the_rest():
    from catalog.services import update_client

    old, new = CatalogItemFactory(), CatalogItemFactory()
    tag = CatalogItemFactory(kind=ItemKind.COURSE_TAG)
    client = ClientFactory()
    client.courses.set([old])
    client.course_tags.set([tag])
    update_client(client, name="Renamed", courses=[new])
    client.refresh_from_db()
    assert client.name == "Renamed" and list(client.courses.all()) == [new]
    assert list(client.course_tags.all()) == [tag]


def test_patch_a_client_replaces_its_courses(api):
    old, new = CatalogItemFactory(), CatalogItemFactory()
    client = ClientFactory()
    client.courses.set([old])
    response = api.patch(f"/api/v1/clients/{client.pk}", {"courses": [str(new.pk)]},
                         format="json")
    assert response.status_code == 200
    assert response.json()["courses"] == [str(new.pk)]


def _access(api, **query):
    response = api.get("/api/v1/access", query)
    return response.status_code, response.content


def test_an_unknown_learner_is_named_before_a_missing_or_unknown_item(api):
    unknown = (404, b'{"errors":[{"code":"user_not_found","message":"No learner '
                    b'\'nobody@example.com\'.","field":"user"}]}')
    assert _access(api, user="nobody@example.com") == unknown
    assert _access(api, user="nobody@example.com", item="no-such-item") == unknown
    assert _access(api, user="nobody@example.com",
                   item=str(CatalogItemFactory().pk)) == unknown


def test_a_learner_named_by_neither_an_id_nor_an_email_is_not_found(api):
    item = CatalogItemFactory()
    assert _access(api, user="bob", item=str(item.pk)) == (
        404, b'{"errors":[{"code":"user_not_found","message":"No learner \'bob\'.",'
             b'"field":"user"}]}')
    missing = "0f3c9a4e-5b1d-4e1b-9a55-1c2b3d4e5f60"
    assert _access(api, user=missing, item=str(item.pk)) == (
        404, b'{"errors":[{"code":"user_not_found","message":"No learner \''
             + missing.encode() + b'\'.","field":"user"}]}')


def test_an_unknown_item_by_id_or_external_id_is_a_404_naming_it(api):
    user = UserFactory()
    for ref in ("no-such-item", "0f3c9a4e-5b1d-4e1b-9a55-1c2b3d4e5f60"):
        assert _access(api, user=user.email, item=ref) == (
            404, b'{"errors":[{"code":"item_not_found","message":"No catalog item \''
                 + ref.encode() + b'\'.","field":"item"}]}')
    assert _access(api, user=user.email) == (
        400, b'{"errors":[{"code":"required","message":"Name the item: '
             b'item=<id or external_id>.","field":"item"}]}')


def test_the_access_answer_is_written_as_before(api):
    learner = UserFactory(email="reader@example.com")
    item = CatalogItemFactory(external_id="course-9")
    ends = dt.datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    grant = EntitlementFactory(user=learner, item=item, expires_at=ends)
    assert _access(api, user="READER@example.com", item="course-9") == (
        200, b'{"has_access":true,"expires_at":"2031-05-06T07:08:09.123456Z",'
             b'"preview_only":false,"via":[{"source":"entitlement","id":"'
             + str(grant.pk).encode() + b'","preview":false}]}')


def test_an_access_check_is_one_query_once_the_api_key_is_remembered(api):
    learner, item = UserFactory(), CatalogItemFactory()
    EntitlementFactory(user=learner, item=item)
    assert api.get("/api/v1/access", {"user": learner.email, "item": str(item.pk)}) \
        .status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/access", {"user": learner.email, "item": str(item.pk)})
    assert response.json()["has_access"] is True
    assert len(queries) == 1, [q["sql"][:80] for q in queries.captured_queries]
