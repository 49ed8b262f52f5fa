"""The database as the last guard, and lists whose query count does not grow with rows."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from redemptions import services
from redemptions.models import Code, Offer, Redemption
from tests.factories import UserFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory

pytestmark = pytest.mark.django_db


def test_an_offer_cannot_hold_both_access_limits_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.create(name="X", access_days=3, access_expiration_date=timezone.now())


def test_a_code_cannot_count_more_uses_than_it_allows_in_the_database():
    code = CodeFactory(max_redemptions=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Code.objects.filter(pk=code.pk).update(redemptions_count=2)


def test_two_standing_redemptions_of_one_code_by_one_learner_are_refused_by_the_database():
    redemption = services.redeem(CodeFactory(max_redemptions=3).code, UserFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(code=redemption.code, user=redemption.user)


def test_canonical_codes_are_unique_in_the_database():
    CodeFactory(code="SAME1234")
    with pytest.raises(IntegrityError), transaction.atomic():
        CodeFactory(code="SAME1234")


def count_queries(client, url) -> int:
    client.get(url)  # the API key's first use of a minute records it: not the list's cost
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/incoming/v2/redemptionCodes", "/api/v1/code-groups"])
def test_group_lists_cost_the_same_queries_for_one_group_or_many(api, url):
    CodeGroupFactory()
    one = count_queries(api, url)
    for _ in range(5):
        CodeGroupFactory()
    assert count_queries(api, url) == one


@pytest.mark.parametrize("url", ["/api/v1/codes", "/api/v1/redemptions"])
def test_code_and_redemption_lists_cost_the_same_queries_for_one_row_or_many(api, url):
    services.redeem(CodeFactory().code, UserFactory())
    one = count_queries(api, url)
    for _ in range(5):
        services.redeem(CodeFactory().code, UserFactory())
    assert count_queries(api, url) == one
