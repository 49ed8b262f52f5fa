"""Extending a grant's end (`catalog.services.extend_entitlement`): later only, in the future,
never a revoked grant."""

import datetime as dt

import pytest
from django.utils import timezone

from catalog.errors import EndNotLater, EntitlementRevoked
from catalog.services import extend_entitlement, grant_entitlement, revoke_entitlement
from tests.factories import CatalogItemFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def grant(expires_in=None):
    return grant_entitlement(user=UserFactory(), item=CatalogItemFactory(),
                             expires_at=timezone.now() + expires_in if expires_in else None)


def test_a_grant_is_extended_to_a_later_end():
    entitlement = grant(3 * DAY)
    new_end = timezone.now() + 30 * DAY
    assert extend_entitlement(entitlement, expires_at=new_end).expires_at == new_end
    entitlement.refresh_from_db()
    assert entitlement.expires_at == new_end


def test_a_grant_may_be_extended_to_no_end():
    entitlement = extend_entitlement(grant(3 * DAY), expires_at=None)
    entitlement.refresh_from_db()
    assert entitlement.expires_at is None


def test_an_ended_grant_is_extended_into_the_future_again():
    entitlement = grant(3 * DAY)
    entitlement.starts_at -= 10 * DAY
    entitlement.expires_at = timezone.now() - DAY
    entitlement.save()
    extended = extend_entitlement(entitlement, expires_at=timezone.now() + DAY)
    assert extended.is_active()


@pytest.mark.parametrize("new_end", [2 * DAY, -DAY], ids=["earlier", "in the past"])
def test_an_end_not_later_is_refused_and_the_grant_keeps_its_end(new_end):
    entitlement = grant(3 * DAY)
    ends = entitlement.expires_at
    with pytest.raises(EndNotLater):
        extend_entitlement(entitlement, expires_at=timezone.now() + new_end)
    entitlement.refresh_from_db()
    assert entitlement.expires_at == ends


def test_a_grant_without_an_end_is_not_given_one():
    entitlement = grant()
    with pytest.raises(EndNotLater):
        extend_entitlement(entitlement, expires_at=timezone.now() + 30 * DAY)


def test_a_revoked_grant_is_not_extended():
    entitlement = revoke_entitlement(grant(3 * DAY))
    with pytest.raises(EntitlementRevoked):
        extend_entitlement(entitlement, expires_at=timezone.now() + 30 * DAY)
