"""The licensing admin: hierarchy and seats at a glance; writes go through the services."""

import pytest
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from licensing import services
from licensing.models import License, Seat
from tests.factories import ClientFactory, UserFactory
from tests.licensing.factories import LicenseFactory, SeatFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(staff_user):
    client = WebClient()
    client.force_login(staff_user)
    return client


def test_the_license_list_shows_seats_used_over_the_limit_and_children(web):
    parent = LicenseFactory(name="Company", seats_limit=12)
    child = LicenseFactory(parent=parent, name="Team")
    SeatFactory(license=child)
    SeatFactory(license=child)
    response = web.get(reverse("admin:licensing_license_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 / 12" in html  # the parent counts its child's seats
    assert "2 / ∞" in html


def test_the_change_page_shows_the_hierarchy_children_and_seats(web):
    parent = LicenseFactory(name="Company")
    child = LicenseFactory(parent=parent, name="Team")
    LicenseFactory(parent=child, name="Squad")
    seat = SeatFactory(license=child)
    html = web.get(reverse("admin:licensing_license_change", args=[child.pk])).content.decode()
    assert "Company</a> › <a" in html and "Squad" in html
    assert seat.user.email in html


def test_adding_a_default_license_in_the_admin_clears_the_other_default(web):
    first = services.create_license(client=ClientFactory(), name="A", is_default=True)
    response = web.post(reverse("admin:licensing_license_add"), {
        "client": str(first.client_id), "name": "B", "is_default": "on",
        "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0",
        "seats-TOTAL_FORMS": "0", "seats-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    first.refresh_from_db()
    assert not first.is_default
    assert License.objects.get(name="B").is_default


def test_a_cycle_is_shown_on_the_form_and_nothing_changes(web):
    top = LicenseFactory(name="Top")
    below = LicenseFactory(parent=top, name="Below")
    response = web.post(reverse("admin:licensing_license_change", args=[top.pk]), {
        "name": "Top", "parent": str(below.pk),
        "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0",
        "seats-TOTAL_FORMS": "0", "seats-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "cannot become its parent" in response.content.decode()
    top.refresh_from_db()
    assert top.parent is None


def test_the_assign_page_seats_learners_by_email(web):
    license = LicenseFactory(seats_limit=1)
    first, second = UserFactory(), UserFactory()
    response = web.post(reverse("admin:licensing_license_assign_seats", args=[license.pk]), {
        "emails": f"{first.email}\n{second.email}\nnobody@example.com",
    }, follow=True)
    html = response.content.decode().lower()
    assert f"assigned: {first.email}" in html
    assert f"no seat left: {second.email}" in html
    assert "no such user: nobody@example.com" in html
    assert list(Seat.objects.active().values_list("user", flat=True)) == [first.pk]


def test_the_license_page_links_the_assign_page_which_asks_for_emails(web):
    license = LicenseFactory(name="Acme", seats_limit=5)
    SeatFactory(license=license)
    url = reverse("admin:licensing_license_assign_seats", args=[license.pk])
    change = web.get(reverse("admin:licensing_license_change", args=[license.pk]))
    assert f'href="{url}"' in change.content.decode()
    page = web.get(url).content.decode()
    assert 'name="emails"' in page and "1 / 5" in page


def test_the_assign_action_opens_the_assign_page_for_one_license(web):
    license = LicenseFactory()
    response = web.post(reverse("admin:licensing_license_changelist"), {
        "action": "assign_seats", "_selected_action": [str(license.pk)]})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:licensing_license_assign_seats",
                                           args=[license.pk])


def test_empty_emails_are_refused_on_the_form(web):
    license = LicenseFactory()
    response = web.post(reverse("admin:licensing_license_assign_seats", args=[license.pk]),
                        {"emails": "  "})
    assert response.status_code == 200 and not Seat.objects.exists()


def test_the_revoke_action_revokes_through_the_service(web):
    seat = SeatFactory()
    web.post(reverse("admin:licensing_seat_changelist"), {
        "action": "revoke_selected", "_selected_action": [str(seat.pk)]})
    seat.refresh_from_db()
    assert seat.revoked_at is not None and seat.revoked_reason.startswith("Revoked by")


def test_seats_cannot_be_added_or_deleted_in_the_admin(web):
    seat = SeatFactory(revoked_at=timezone.now())
    assert web.get(reverse("admin:licensing_seat_add")).status_code == 403
    url = reverse("admin:licensing_seat_delete", args=[seat.pk])
    assert "A seat is history and is never deleted" in web.get(url).content.decode()
    web.post(url, {"post": "yes"})
    assert Seat.objects.filter(pk=seat.pk).exists()


def test_a_license_with_seat_history_is_not_deleted_and_the_page_says_why(web):
    license = LicenseFactory(name="Old")
    SeatFactory(license=license, revoked_at=timezone.now())
    url = reverse("admin:licensing_license_delete", args=[license.pk])
    assert "has 1 seat(s), held or past" in web.get(url).content.decode()
    web.post(url, {"post": "yes"})
    assert License.objects.filter(pk=license.pk).exists()


def test_a_license_without_seats_or_children_is_deleted(web):
    license = LicenseFactory()
    web.post(reverse("admin:licensing_license_delete", args=[license.pk]), {"post": "yes"})
    assert not License.objects.filter(pk=license.pk).exists()


NO_INLINES = {"children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0",
              "seats-TOTAL_FORMS": "0", "seats-INITIAL_FORMS": "0"}


def test_a_new_license_with_a_seat_limit_is_added_in_the_admin(web):
    client = ClientFactory()
    response = web.post(reverse("admin:licensing_license_add"), {
        "client": str(client.pk), "name": "Ten seats", "seats_limit": "10", **NO_INLINES})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert License.objects.get(name="Ten seats").seats_limit == 10


def test_a_new_license_under_a_parent_of_the_same_client_is_added_in_the_admin(web):
    parent = LicenseFactory(name="Company", seats_limit=5)
    response = web.post(reverse("admin:licensing_license_add"), {
        "client": str(parent.client_id), "name": "Team", "parent": str(parent.pk),
        "seats_limit": "3", **NO_INLINES})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert License.objects.get(name="Team").parent == parent


def test_a_new_license_under_another_clients_parent_is_refused_on_the_form(web):
    parent = LicenseFactory(name="Company")
    response = web.post(reverse("admin:licensing_license_add"), {
        "client": str(ClientFactory().pk), "name": "Team", "parent": str(parent.pk),
        **NO_INLINES})
    assert response.status_code == 200
    assert "belongs to another client" in response.content.decode()
    assert not License.objects.filter(name="Team").exists()
