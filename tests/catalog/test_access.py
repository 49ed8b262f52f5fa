"""has_access and accessible_items: direct grants, containers, expiry, revocation."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.access import accessible_items, has_access
from catalog.models import ItemKind
from tests.factories import CatalogItemFactory, EntitlementFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_no_grant_no_access(learner):
    assert has_access(learner, CatalogItemFactory()).has_access is False


def test_a_direct_grant_opens_the_item(learner):
    item = CatalogItemFactory()
    grant = EntitlementFactory(user=learner, item=item)
    access = has_access(learner, item)
    assert access.has_access is True
    assert access.expires_at is None
    assert [(g.source, g.id) for g in access.via] == [("entitlement", str(grant.pk))]


def test_someone_elses_grant_does_not_count(learner):
    item = CatalogItemFactory()
    EntitlementFactory(user=UserFactory(), item=item)
    assert has_access(learner, item).has_access is False


def test_access_through_a_bundle(learner):
    course = CatalogItemFactory()
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[course])
    EntitlementFactory(user=learner, item=bundle)
    assert has_access(learner, course).has_access is True
    assert has_access(learner, bundle).has_access is True


def test_access_through_a_course_tag(learner):
    course = CatalogItemFactory()
    tag = CatalogItemFactory(kind=ItemKind.COURSE_TAG, title="Compliance", includes=[course])
    EntitlementFactory(user=learner, item=tag)
    assert has_access(learner, course).has_access is True


def test_access_through_nested_containers(learner):
    course = CatalogItemFactory()
    path = CatalogItemFactory(kind=ItemKind.LEARNING_PATH, includes=[course])
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[path])
    EntitlementFactory(user=learner, item=bundle)
    assert has_access(learner, course).has_access is True


def test_a_course_does_not_open_the_bundle_that_contains_it(learner):
    course = CatalogItemFactory()
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[course])
    EntitlementFactory(user=learner, item=course)
    assert has_access(learner, bundle).has_access is False


def test_access_ends_exactly_at_expiry(learner):
    item = CatalogItemFactory()
    ends = timezone.now() + dt.timedelta(days=3)
    EntitlementFactory(user=learner, item=item, expires_at=ends)
    assert has_access(learner, item, at=ends - dt.timedelta(microseconds=1)).has_access is True
    assert has_access(learner, item, at=ends).has_access is False


def test_access_starts_exactly_at_start(learner):
    item = CatalogItemFactory()
    starts = timezone.now() + dt.timedelta(days=1)
    EntitlementFactory(user=learner, item=item, starts_at=starts)
    assert has_access(learner, item, at=starts - dt.timedelta(seconds=1)).has_access is False
    assert has_access(learner, item, at=starts).has_access is True


def test_a_revoked_grant_gives_no_access(learner):
    item = CatalogItemFactory()
    EntitlementFactory(user=learner, item=item, revoked_at=timezone.now())
    assert has_access(learner, item).has_access is False


def test_expires_at_is_the_latest_of_several_grants_and_none_wins(learner):
    course = CatalogItemFactory()
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[course])
    soon = timezone.now() + dt.timedelta(days=1)
    later = timezone.now() + dt.timedelta(days=9)
    EntitlementFactory(user=learner, item=course, expires_at=soon)
    EntitlementFactory(user=learner, item=bundle, expires_at=later)
    assert has_access(learner, course).expires_at == later
    EntitlementFactory(user=learner, item=bundle, expires_at=None)
    assert has_access(learner, course).expires_at is None


def test_accessible_items_expands_containers_downwards(learner):
    a, b, c = CatalogItemFactory(), CatalogItemFactory(), CatalogItemFactory()
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[a, b])
    EntitlementFactory(user=learner, item=bundle)
    assert set(accessible_items(learner)) == {bundle, a, b}
    assert c not in accessible_items(learner)


def test_accessible_items_leaves_out_expired_and_revoked(learner):
    past = timezone.now() - dt.timedelta(days=1)
    EntitlementFactory(user=learner, expires_at=past, starts_at=past - dt.timedelta(days=2))
    EntitlementFactory(user=learner, revoked_at=timezone.now())
    assert list(accessible_items(learner)) == []


def test_has_access_is_one_query_with_its_providers_whatever_the_grants(learner):
    from catalog import access

    assert access.providers()  # licensing's seats: their rows join the same query
    course = CatalogItemFactory()
    for _ in range(20):
        EntitlementFactory(user=learner, item=CatalogItemFactory(
            kind=ItemKind.BUNDLE, includes=[course]))
    with CaptureQueriesContext(connection) as queries:
        assert has_access(learner, course).has_access is True
    assert len(queries) == 1


def test_a_preview_grant_opens_the_item_and_says_it_is_a_preview(learner):
    item = CatalogItemFactory()
    grant = EntitlementFactory(user=learner, item=item, preview_only=True)
    answer = has_access(learner, item).as_dict()
    assert answer["has_access"] is True and answer["preview_only"] is True
    assert answer["via"] == [{"source": "entitlement", "id": str(grant.pk), "preview": True}]


def test_a_paid_grant_beside_a_preview_is_full_access(learner):
    item = CatalogItemFactory()
    EntitlementFactory(user=learner, item=item, preview_only=True)
    EntitlementFactory(user=learner, item=item)
    answer = has_access(learner, item).as_dict()
    assert answer["preview_only"] is False
    assert sorted(v["preview"] for v in answer["via"]) == [False, True]


def test_no_access_is_not_preview_only(learner):
    assert has_access(learner, CatalogItemFactory()).as_dict()["preview_only"] is False
