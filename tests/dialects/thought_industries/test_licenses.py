"""Thought Industries licenses API: seed 001's request and response, and API.md's extras."""

import pytest
from django.utils import timezone

from catalog.models import ItemKind
from licensing import services
from licensing.models import License
from tests.factories import CatalogItemFactory, ClientFactory, UserFactory
from tests.licensing.factories import LicenseFactory, SeatFactory

pytestmark = pytest.mark.django_db

URL = "/incoming/v2/licenses"

LICENSE_FIELDS = {
    "id", "name", "label", "sku", "seatsLimit", "seatsUsed", "parentLicenseId", "accessDays",
    "expirationDate", "enableBranding", "isDefault", *(f"ref{i}" for i in range(1, 11)),
    "courseIds", "learningPathIds", "courseTagIds", "courses", "learningPaths", "courseTags",
    "client", "createdAt", "updatedAt",
}
CLIENT_FIELDS = {"id", "name", "schoolName", "courses", "learningPaths", "courseTags"}


@pytest.fixture
def content():
    return {
        "client": ClientFactory(name="Acme", school_name="Acme University"),
        "course": CatalogItemFactory(title="Safety 101"),
        "path": CatalogItemFactory(kind=ItemKind.LEARNING_PATH, title="Onboarding"),
        "tag": CatalogItemFactory(kind=ItemKind.COURSE_TAG, title="Compliance"),
    }


def seed_body(content):
    """Seed 001's example request, with our ids in place of the zero UUIDs, and the `name` its
    parameter table requires (the example leaves it out)."""
    return {
        "name": "Acme license",
        "clientId": str(content["client"].pk),
        "courseIds": str(content["course"].pk),
        "learningPathIds": str(content["path"].pk),
        "courseTagIds": str(content["tag"].pk),
    }


# --- POST ------------------------------------------------------------------------------------

def test_the_seed_example_body_with_single_string_ids_creates_a_license(api, content):
    response = api.post(URL, seed_body(content), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()["data"]["CreateLicense"]
    license = License.objects.get(pk=created["id"])
    assert list(license.courses.all()) == [content["course"]]
    assert list(license.learning_paths.all()) == [content["path"]]
    assert list(license.course_tags.all()) == [content["tag"]]
    assert created["courseIds"] == [str(content["course"].pk)]
    assert created["learningPathIds"] == [str(content["path"].pk)]
    assert created["courseTagIds"] == [str(content["tag"].pk)]


def test_the_create_response_has_exactly_the_fields_api_md_lists(api, content):
    response = api.post(URL, seed_body(content), format="json")
    body = response.json()
    assert list(body) == ["data"] and list(body["data"]) == ["CreateLicense"]
    created = body["data"]["CreateLicense"]
    assert set(created) == LICENSE_FIELDS
    assert set(created["client"]) == CLIENT_FIELDS
    assert created["client"]["name"] == "Acme"
    assert created["client"]["schoolName"] == "Acme University"
    assert created["courses"][0]["title"] == "Safety 101"
    assert created["learningPaths"][0]["name"] == "Onboarding"
    assert created["courseTags"][0]["label"] == "Compliance"


@pytest.mark.parametrize("name", [None, "", "   "])
def test_without_a_name_the_license_is_refused_in_tis_envelope_and_nothing_is_made(
        api, content, name):
    body = seed_body(content)
    if name is None:
        del body["name"]
    else:
        body["name"] = name
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": [
        "name: This field is required." if name is None else "name: This field may not be blank."]}
    assert not License.objects.exists()


def test_every_seed_parameter_is_stored_and_rendered(api, content):
    parent = LicenseFactory(client=content["client"])
    body = {
        **seed_body(content), "name": "Team licence", "label": "TEAM", "sku": "SKU-1",
        "seatsLimit": 25, "parentLicenseId": str(parent.pk), "accessDays": 30,
        "expirationDate": "2031-06-30T12:00:00Z", "enableBranding": True, "isDefault": True,
        **{f"ref{i}": f"r{i}" for i in range(1, 11)},
    }
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()["data"]["CreateLicense"]
    assert {k: created[k] for k in ("name", "label", "sku", "seatsLimit", "seatsUsed",
                                    "parentLicenseId", "accessDays", "expirationDate",
                                    "enableBranding", "isDefault")} == {
        "name": "Team licence", "label": "TEAM", "sku": "SKU-1", "seatsLimit": 25,
        "seatsUsed": 0, "parentLicenseId": str(parent.pk), "accessDays": 30,
        "expirationDate": "2031-06-30T12:00:00.000Z", "enableBranding": True,
        "isDefault": True}
    assert [created[f"ref{i}"] for i in range(1, 11)] == [f"r{i}" for i in range(1, 11)]
    license = License.objects.get(pk=created["id"])
    assert (license.parent, license.seats_limit, license.ref10) == (parent, 25, "r10")


def test_times_render_with_milliseconds_and_z(api, content):
    created = api.post(URL, seed_body(content), format="json").json()["data"]["CreateLicense"]
    assert created["createdAt"].endswith("Z") and len(created["createdAt"]) == 24
    assert created["expirationDate"] is None


def test_a_bare_expiration_date_means_the_end_of_that_day(api, content):
    created = api.post(URL, {**seed_body(content), "expirationDate": "2031-12-31"},
                       format="json").json()["data"]["CreateLicense"]
    assert created["expirationDate"] == "2031-12-31T23:59:59.999Z"


def test_true_is_not_an_expiration_date(api, content):
    response = api.post(URL, {**seed_body(content), "expirationDate": True}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("expirationDate: ")


def test_ids_may_be_arrays(api, content):
    other = CatalogItemFactory()
    body = {**seed_body(content), "courseIds": [str(content["course"].pk), str(other.pk)]}
    created = api.post(URL, body, format="json").json()["data"]["CreateLicense"]
    assert set(created["courseIds"]) == {str(content["course"].pk), str(other.pk)}


ASSIGNMENTS = [("courseIds", "replaceCourseIds", "courses", ItemKind.COURSE),
               ("learningPathIds", "replaceLearningPathIds", "learning_paths",
                ItemKind.LEARNING_PATH),
               ("courseTagIds", "replaceCourseTagIds", "course_tags", ItemKind.COURSE_TAG)]


@pytest.mark.parametrize(("ids", "flag", "relation", "kind"), ASSIGNMENTS)
def test_without_the_replace_flag_the_clients_assignments_are_appended(
        api, content, ids, flag, relation, kind):
    client = content["client"]
    earlier = CatalogItemFactory(kind=kind)
    getattr(client, relation).add(earlier)
    new = CatalogItemFactory(kind=kind)
    response = api.post(URL, {**seed_body(content), ids: str(new.pk), flag: False},
                        format="json")
    assert response.status_code == 201, response.json()
    assert set(getattr(client, relation).all()) == {earlier, new}


@pytest.mark.parametrize(("ids", "flag", "relation", "kind"), ASSIGNMENTS)
def test_the_replace_flag_replaces_the_clients_assignments(
        api, content, ids, flag, relation, kind):
    client = content["client"]
    getattr(client, relation).add(CatalogItemFactory(kind=kind))
    new = CatalogItemFactory(kind=kind)
    response = api.post(URL, {**seed_body(content), ids: [str(new.pk)], flag: True},
                        format="json")
    assert response.status_code == 201, response.json()
    assert list(getattr(client, relation).all()) == [new]
    rendered = response.json()["data"]["CreateLicense"]["client"]
    key = {"courses": "courses", "learning_paths": "learningPaths",
           "course_tags": "courseTags"}[relation]
    assert [item["id"] for item in rendered[key]] == [str(new.pk)]


def test_one_replace_flag_leaves_the_other_assignments_appended(api, content):
    client = content["client"]
    old_course, old_path = CatalogItemFactory(), CatalogItemFactory(kind=ItemKind.LEARNING_PATH)
    client.courses.add(old_course)
    client.learning_paths.add(old_path)
    api.post(URL, {**seed_body(content), "replaceCourseIds": True}, format="json")
    assert list(client.courses.all()) == [content["course"]]
    assert set(client.learning_paths.all()) == {old_path, content["path"]}


def test_an_unknown_course_id_is_a_400_and_nothing_changes(api, content):
    ghost = "11111111-2222-3333-4444-555555555555"
    response = api.post(URL, {**seed_body(content), "courseIds": ghost}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": [f"courseIds: No course with id {ghost}."]}
    assert not License.objects.exists()
    assert not content["client"].courses.exists()


def test_an_id_of_the_wrong_kind_is_refused(api, content):
    body = {**seed_body(content), "courseIds": str(content["path"].pk)}
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert "courseIds" in response.json()["errors"][0]


def test_a_malformed_uuid_is_a_400_naming_the_field(api, content):
    response = api.post(URL, {**seed_body(content), "learningPathIds": ["nope"]},
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == ["learningPathIds: 'nope' is not a valid UUID."]


def test_a_missing_client_is_a_400(api, content):
    body = seed_body(content)
    del body["clientId"]
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("clientId:")


def test_an_unknown_client_is_a_400(api, content):
    body = {**seed_body(content), "clientId": "11111111-2222-3333-4444-555555555555"}
    assert api.post(URL, body, format="json").status_code == 400


@pytest.mark.parametrize(("field", "value"), [("seatsLimit", -1), ("accessDays", 0),
                                              ("isDefault", "maybe"),
                                              ("expirationDate", "soon"),
                                              ("expirationDate", "2031-02-30")])
def test_bad_values_are_400s(api, content, field, value):
    response = api.post(URL, {**seed_body(content), field: value}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith(f"{field}:")


def test_a_parent_of_another_client_is_a_422(api, content):
    body = {**seed_body(content), "parentLicenseId": str(LicenseFactory().pk)}
    response = api.post(URL, body, format="json")
    assert response.status_code == 422
    assert "another client" in response.json()["errors"][0]


def test_without_credentials_the_answer_is_401_in_the_ti_envelope(anon, content):
    response = anon.post(URL, seed_body(content), format="json")
    assert response.status_code == 401
    assert list(response.json()) == ["errors"]


# --- lists -----------------------------------------------------------------------------------

def test_the_client_list_names_the_client_then_its_licenses(api):
    client = ClientFactory(name="Acme")
    mine = LicenseFactory(client=client, name="A")
    LicenseFactory(name="Someone else's")
    response = api.get(f"/incoming/v2/clients/{client.pk}/licenses")
    assert response.status_code == 200
    listing = response.json()["data"]["APILicensesByClientId"]
    assert set(listing) == {"id", "name", "sku", "pageInfo", "licenses"}
    assert (listing["id"], listing["name"]) == (str(client.pk), "Acme")
    assert listing["pageInfo"] == {"perPage": 50, "currentPage": 1, "total": 1,
                                   "hasMore": False}
    assert [lic["id"] for lic in listing["licenses"]] == [str(mine.pk)]
    assert set(listing["licenses"][0]) == LICENSE_FIELDS


def test_the_client_list_pages(api):
    client = ClientFactory()
    for i in range(3):
        LicenseFactory(client=client, name=f"L{i}")
    listing = api.get(f"/incoming/v2/clients/{client.pk}/licenses?page=2&per_page=2")\
        .json()["data"]["APILicensesByClientId"]
    assert listing["pageInfo"] == {"perPage": 2, "currentPage": 2, "total": 3,
                                   "hasMore": False}
    assert [lic["name"] for lic in listing["licenses"]] == ["L2"]


def test_an_unknown_client_lists_as_404_in_the_ti_envelope(api):
    response = api.get("/incoming/v2/clients/11111111-2222-3333-4444-555555555555/licenses")
    assert response.status_code == 404
    assert list(response.json()) == ["errors"]


def test_every_clients_licenses_list_under_api_licenses(api):
    LicenseFactory(name="A")
    LicenseFactory(name="B")
    listing = api.get(URL).json()["data"]["APILicenses"]
    assert set(listing) == {"pageInfo", "licenses"}
    assert [lic["name"] for lic in listing["licenses"]] == ["A", "B"]
    assert listing["pageInfo"]["total"] == 2


def test_lists_take_the_zype_style_filters(api):
    LicenseFactory(name="A", sku="GOLD")
    LicenseFactory(name="B", sku="SILVER", is_default=True)
    assert [lic["name"] for lic in api.get(f"{URL}?sku=GOLD").json()["data"]["APILicenses"]
            ["licenses"]] == ["A"]
    assert [lic["name"] for lic in api.get(f"{URL}?isDefault=true").json()["data"]
            ["APILicenses"]["licenses"]] == ["B"]
    assert [lic["name"] for lic in api.get(f"{URL}?q=silv").json()["data"]["APILicenses"]
            ["licenses"]] == ["B"]
    assert api.get(f"{URL}?createdAt.gte=2000-01-01").json()["data"]["APILicenses"][
        "pageInfo"]["total"] == 2


def test_a_bad_filter_value_is_a_400_naming_it(api):
    response = api.get(f"{URL}?createdAt.gte=yesterday")
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("createdAt.gte:")


def test_seats_used_counts_the_seats_under_the_license(api):
    parent = LicenseFactory(seats_limit=10)
    child = LicenseFactory(parent=parent)
    SeatFactory(license=parent)
    SeatFactory(license=child)
    SeatFactory(license=child, revoked_at=timezone.now())
    listing = api.get(f"{URL}?clientId={parent.client_id}").json()["data"]["APILicenses"]
    used = {lic["id"]: lic["seatsUsed"] for lic in listing["licenses"]}
    assert used == {str(parent.pk): 2, str(child.pk): 1}


# --- one license -------------------------------------------------------------------------------

def test_a_license_reads_under_license(api):
    license = LicenseFactory(name="A")
    body = api.get(f"{URL}/{license.pk}").json()
    assert body["data"]["License"]["name"] == "A"


def test_an_unknown_or_malformed_id_is_a_404_in_the_ti_envelope(api):
    for ref in ("11111111-2222-3333-4444-555555555555", "not-a-uuid"):
        response = api.get(f"{URL}/{ref}")
        assert response.status_code == 404
        assert list(response.json()) == ["errors"]


def test_patch_changes_only_what_is_sent(api):
    license = LicenseFactory(name="A", sku="S", seats_limit=5)
    response = api.patch(f"{URL}/{license.pk}", {"seatsLimit": 9, "label": "L"}, format="json")
    assert response.status_code == 200, response.json()
    updated = response.json()["data"]["UpdateLicense"]
    assert (updated["seatsLimit"], updated["label"], updated["name"], updated["sku"]) == (
        9, "L", "A", "S")


def test_patch_ids_replace_the_licenses_content_and_honour_the_flag(api):
    old, new = CatalogItemFactory(), CatalogItemFactory()
    license = LicenseFactory(courses=[old])
    license.client.courses.add(old)
    api.patch(f"{URL}/{license.pk}", {"courseIds": str(new.pk), "replaceCourseIds": True},
              format="json")
    assert list(license.courses.all()) == [new]
    assert list(license.client.courses.all()) == [new]


def test_patch_into_a_cycle_is_a_422(api):
    top = LicenseFactory()
    below = LicenseFactory(parent=top)
    response = api.patch(f"{URL}/{top.pk}", {"parentLicenseId": str(below.pk)}, format="json")
    assert response.status_code == 422
    assert "cannot become its parent" in response.json()["errors"][0]


def test_patch_to_another_client_is_a_400(api):
    license = LicenseFactory()
    response = api.patch(f"{URL}/{license.pk}", {"clientId": str(ClientFactory().pk)},
                         format="json")
    assert response.status_code == 400


def test_patch_a_limit_below_the_seats_in_use_is_a_422(api):
    license = LicenseFactory(seats_limit=5)
    for _ in range(3):
        services.assign_seat(license=license, user=UserFactory())
    response = api.patch(f"{URL}/{license.pk}", {"seatsLimit": 2}, format="json")
    assert response.status_code == 422
    license.refresh_from_db()
    assert license.seats_limit == 5


def test_delete_removes_an_unused_license(api):
    license = LicenseFactory()
    response = api.delete(f"{URL}/{license.pk}")
    assert response.status_code == 200
    assert response.json() == {"data": {"DeleteLicense": {"id": str(license.pk)}}}
    assert not License.objects.exists()


def test_delete_is_a_409_while_seats_are_held(api):
    license = LicenseFactory()
    SeatFactory(license=license)
    response = api.delete(f"{URL}/{license.pk}")
    assert response.status_code == 409
    assert "revoke" in response.json()["errors"][0]
    assert License.objects.filter(pk=license.pk).exists()


def test_delete_is_a_409_while_children_exist(api):
    parent = LicenseFactory()
    LicenseFactory(parent=parent)
    assert api.delete(f"{URL}/{parent.pk}").status_code == 409
