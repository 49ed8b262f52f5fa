"""Active seats open their license's courses, learning paths and the courses of its tags."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.access import accessible_items, has_access, providers
from catalog.models import ItemKind
from catalog.selectors import holdings
from licensing import services
from licensing.access import SeatAccessProvider
from tests.factories import CatalogItemFactory, EntitlementFactory, UserFactory
from tests.licensing.factories import LicenseFactory, SeatFactory

pytestmark = pytest.mark.django_db


def test_licensing_registers_its_access_provider():
    assert any(isinstance(p, SeatAccessProvider) for p in providers())


def test_a_seat_opens_the_licenses_courses(learner):
    course = CatalogItemFactory()
    seat = services.assign_seat(license=LicenseFactory(courses=[course]), user=learner)
    access = has_access(learner, course)
    assert access.has_access is True
    assert [(g.source, g.id) for g in access.via] == [("seat", str(seat.pk))]


def test_a_seat_opens_the_licenses_learning_paths_and_what_they_include(learner):
    course = CatalogItemFactory()
    path = CatalogItemFactory(kind=ItemKind.LEARNING_PATH, includes=[course])
    services.assign_seat(license=LicenseFactory(learning_paths=[path]), user=learner)
    assert has_access(learner, path).has_access is True
    assert has_access(learner, course).has_access is True


def test_a_seat_opens_the_courses_of_the_licenses_course_tags(learner):
    tagged, untagged = CatalogItemFactory(), CatalogItemFactory()
    tag = CatalogItemFactory(kind=ItemKind.COURSE_TAG, includes=[tagged])
    services.assign_seat(license=LicenseFactory(course_tags=[tag]), user=learner)
    assert has_access(learner, tagged).has_access is True
    assert has_access(learner, untagged).has_access is False


def test_no_seat_no_access_through_the_license(learner):
    course = CatalogItemFactory()
    services.assign_seat(license=LicenseFactory(courses=[course]), user=UserFactory())
    assert has_access(learner, course).has_access is False


def test_a_seat_on_a_license_without_the_course_gives_no_access(learner):
    services.assign_seat(license=LicenseFactory(courses=[CatalogItemFactory()]), user=learner)
    assert has_access(learner, CatalogItemFactory()).has_access is False


def test_a_revoked_seat_gives_no_access(learner):
    course = CatalogItemFactory()
    seat = services.assign_seat(license=LicenseFactory(courses=[course]), user=learner)
    services.revoke_seat(seat=seat)
    assert has_access(learner, course).has_access is False


def test_seat_access_ends_with_the_seat(learner):
    course = CatalogItemFactory()
    license = LicenseFactory(courses=[course], access_days=10)
    seat = services.assign_seat(license=license, user=learner)
    assert has_access(learner, course).expires_at == seat.expires_at
    after = seat.expires_at + dt.timedelta(seconds=1)
    assert has_access(learner, course, at=after).has_access is False


def test_a_parents_shortened_expiry_ends_the_childs_seat_access(learner):
    course = CatalogItemFactory()
    parent = services.create_license(client=LicenseFactory().client, name="P")
    child = services.create_license(client=parent.client, name="C", parent=parent,
                                    courses=[course])
    services.assign_seat(license=child, user=learner)
    ends = timezone.now() + dt.timedelta(hours=1)
    services.update_license(license=parent, expiration_date=ends)
    assert has_access(learner, course).expires_at == ends
    assert has_access(learner, course, at=ends).has_access is False


def test_a_seat_without_end_beats_a_grant_that_ends(learner):
    course = CatalogItemFactory()
    EntitlementFactory(user=learner, item=course,
                       expires_at=timezone.now() + dt.timedelta(days=2))
    services.assign_seat(license=LicenseFactory(courses=[course]), user=learner)
    access = has_access(learner, course)
    assert access.expires_at is None
    assert {g.source for g in access.via} == {"entitlement", "seat"}


def test_the_seat_check_is_one_query_whatever_the_number_of_licenses(learner):
    course = CatalogItemFactory()
    tag = CatalogItemFactory(kind=ItemKind.COURSE_TAG, includes=[course])
    for _ in range(15):
        services.assign_seat(license=LicenseFactory(courses=[CatalogItemFactory()]),
                             user=learner)
    services.assign_seat(license=LicenseFactory(course_tags=[tag]), user=learner)
    for _ in range(15):
        SeatFactory(license=LicenseFactory(courses=[course]))
    provider = SeatAccessProvider()
    from catalog.access import covering_items_sql

    with CaptureQueriesContext(connection) as queries:
        grants = provider.grants(learner, covering_items_sql(course.pk), timezone.now())
    assert len(grants) == 1
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert has_access(learner, course).has_access is True
    assert len(queries) == 1  # the entitlements and the seats in one UNION ALL


def test_an_entitlement_and_a_seat_on_one_item_come_back_from_one_query(learner):
    course = CatalogItemFactory()
    grant = EntitlementFactory(user=learner, item=course)
    seat = services.assign_seat(license=LicenseFactory(courses=[course]), user=learner)
    with CaptureQueriesContext(connection) as queries:
        access = has_access(learner, course)
    assert len(queries) == 1
    assert {(g.source, g.id, g.item_id) for g in access.via} == {
        ("entitlement", str(grant.pk), course.pk), ("seat", str(seat.pk), None)}


def test_accessible_items_lists_what_seats_open(learner):
    course, path_course, tagged, other = (CatalogItemFactory() for _ in range(4))
    path = CatalogItemFactory(kind=ItemKind.LEARNING_PATH, includes=[path_course])
    tag = CatalogItemFactory(kind=ItemKind.COURSE_TAG, includes=[tagged])
    license = LicenseFactory(courses=[course], learning_paths=[path], course_tags=[tag])
    services.assign_seat(license=license, user=learner)
    assert set(accessible_items(learner)) == {course, path, path_course, tag, tagged}
    assert other not in accessible_items(learner)


def test_accessible_items_leaves_out_revoked_and_ended_seats(learner):
    license = LicenseFactory(courses=[CatalogItemFactory()])
    SeatFactory(license=license, user=learner, revoked_at=timezone.now())
    SeatFactory(license=LicenseFactory(courses=[CatalogItemFactory()]), user=learner,
                expires_at=timezone.now() - dt.timedelta(days=1))
    assert list(accessible_items(learner)) == []


@pytest.mark.postgres
def test_the_seat_check_finds_the_learners_seats_by_index(learner):
    course = CatalogItemFactory()
    services.assign_seat(license=LicenseFactory(courses=[course]), user=learner)
    from catalog.access import covering_items_sql
    from licensing.models import Seat

    provider = SeatAccessProvider()
    with CaptureQueriesContext(connection) as queries:
        provider.grants(learner, covering_items_sql(course.pk), timezone.now())
    sql = queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Seq Scan on {Seat._meta.db_table}" not in plan, plan
    assert "Index Cond: (user_id = " in plan, plan


def test_holdings_list_what_seats_open_with_a_fixed_number_of_queries(learner):
    def seated_on(n):
        for _ in range(n):
            SeatFactory(user=learner, license=LicenseFactory(
                courses=[CatalogItemFactory()],
                learning_paths=[CatalogItemFactory(kind=ItemKind.LEARNING_PATH)]))

    seated_on(1)
    with CaptureQueriesContext(connection) as few:
        assert len(holdings(learner)) == 2
    seated_on(5)
    with CaptureQueriesContext(connection) as many:
        rows = holdings(learner)
    assert len(rows) == 12
    assert {row.source for row in rows} == {"seat"}
    assert len(many) == len(few)
