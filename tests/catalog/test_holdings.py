"""`holdings(user)`: what a learner may open, until when and through what; the access page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import access
from catalog.access import AccessGrant, AccessProvider, accessible_items
from catalog.models import CatalogItem, Entitlement, EntitlementSource, ItemKind
from catalog.selectors import holdings
from catalog.services import grant_entitlement, revoke_entitlement
from tests.factories import CatalogItemFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def days(n):
    return NOW + dt.timedelta(days=n)


def by_title(rows):
    return {row.item.title: row for row in rows}


def test_nothing_held_is_an_empty_list(learner):
    assert holdings(learner) == []


def test_an_anonymous_visitor_holds_nothing():
    assert holdings(None) == []


def test_a_direct_grant_shows_its_expiry_and_source(learner):
    item = CatalogItemFactory(title="Data Privacy")
    grant_entitlement(user=learner, item=item, expires_at=days(30),
                      source=EntitlementSource.REDEMPTION, source_ref="r1")
    [row] = holdings(learner)
    assert (row.item, row.expires_at, row.source, row.via) == (
        item, days(30), "redemption", None)
    assert row.source_label == "Redeemed code"


def test_the_rows_are_exactly_the_accessible_items(learner):
    course = CatalogItemFactory()
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[course])
    grant_entitlement(user=learner, item=bundle)
    grant_entitlement(user=learner, item=CatalogItemFactory())
    assert {row.item.pk for row in holdings(learner)} == set(
        accessible_items(learner).values_list("pk", flat=True))


def test_an_item_in_a_bundle_is_held_through_the_bundle_until_it_ends(learner):
    course = CatalogItemFactory(title="Course A")
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, title="Starter", includes=[course])
    grant_entitlement(user=learner, item=bundle, expires_at=days(10))
    rows = by_title(holdings(learner))
    assert rows["Course A"].via == bundle and rows["Course A"].expires_at == days(10)
    assert rows["Starter"].via is None


def test_the_longest_lasting_grant_decides_until_when(learner):
    course = CatalogItemFactory(title="Course A")
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[course])
    grant_entitlement(user=learner, item=course, expires_at=days(5))
    grant_entitlement(user=learner, item=bundle, expires_at=days(50))
    row = by_title(holdings(learner))["Course A"]
    assert row.expires_at == days(50) and row.via == bundle


def test_a_grant_without_end_wins_over_any_date(learner):
    course = CatalogItemFactory(title="Course A")
    grant_entitlement(user=learner, item=course, expires_at=days(5))
    grant_entitlement(user=learner, item=course, source=EntitlementSource.MANUAL)
    row = by_title(holdings(learner))["Course A"]
    assert row.expires_at is None and row.source == "manual"


def test_an_equal_direct_grant_is_preferred_to_a_container(learner):
    course = CatalogItemFactory(title="Course A")
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[course])
    grant_entitlement(user=learner, item=bundle)
    grant_entitlement(user=learner, item=course)
    assert by_title(holdings(learner))["Course A"].via is None


def test_expired_revoked_and_future_grants_are_not_held(learner):
    past = CatalogItemFactory()
    Entitlement.objects.create(user=learner, item=past, starts_at=days(-10), expires_at=days(-1))
    revoke_entitlement(grant_entitlement(user=learner, item=CatalogItemFactory()))
    grant_entitlement(user=learner, item=CatalogItemFactory(), starts_at=days(1))
    assert holdings(learner) == []


def test_someone_elses_grants_are_not_listed(learner):
    grant_entitlement(user=UserFactory(), item=CatalogItemFactory())
    assert holdings(learner) == []


def test_rows_are_sorted_by_title(learner):
    for title in ("beta", "Alpha", "gamma"):
        grant_entitlement(user=learner, item=CatalogItemFactory(title=title))
    assert [row.item.title for row in holdings(learner)] == ["Alpha", "beta", "gamma"]


def test_a_fixed_number_of_queries_whatever_the_grants(learner):
    for _ in range(6):
        course = CatalogItemFactory()
        grant_entitlement(user=learner,
                          item=CatalogItemFactory(kind=ItemKind.BUNDLE, includes=[course]))
    with CaptureQueriesContext(connection) as queries:
        rows = holdings(learner)
    assert len(rows) == 12
    assert len(queries) == 3 + len(access.providers())


class SeatLikeProvider(AccessProvider):
    """What licensing plugs in: grants on items, here from a fixed table."""

    def __init__(self, user, item, expires_at):
        self.user, self.item, self.expires_at = user, item, expires_at

    def grants(self, user, covering, at):
        if user != self.user or not CatalogItem.objects.filter(
                pk=self.item.pk, pk__in=covering).exists():
            return []
        return [AccessGrant("seat", "seat-1", self.expires_at, self.item.pk)]

    def root_item_ids(self, user, at):
        return CatalogItem.objects.filter(pk=self.item.pk if user == self.user else None
                                          ).values("pk")


@pytest.fixture
def seat_provider(monkeypatch):
    registered = list(access._providers)
    monkeypatch.setattr(access, "_providers", registered)

    def plug(provider):
        registered.append(provider)
        return provider

    return plug


def test_a_providers_grants_are_listed_with_their_source_and_expiry(learner, seat_provider):
    course = CatalogItemFactory(title="Licensed")
    path = CatalogItemFactory(kind=ItemKind.LEARNING_PATH, title="Path", includes=[course])
    seat_provider(SeatLikeProvider(learner, path, days(90)))
    rows = by_title(holdings(learner))
    assert (rows["Path"].source, rows["Path"].expires_at) == ("seat", days(90))
    assert rows["Path"].source_label == "License seat"
    assert rows["Licensed"].via == path and rows["Licensed"].expires_at == days(90)


def test_a_provider_seat_lasting_longer_than_an_entitlement_wins(learner, seat_provider):
    course = CatalogItemFactory(title="Course A")
    grant_entitlement(user=learner, item=course, expires_at=days(5))
    seat_provider(SeatLikeProvider(learner, course, None))
    row = by_title(holdings(learner))["Course A"]
    assert (row.source, row.expires_at) == ("seat", None)


def test_the_access_page_needs_a_login(client):
    response = client.get("/account/access/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/account/access/"


def test_the_access_page_lists_items_with_until_when_and_how(client, learner):
    course = CatalogItemFactory(title="Course A")
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, title="Starter", includes=[course])
    grant_entitlement(user=learner, item=bundle,
                      expires_at=dt.datetime(2031, 3, 1, 12, 0, tzinfo=dt.UTC),
                      source=EntitlementSource.REDEMPTION)
    grant_entitlement(user=learner, item=CatalogItemFactory(title="Forever Video",
                                                            kind=ItemKind.VIDEO))
    client.force_login(learner)
    body = client.get("/account/access/").content.decode()
    assert "Course A" in body and "Starter" in body and "Forever Video" in body
    assert "1 March 2031, 12:00 UTC" in body
    assert "No end date" in body
    assert "Redeemed code, in “Starter”" in body
    assert "Granted by staff" in body


def test_the_access_page_says_so_when_nothing_is_held(client, learner):
    client.force_login(learner)
    assert "do not have access to anything yet" in client.get("/account/access/").content.decode()
