"""The licensing rules, through the services: seats, limits along the chain, expiry,
hierarchy, defaults and the client's content."""

import datetime as dt

import pytest
from django.utils import timezone

from catalog.models import ItemKind
from licensing import services
from licensing.errors import (
    AlreadySeated,
    ClientChangeRefused,
    LicenseCycle,
    LicenseExpired,
    LicenseFull,
    LicenseInUse,
    LicensingError,
    ParentOfAnotherClient,
    SeatEndNotLater,
    SeatRevoked,
    SeatsLimitBelowUse,
)
from licensing.models import License, Seat
from tests.factories import CatalogItemFactory, ClientFactory, UserFactory
from tests.licensing.factories import LicenseFactory, SeatFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def seat_many(license, count):
    for _ in range(count):
        services.assign_seat(license=license, user=UserFactory())


# --- seats and limits -------------------------------------------------------------------------

def test_assign_seat_seats_the_learner(learner):
    license = LicenseFactory(seats_limit=2)
    seat = services.assign_seat(license=license, user=learner, source="redemption",
                                source_ref="r-1")
    assert (seat.license, seat.user, seat.source, seat.source_ref) == (
        license, learner, "redemption", "r-1")
    assert seat.is_active()


def test_the_last_seat_can_be_taken_and_then_the_license_is_full():
    license = LicenseFactory(seats_limit=2, name="Team A")
    seat_many(license, 2)
    with pytest.raises(LicenseFull) as refused:
        services.assign_seat(license=license, user=UserFactory())
    assert refused.value.code == "license_full"
    assert refused.value.http_status == 422
    assert "Team A" in refused.value.message and "2" in refused.value.message
    assert Seat.objects.filter(license=license).count() == 2


def test_a_license_without_a_limit_takes_any_number_of_seats():
    license = LicenseFactory(seats_limit=None)
    seat_many(license, 5)
    assert Seat.objects.active().filter(license=license).count() == 5


def test_a_childs_seats_count_against_its_parents_limit():
    parent = LicenseFactory(seats_limit=3, name="Company")
    child = LicenseFactory(parent=parent, seats_limit=10, name="Team")
    seat_many(child, 3)
    with pytest.raises(LicenseFull) as refused:
        services.assign_seat(license=child, user=UserFactory())
    assert "parent license “Company”" in refused.value.message
    assert "Team" in refused.value.message


def test_a_grandchilds_seats_count_against_every_ancestor():
    root = LicenseFactory(seats_limit=2, name="Group")
    middle = LicenseFactory(parent=root)
    leaf = LicenseFactory(parent=middle)
    seat_many(leaf, 2)
    with pytest.raises(LicenseFull) as refused:
        services.assign_seat(license=middle, user=UserFactory())
    assert "“Group”" in refused.value.message
    with pytest.raises(LicenseFull):
        services.assign_seat(license=leaf, user=UserFactory())


def test_a_siblings_seats_use_up_the_shared_parent_limit():
    parent = LicenseFactory(seats_limit=12)
    sibling = LicenseFactory(parent=parent)
    child = LicenseFactory(parent=parent, seats_limit=10)
    seat_many(sibling, 5)
    seat_many(child, 7)
    with pytest.raises(LicenseFull):
        services.assign_seat(license=child, user=UserFactory())


def test_revoked_and_expired_seats_free_their_place():
    license = LicenseFactory(seats_limit=2)
    services.revoke_seat(seat=services.assign_seat(license=license, user=UserFactory()))
    SeatFactory(license=license, expires_at=timezone.now() - DAY)
    seat_many(license, 2)
    assert Seat.objects.active().filter(license=license).count() == 2


def test_a_learner_cannot_hold_two_active_seats_on_one_license(learner):
    license = LicenseFactory()
    services.assign_seat(license=license, user=learner)
    with pytest.raises(AlreadySeated) as refused:
        services.assign_seat(license=license, user=learner)
    assert refused.value.code == "already_seated"
    assert refused.value.http_status == 409
    assert Seat.objects.filter(license=license).count() == 1


def test_an_ended_seat_is_closed_and_replaced_by_a_new_one(learner):
    license = LicenseFactory()
    ended = SeatFactory(license=license, user=learner, expires_at=timezone.now() - DAY)
    seat = services.assign_seat(license=license, user=learner)
    ended.refresh_from_db()
    assert ended.revoked_at == ended.expires_at
    assert seat.is_active() and seat.pk != ended.pk


def test_a_learner_may_hold_seats_on_two_licenses(learner):
    services.assign_seat(license=LicenseFactory(), user=learner)
    services.assign_seat(license=LicenseFactory(), user=learner)
    assert Seat.objects.filter(user=learner).count() == 2


def test_revoking_twice_changes_nothing(learner):
    seat = services.assign_seat(license=LicenseFactory(), user=learner)
    first = services.revoke_seat(seat=seat, reason="left the company")
    second = services.revoke_seat(seat=seat, reason="again")
    assert first.revoked_at == second.revoked_at
    assert second.revoked_reason == "left the company"


def test_revoke_seats_from_source_revokes_only_that_sources_seats():
    license = LicenseFactory()
    mine = services.assign_seat(license=license, user=UserFactory(), source="redemption",
                                source_ref="r-1")
    other = services.assign_seat(license=license, user=UserFactory(), source="redemption",
                                 source_ref="r-2")
    assert services.revoke_seats_from_source("redemption", "r-1", reason="rolled back") == 1
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.revoked_at is not None and mine.revoked_reason == "rolled back"
    assert other.revoked_at is None
    assert services.revoke_seats_from_source("redemption", "r-1") == 0


def test_assign_seat_joins_the_callers_transaction(learner):
    from django.db import transaction

    license = LicenseFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.assign_seat(license=license, user=learner)
        raise RuntimeError("the redemption failed later")
    assert not Seat.objects.filter(license=license).exists()


# --- expiry ----------------------------------------------------------------------------------

def test_a_seat_ends_after_access_days(learner):
    license = LicenseFactory(access_days=30)
    at = timezone.now()
    seat = services.assign_seat(license=license, user=learner, at=at)
    assert seat.expires_at == at + dt.timedelta(days=30)


def test_a_seat_ends_no_later_than_the_license(learner):
    ends = timezone.now() + 10 * DAY
    license = LicenseFactory(access_days=30, expiration_date=ends)
    assert services.assign_seat(license=license, user=learner).expires_at == ends


def test_a_seat_given_a_cap_ends_by_it(learner):
    license = LicenseFactory()
    at = timezone.now()
    seat = services.assign_seat(license=license, user=learner, at=at, ends_by=at + 30 * DAY)
    assert (seat.expires_at, seat.ends_by) == (at + 30 * DAY, at + 30 * DAY)


def test_a_license_ending_before_the_cap_ends_the_seat_first(learner):
    ends = timezone.now() + 10 * DAY
    license = LicenseFactory(expiration_date=ends)
    seat = services.assign_seat(license=license, user=learner, ends_by=ends + 20 * DAY)
    assert seat.expires_at == ends


def test_assigning_several_seats_caps_each_of_them(learner):
    first, second = LicenseFactory(), LicenseFactory(access_days=5)
    at = timezone.now()
    seats = services.assign_seats(licenses=[first, second], user=learner, at=at,
                                  ends_by=at + 30 * DAY)
    assert {seat.license_id: seat.expires_at for seat in seats} == {
        first.pk: at + 30 * DAY, second.pk: at + 5 * DAY}


def test_the_effective_expiry_is_the_earliest_along_the_chain(learner):
    soon = timezone.now() + 5 * DAY
    parent = services.create_license(client=ClientFactory(), name="P", expiration_date=soon)
    child = services.create_license(client=parent.client, name="C", parent=parent,
                                    expiration_date=soon + 30 * DAY)
    assert child.effective_expires_at == soon
    assert services.assign_seat(license=child, user=learner).expires_at == soon


def test_without_access_days_or_expiry_a_seat_has_no_end(learner):
    assert services.assign_seat(license=LicenseFactory(), user=learner).expires_at is None


def test_an_expired_license_takes_no_seat(learner):
    license = LicenseFactory(expiration_date=timezone.now() - DAY)
    with pytest.raises(LicenseExpired) as refused:
        services.assign_seat(license=license, user=learner)
    assert (refused.value.code, refused.value.http_status) == ("license_expired", 422)
    assert not Seat.objects.exists()


def test_a_license_whose_parent_expired_takes_no_seat(learner):
    parent = LicenseFactory(expiration_date=timezone.now() - DAY, name="Old contract")
    child = LicenseFactory(parent=parent)
    with pytest.raises(LicenseExpired) as refused:
        services.assign_seat(license=child, user=learner)
    assert "Old contract" in refused.value.message


def test_shortening_a_parents_expiry_recaps_the_childs_seats_in_force(learner):
    parent = services.create_license(client=ClientFactory(), name="P")
    child = services.create_license(client=parent.client, name="C", parent=parent,
                                    access_days=90)
    seat = services.assign_seat(license=child, user=learner)
    soon = timezone.now() + 3 * DAY
    services.update_license(license=parent, expiration_date=soon)
    seat.refresh_from_db()
    child.refresh_from_db()
    assert child.effective_expires_at == soon
    assert seat.expires_at == soon


def test_extending_the_expiry_gives_seats_in_force_their_access_days_back(learner):
    soon = timezone.now() + 3 * DAY
    license = services.create_license(client=ClientFactory(), name="L", access_days=30,
                                      expiration_date=soon)
    seat = services.assign_seat(license=license, user=learner)
    services.update_license(license=license, expiration_date=None)
    seat.refresh_from_db()
    assert seat.expires_at == seat.assigned_at + dt.timedelta(days=30)


def test_a_seat_that_has_ended_stays_ended_when_the_license_is_extended(learner):
    license = services.create_license(client=ClientFactory(), name="L")
    ended = SeatFactory(license=license, user=learner, expires_at=timezone.now() - DAY)
    services.update_license(license=license, access_days=365)
    ended.refresh_from_db()
    assert not ended.is_active()


def test_changing_access_days_recaps_the_seats_in_force(learner):
    license = services.create_license(client=ClientFactory(), name="L", access_days=30)
    seat = services.assign_seat(license=license, user=learner)
    services.update_license(license=license, access_days=7)
    seat.refresh_from_db()
    assert seat.expires_at == seat.assigned_at + dt.timedelta(days=7)


def test_lengthening_access_days_keeps_a_seats_own_cap(learner):
    license = services.create_license(client=ClientFactory(), name="L", access_days=30)
    cap = timezone.now() + 10 * DAY
    seat = services.assign_seat(license=license, user=learner, ends_by=cap)
    services.update_license(license=license, access_days=365)
    seat.refresh_from_db()
    assert seat.expires_at == cap


def test_removing_the_license_expiry_keeps_a_seats_own_cap(learner):
    license = services.create_license(client=ClientFactory(), name="L",
                                      expiration_date=timezone.now() + 5 * DAY)
    cap = timezone.now() + 10 * DAY
    seat = services.assign_seat(license=license, user=learner, ends_by=cap)
    services.update_license(license=license, expiration_date=None)
    seat.refresh_from_db()
    assert seat.expires_at == cap


def test_shortening_the_license_below_a_seats_cap_ends_the_seat_with_the_license(learner):
    license = services.create_license(client=ClientFactory(), name="L")
    seat = services.assign_seat(license=license, user=learner,
                                ends_by=timezone.now() + 30 * DAY)
    soon = timezone.now() + 2 * DAY
    services.update_license(license=license, expiration_date=soon)
    seat.refresh_from_db()
    assert seat.expires_at == soon


def test_moving_a_license_under_an_expiring_parent_recaps_it(learner):
    client = ClientFactory()
    soon = timezone.now() + 2 * DAY
    parent = services.create_license(client=client, name="P", expiration_date=soon)
    license = services.create_license(client=client, name="L")
    seat = services.assign_seat(license=license, user=learner)
    services.update_license(license=license, parent=parent)
    seat.refresh_from_db()
    assert seat.expires_at == soon


# --- hierarchy -------------------------------------------------------------------------------

def test_a_parent_of_another_client_is_refused_on_create():
    other = LicenseFactory()
    with pytest.raises(ParentOfAnotherClient):
        services.create_license(client=ClientFactory(), name="L", parent=other)
    assert License.objects.count() == 1


def test_a_parent_of_another_client_is_refused_on_update():
    license, other = LicenseFactory(), LicenseFactory()
    with pytest.raises(ParentOfAnotherClient):
        services.update_license(license=license, parent=other)
    license.refresh_from_db()
    assert license.parent is None


def test_a_license_cannot_be_its_own_parent():
    license = LicenseFactory()
    with pytest.raises(LicenseCycle):
        services.update_license(license=license, parent=license)


def test_a_license_cannot_move_under_its_own_descendant():
    top = LicenseFactory()
    middle = LicenseFactory(parent=top)
    bottom = LicenseFactory(parent=middle)
    with pytest.raises(LicenseCycle) as refused:
        services.update_license(license=top, parent=bottom)
    assert refused.value.http_status == 422
    top.refresh_from_db()
    assert top.parent is None


def test_moving_a_license_whose_seats_do_not_fit_the_new_parent_is_refused():
    client = ClientFactory()
    parent = LicenseFactory(client=client, seats_limit=3)
    LicenseFactory(client=client, parent=parent)
    license = LicenseFactory(client=client)
    seat_many(license, 4)
    with pytest.raises(LicenseFull) as refused:
        services.update_license(license=license, parent=parent)
    assert "4 seats" in refused.value.message
    license.refresh_from_db()
    assert license.parent is None


def test_moving_within_the_same_ancestor_does_not_count_seats_twice():
    root = LicenseFactory(seats_limit=3)
    a = LicenseFactory(parent=root)
    b = LicenseFactory(parent=root)
    seat_many(a, 3)
    services.update_license(license=a, parent=b)
    a.refresh_from_db()
    assert a.parent == b


def test_a_license_stays_with_its_client():
    license = LicenseFactory()
    with pytest.raises(ClientChangeRefused):
        services.update_license(license=license, client=ClientFactory())


def test_a_limit_cannot_go_below_the_seats_in_use():
    parent = LicenseFactory(seats_limit=10)
    seat_many(LicenseFactory(parent=parent), 4)
    with pytest.raises(SeatsLimitBelowUse) as refused:
        services.update_license(license=parent, seats_limit=3)
    assert "4 seats" in refused.value.message
    services.update_license(license=parent, seats_limit=4)
    parent.refresh_from_db()
    assert parent.seats_limit == 4


# --- defaults and content --------------------------------------------------------------------

def test_making_a_license_the_default_clears_the_clients_other_default():
    client = ClientFactory()
    first = services.create_license(client=client, name="A", is_default=True)
    second = services.create_license(client=client, name="B", is_default=True)
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    services.update_license(license=first, is_default=True)
    second.refresh_from_db()
    assert list(License.objects.filter(client=client, is_default=True)) == [first]


def test_another_clients_default_is_left_alone():
    theirs = services.create_license(client=ClientFactory(), name="A", is_default=True)
    services.create_license(client=ClientFactory(), name="B", is_default=True)
    theirs.refresh_from_db()
    assert theirs.is_default


def test_a_new_license_appends_its_content_to_the_clients():
    client = ClientFactory()
    old, new = CatalogItemFactory(), CatalogItemFactory()
    client.courses.add(old)
    license = services.create_license(client=client, name="L", courses=[new])
    assert set(license.courses.all()) == {new}
    assert set(client.courses.all()) == {old, new}


def test_replace_flags_replace_the_clients_content():
    client = ClientFactory()
    old_course, new_course = CatalogItemFactory(), CatalogItemFactory()
    old_path = CatalogItemFactory(kind=ItemKind.LEARNING_PATH)
    new_path = CatalogItemFactory(kind=ItemKind.LEARNING_PATH)
    old_tag = CatalogItemFactory(kind=ItemKind.COURSE_TAG)
    new_tag = CatalogItemFactory(kind=ItemKind.COURSE_TAG)
    client.courses.add(old_course)
    client.learning_paths.add(old_path)
    client.course_tags.add(old_tag)
    services.create_license(
        client=client, name="L", courses=[new_course], learning_paths=[new_path],
        course_tags=[new_tag], replace_client_courses=True,
        replace_client_learning_paths=True, replace_client_course_tags=True)
    assert list(client.courses.all()) == [new_course]
    assert list(client.learning_paths.all()) == [new_path]
    assert list(client.course_tags.all()) == [new_tag]


def test_an_item_of_the_wrong_kind_is_refused():
    with pytest.raises(LicensingError) as refused:
        services.create_license(client=ClientFactory(), name="L",
                                courses=[CatalogItemFactory(kind=ItemKind.VIDEO)])
    assert refused.value.field == "courses"
    assert not License.objects.exists()


# --- deleting --------------------------------------------------------------------------------

def test_a_license_with_seats_held_is_not_deleted():
    license = LicenseFactory()
    SeatFactory(license=license)
    with pytest.raises(LicenseInUse) as refused:
        services.delete_license(license=license)
    assert refused.value.http_status == 409
    assert License.objects.filter(pk=license.pk).exists()


def test_a_license_with_only_revoked_seats_keeps_its_history():
    license = LicenseFactory()
    SeatFactory(license=license, revoked_at=timezone.now())
    with pytest.raises(LicenseInUse) as refused:
        services.delete_license(license=license)
    assert refused.value.code == "license_has_seat_history"


def test_a_license_with_children_is_not_deleted():
    parent = LicenseFactory()
    LicenseFactory(parent=parent)
    with pytest.raises(LicenseInUse) as refused:
        services.delete_license(license=parent)
    assert refused.value.code == "license_has_children"


def test_an_unused_license_is_deleted():
    license = LicenseFactory(courses=[CatalogItemFactory()])
    services.delete_license(license=license)
    assert not License.objects.exists()


# --- assigning many by email -------------------------------------------------------------------

def test_assigning_by_email_reports_each_email():
    license = LicenseFactory(seats_limit=2)
    holder, newcomer, late = UserFactory(), UserFactory(), UserFactory()
    services.assign_seat(license=license, user=holder)
    outcomes = services.assign_seats_by_email(
        license=license,
        emails=[newcomer.email.upper(), holder.email, "nobody@example.com", late.email,
                newcomer.email])
    assert [(o.email.lower(), o.outcome) for o in outcomes] == [
        (newcomer.email, "assigned"), (holder.email, "already_held"),
        ("nobody@example.com", "no_such_user"), (late.email, "no_seat_left")]
    assert Seat.objects.active().filter(license=license).count() == 2


# extending a seat

def test_a_seat_is_extended_by_raising_its_cap():
    seat = services.assign_seat(license=LicenseFactory(), user=UserFactory(),
                                ends_by=timezone.now() + 5 * DAY)
    new_end = timezone.now() + 30 * DAY
    extended = services.extend_seat(seat=seat, until=new_end)
    assert (extended.expires_at, extended.ends_by) == (new_end, new_end)


def test_a_seat_may_run_as_long_as_its_license_allows():
    license = LicenseFactory(expiration_date=timezone.now() + 60 * DAY)
    seat = services.assign_seat(license=license, user=UserFactory(),
                                ends_by=timezone.now() + 5 * DAY)
    extended = services.extend_seat(seat=seat, until=None)
    assert extended.expires_at == license.effective_expires_at and extended.ends_by is None


def test_a_seat_is_not_extended_past_its_licenses_access_days():
    license = LicenseFactory(access_days=10)
    seat = services.assign_seat(license=license, user=UserFactory(),
                                ends_by=timezone.now() + 5 * DAY)
    with pytest.raises(SeatEndNotLater, match="choose an earlier end, or extend the license"):
        services.extend_seat(seat=seat, until=timezone.now() + 30 * DAY)
    seat.refresh_from_db()
    assert seat.expires_at == seat.ends_by


def test_a_seat_is_not_given_an_earlier_end():
    seat = services.assign_seat(license=LicenseFactory(), user=UserFactory(),
                                ends_by=timezone.now() + 5 * DAY)
    with pytest.raises(SeatEndNotLater, match="later than the current one"):
        services.extend_seat(seat=seat, until=timezone.now() + 2 * DAY)


def test_a_revoked_seat_is_not_extended():
    seat = services.revoke_seat(seat=services.assign_seat(license=LicenseFactory(),
                                                          user=UserFactory()))
    with pytest.raises(SeatRevoked):
        services.extend_seat(seat=seat, until=timezone.now() + 30 * DAY)
