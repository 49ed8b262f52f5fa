"""Native API: /api/v1/licenses and /api/v1/seats."""

import pytest
from django.utils import timezone

from catalog.models import ItemKind
from licensing import services
from licensing.models import License, Seat
from tests.factories import CatalogItemFactory, ClientFactory, UserFactory
from tests.licensing.factories import LicenseFactory, SeatFactory

pytestmark = pytest.mark.django_db

LICENSES = "/api/v1/licenses"
SEATS = "/api/v1/seats"


# --- licenses --------------------------------------------------------------------------------

def test_a_license_is_created_through_the_service(api):
    client = ClientFactory()
    course = CatalogItemFactory()
    response = api.post(LICENSES, {"client": str(client.pk), "name": "Team", "seats_limit": 5,
                                   "courses": [str(course.pk)], "is_default": True},
                        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["seats_limit"], body["seats_used"], body["is_default"]) == (
        "Team", 5, 0, True)
    assert list(client.courses.all()) == [course]


def test_a_second_default_clears_the_first_instead_of_failing(api):
    first = services.create_license(client=ClientFactory(), name="A", is_default=True)
    response = api.post(LICENSES, {"client": str(first.client_id), "name": "B",
                                   "is_default": True}, format="json")
    assert response.status_code == 201, response.json()
    first.refresh_from_db()
    assert first.is_default is False


def test_the_replace_flag_replaces_the_clients_courses(api):
    client = ClientFactory()
    client.courses.add(CatalogItemFactory())
    course = CatalogItemFactory()
    api.post(LICENSES, {"client": str(client.pk), "name": "A", "courses": [str(course.pk)],
                        "replace_client_courses": True}, format="json")
    assert list(client.courses.all()) == [course]


def test_an_item_of_the_wrong_kind_is_a_400_in_the_native_envelope(api):
    path = CatalogItemFactory(kind=ItemKind.LEARNING_PATH)
    response = api.post(LICENSES, {"client": str(ClientFactory().pk), "name": "A",
                                   "courses": [str(path.pk)]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "courses"


def test_a_parent_of_another_client_is_a_422(api):
    response = api.post(LICENSES, {"client": str(ClientFactory().pk), "name": "A",
                                   "parent": str(LicenseFactory().pk)}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "parent_other_client"


def test_patch_into_a_cycle_is_a_422(api):
    top = LicenseFactory()
    below = LicenseFactory(parent=top)
    response = api.patch(f"{LICENSES}/{top.pk}", {"parent": str(below.pk)}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "license_cycle"


def test_licenses_list_with_seats_used_and_filters(api):
    parent = LicenseFactory(name="Company", sku="GOLD", seats_limit=10)
    child = LicenseFactory(parent=parent, name="Team")
    SeatFactory(license=child)
    LicenseFactory(name="Elsewhere")
    body = api.get(f"{LICENSES}?client={parent.client_id}").json()
    assert body["pagination"]["count"] == 2
    assert {r["name"]: r["seats_used"] for r in body["results"]} == {"Company": 1, "Team": 1}
    assert [r["name"] for r in api.get(f"{LICENSES}?sku=GOLD").json()["results"]] == [
        "Company"]
    assert [r["name"] for r in api.get(f"{LICENSES}?parent={parent.pk}").json()["results"]] \
        == ["Team"]


def test_a_bad_filter_value_is_a_400(api):
    response = api.get(f"{LICENSES}?is_default=maybe")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "is_default"


def test_delete_is_refused_while_seats_are_held(api):
    license = LicenseFactory()
    SeatFactory(license=license)
    response = api.delete(f"{LICENSES}/{license.pk}")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "license_has_seats"


def test_delete_is_refused_while_children_exist(api):
    parent = LicenseFactory()
    LicenseFactory(parent=parent)
    assert api.delete(f"{LICENSES}/{parent.pk}").status_code == 409


def test_an_unused_license_is_deleted(api):
    license = LicenseFactory()
    assert api.delete(f"{LICENSES}/{license.pk}").status_code == 204
    assert not License.objects.exists()


# --- seats -----------------------------------------------------------------------------------

def test_assigning_by_email_reports_each_email_and_keeps_the_rest(api):
    license = LicenseFactory(seats_limit=2)
    holder, newcomer, late = UserFactory(), UserFactory(), UserFactory()
    services.assign_seat(license=license, user=holder)
    response = api.post(SEATS, {"license": str(license.pk), "emails": [
        newcomer.email, holder.email, "nobody@example.com", late.email]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(r["email"], r["outcome"]) for r in body["results"]] == [
        (newcomer.email, "assigned"), (holder.email, "already_held"),
        ("nobody@example.com", "no_such_user"), (late.email, "no_seat_left")]
    assert body["results"][0]["seat"]["user"] == str(newcomer.pk)
    assert body["results"][1]["seat"] is None
    assert body["counts"] == {"assigned": 1, "already_held": 1, "no_such_user": 1,
                              "no_seat_left": 1, "license_expired": 0}
    assert Seat.objects.active().filter(license=license).count() == 2


def test_assigning_on_an_expired_license_is_a_422_and_nothing_changes(api):
    license = LicenseFactory(expiration_date=timezone.now() - timezone.timedelta(days=1))
    response = api.post(SEATS, {"license": str(license.pk), "emails": [UserFactory().email]},
                        format="json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "license_expired"
    assert not Seat.objects.exists()


@pytest.mark.parametrize("body", [{"emails": ["a@example.com"]},
                                  {"license": "nope", "emails": ["a@example.com"]},
                                  {"license": "LICENSE", "emails": []},
                                  {"license": "LICENSE", "emails": "a@example.com"}])
def test_a_malformed_assignment_is_a_400(api, body):
    license = LicenseFactory()
    UserFactory(email="a@example.com")
    if body.get("license") == "LICENSE":
        body = {**body, "license": str(license.pk)}
    response = api.post(SEATS, body, format="json")
    assert response.status_code == 400
    assert not Seat.objects.exists()


def test_more_than_500_emails_is_a_400(api):
    license = LicenseFactory()
    emails = [f"u{i}@example.com" for i in range(501)]
    response = api.post(SEATS, {"license": str(license.pk), "emails": emails}, format="json")
    assert response.status_code == 400


def test_seats_list_with_filters(api):
    license = LicenseFactory()
    mine = SeatFactory(license=license)
    SeatFactory(license=license, revoked_at=timezone.now())
    SeatFactory()
    body = api.get(f"{SEATS}?license={license.pk}").json()
    assert body["pagination"]["count"] == 2
    active = api.get(f"{SEATS}?license={license.pk}&active=true").json()["results"]
    assert [s["id"] for s in active] == [str(mine.pk)]
    by_email = api.get(f"{SEATS}?user={mine.user.email}").json()["results"]
    assert [s["id"] for s in by_email] == [str(mine.pk)]
    assert api.get(f"{SEATS}?active=sometimes").status_code == 400


def test_a_seat_is_revoked_and_stays_listed(api):
    seat = services.assign_seat(license=LicenseFactory(), user=UserFactory())
    response = api.post(f"{SEATS}/{seat.pk}/revoke", {"reason": "left"}, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["revoked_reason"] == "left"
    assert api.get(f"{SEATS}/{seat.pk}").status_code == 200


def test_seats_cannot_be_deleted_through_the_api(api):
    seat = SeatFactory()
    assert api.delete(f"{SEATS}/{seat.pk}").status_code == 405
    assert Seat.objects.filter(pk=seat.pk).exists()


def test_learners_cannot_manage_seats(learner):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(learner)
    assert client.get(SEATS).status_code == 403
