"""check_access: the learner, the item and the grants in one statement, answering what the
three look-ups it replaced answered (the learner by id or email, the item by id or external
id, then `has_access`'s grants query)."""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from catalog import access
from catalog.access import (
    Access,
    AccessGrant,
    AccessProvider,
    _combine,
    check_access,
    covering_items_sql,
    grant_rows,
    providers,
)
from catalog.models import CatalogItem, Entitlement, ItemKind, item_reference
from licensing.models import Seat
from tests.factories import CatalogItemFactory, EntitlementFactory, UserFactory
from tests.licensing.factories import LicenseFactory, SeatFactory

pytestmark = pytest.mark.django_db


def _three_lookups(learner_ref: str, item_ref: str, at: dt.datetime):
    """The reading check_access replaced, query by query: (learner id, item id, Access)."""
    try:
        learner = User.objects.by_id_or_email(learner_ref)
    except User.DoesNotExist:
        learner = None
    item = CatalogItem.objects.by_id_or_external(None, item_ref).first()
    if learner is None or item is None:
        return learner and learner.pk, item and item.pk, Access(False)
    covering = covering_items_sql(item.pk)
    rows = grant_rows(Entitlement.objects.active(at).filter(user=learner, item_id__in=covering),
                      "entitlement", item="item_id", preview="preview_only")
    parts = [p.grant_rows(learner, covering, at) for p in providers()]
    rows = rows.union(*parts, all=True)
    grants = [AccessGrant(source, str(pk), expires_at, covered, bool(preview))
              for pk, expires_at, covered, source, preview in rows]
    return learner.pk, item.pk, _combine(grants)


def _one_statement(learner_ref: str, item_ref: str, at: dt.datetime):
    text = learner_ref.strip()
    if "@" in text:
        named = {"learner_email": text}
    else:
        try:
            named = {"learner_id": uuid.UUID(text)}
        except ValueError:
            named = {}
    item_id, external_id = item_reference(item_ref)
    check = check_access(**named, item_id=item_id, item_external_id=external_id, at=at)
    return check.learner_id, check.item_id, check.access


def _comparable(answer):
    learner_id, item_id, access = answer
    return (learner_id, item_id, access.has_access, access.expires_at, access.preview_only,
            sorted((g.source, g.id, g.expires_at, g.preview) for g in access.via))


@pytest.fixture
def world():
    """One learner holding every kind of grant, each on an item of its own."""
    now = timezone.now()
    learner = UserFactory(email="Holder@Example.com")
    items = {name: CatalogItemFactory(external_id=f"ext-{name}") for name in (
        "active", "expired", "revoked", "future", "preview", "ending", "in_bundle",
        "seat", "seat_revoked", "seat_expired", "seat_and_grant", "nothing")}
    EntitlementFactory(user=learner, item=items["active"])
    EntitlementFactory(user=learner, item=items["expired"], starts_at=now - dt.timedelta(days=9),
                       expires_at=now - dt.timedelta(days=1))
    EntitlementFactory(user=learner, item=items["revoked"], revoked_at=now)
    EntitlementFactory(user=learner, item=items["future"], starts_at=now + dt.timedelta(days=1))
    EntitlementFactory(user=learner, item=items["preview"], preview_only=True)
    EntitlementFactory(user=learner, item=items["ending"], expires_at=now + dt.timedelta(days=3))
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[items["in_bundle"]])
    EntitlementFactory(user=learner, item=bundle, expires_at=now + dt.timedelta(days=5))
    SeatFactory(user=learner, license=LicenseFactory(courses=[items["seat"]]))
    SeatFactory(user=learner, license=LicenseFactory(courses=[items["seat_revoked"]]),
                revoked_at=now)
    SeatFactory(user=learner, license=LicenseFactory(courses=[items["seat_expired"]]),
                expires_at=now - dt.timedelta(hours=1))
    SeatFactory(user=learner, license=LicenseFactory(courses=[items["seat_and_grant"]]),
                expires_at=now + dt.timedelta(days=2))
    EntitlementFactory(user=learner, item=items["seat_and_grant"],
                       expires_at=now + dt.timedelta(days=1))
    EntitlementFactory(item=items["nothing"])  # someone else's
    return learner, items


ITEM_NAMES = ["active", "expired", "revoked", "future", "preview", "ending", "in_bundle",
              "seat", "seat_revoked", "seat_expired", "seat_and_grant", "nothing"]


@pytest.mark.parametrize("name", ITEM_NAMES)
def test_one_statement_answers_as_the_three_lookups_for_each_kind_of_grant(world, name):
    learner, items = world
    at = timezone.now()
    for learner_ref in (learner.email, learner.email.upper(), str(learner.pk)):
        for item_ref in (str(items[name].pk), f"ext-{name}"):
            before = _three_lookups(learner_ref, item_ref, at)
            assert _comparable(_one_statement(learner_ref, item_ref, at)) == \
                _comparable(before)


def test_the_grants_found_are_the_expected_ones(world):
    learner, items = world
    at = timezone.now()
    opened = {name for name in ITEM_NAMES
              if _one_statement(learner.email, str(items[name].pk), at)[2].has_access}
    assert opened == {"active", "preview", "ending", "in_bundle", "seat", "seat_and_grant"}
    _, _, both = _one_statement(learner.email, str(items["seat_and_grant"].pk), at)
    assert sorted(g.source for g in both.via) == ["entitlement", "seat"]
    assert both.expires_at == Seat.objects.get(user=learner, license__courses=items[
        "seat_and_grant"]).expires_at


def test_an_unknown_learner_is_told_apart_from_an_unknown_item(world):
    learner, items = world
    at = timezone.now()
    item = str(items["active"].pk)
    assert _one_statement("nobody@example.com", item, at)[:2] == (None, items["active"].pk)
    assert _one_statement(str(uuid.uuid4()), item, at)[:2] == (None, items["active"].pk)
    assert _one_statement(learner.email, str(uuid.uuid4()), at)[:2] == (learner.pk, None)
    assert _one_statement(learner.email, "ext-missing", at)[:2] == (learner.pk, None)
    assert _one_statement("nobody@example.com", "ext-missing", at)[:2] == (None, None)
    for learner_ref, item_ref in (("nobody@example.com", item), (learner.email, "ext-missing")):
        assert _comparable(_one_statement(learner_ref, item_ref, at)) == \
            _comparable(_three_lookups(learner_ref, item_ref, at))


def test_an_item_whose_external_id_is_another_items_id_is_found_as_first_did():
    learner = UserFactory()
    first = CatalogItemFactory(title="A first")
    CatalogItemFactory(title="B second", external_id=str(first.pk))
    at = timezone.now()
    assert _comparable(_one_statement(learner.email, str(first.pk), at)) == \
        _comparable(_three_lookups(learner.email, str(first.pk), at))
    titled_last = CatalogItemFactory(title="Z last")
    CatalogItemFactory(title="C before it", external_id=str(titled_last.pk))
    assert _comparable(_one_statement(learner.email, str(titled_last.pk), at)) == \
        _comparable(_three_lookups(learner.email, str(titled_last.pk), at))


def test_a_nul_in_the_item_reference_finds_no_item(world):
    learner, _ = world
    assert _one_statement(learner.email, "ext-active\x00", timezone.now())[1] is None


def test_the_check_is_one_query_with_200_entitlements_and_10_seats():
    learner = UserFactory()
    items = CatalogItemFactory.create_batch(200)
    for item in items:
        EntitlementFactory(user=learner, item=item)
    seated = CatalogItemFactory.create_batch(10)
    for item in seated:
        SeatFactory(user=learner, license=LicenseFactory(courses=[item]))
    for item in (items[17], seated[3]):
        with CaptureQueriesContext(connection) as queries:
            check = check_access(learner_email=learner.email.upper(), item_id=item.pk,
                                 item_external_id=str(item.pk))
        assert check.access.has_access is True
        assert len(queries) == 1


class _DatedProvider(AccessProvider):
    """Derives a date from `at`: the once-compiled statement cannot carry that."""

    def grant_rows(self, user, covering, at):
        return grant_rows(Entitlement.objects.filter(user=user, starts_at__date=at.date()),
                          "dated")


class _QueryProvider(AccessProvider):
    """No `grant_rows`: asked with a query of its own, after the statement."""

    def grants(self, user, covering, at):
        return [AccessGrant("other", f"{user.pk}", None)]


def test_a_provider_using_at_otherwise_than_as_a_value_is_refused(monkeypatch):
    monkeypatch.setattr(access, "_providers", [*access.providers(), _DatedProvider()])
    with pytest.raises(AssertionError, match="cannot be compiled once"):
        check_access(learner_email="a@example.com", item_external_id="x")


def test_a_provider_without_grant_rows_is_asked_after_the_statement(monkeypatch):
    learner, item = UserFactory(), CatalogItemFactory()
    monkeypatch.setattr(access, "_providers", [*access.providers(), _QueryProvider()])
    with CaptureQueriesContext(connection) as queries:
        check = check_access(learner_id=learner.pk, item_id=item.pk)
    assert [(g.source, g.id) for g in check.access.via] == [("other", str(learner.pk))]
    assert len(queries) == 1  # the provider above asks none of its own


def test_two_learners_whose_emails_differ_only_in_case_are_refused_as_get_refused():
    """Saving lower-cases emails; rows from before that rule may still differ in case."""
    UserFactory(email="twin@example.com")
    User.objects.filter(pk=UserFactory().pk).update(email="TWIN@example.com")
    with pytest.raises(User.MultipleObjectsReturned):
        User.objects.by_id_or_email("Twin@example.com")
    with pytest.raises(User.MultipleObjectsReturned):
        check_access(learner_email="Twin@example.com", item_id=CatalogItemFactory().pk)
