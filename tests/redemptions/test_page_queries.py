"""A learner's admin page and a group's page make the same number of queries whatever the
learner holds or the group's size: no query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from redemptions import services
from tests.factories import CatalogItemFactory, UserFactory
from tests.licensing.factories import LicenseFactory
from tests.redemptions.factories import OfferFactory

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    client.get(url)  # the session and permission caches, warmed
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def learner_holding(times: int):
    """A learner who redeemed `times` codes, each granting two items and a seat, one of them
    rolled back."""
    learner = UserFactory()
    for n in range(times):
        offer = OfferFactory(items=[CatalogItemFactory(), CatalogItemFactory()],
                             licenses=[LicenseFactory()])
        group = services.create_code_group(label=f"G{n}", offer=offer, count=2, code_length=10)
        redemption = services.redeem(group.codes.first().code, learner)
    services.rollback(redemption, "a refund", by="staff@example.com")
    return learner


def test_a_learners_page_makes_as_many_queries_at_four_times_the_holdings(admin_client):
    one, four = learner_holding(2), learner_holding(8)
    assert queries_for(admin_client, f"/admin/accounts/user/{one.pk}/change/") == \
        queries_for(admin_client, f"/admin/accounts/user/{four.pk}/change/")


def test_a_groups_page_and_its_code_list_make_as_many_queries_at_four_times_the_codes(
        admin_client):
    small, big = (services.create_code_group(label=f"G{n}", offer=OfferFactory(), count=n,
                                             code_length=10) for n in (50, 200))
    for group in (small, big):  # some redeemed, by different learners
        for code in group.codes.order_by("id")[:group.total_codes_count // 10]:
            services.redeem(code.code, UserFactory())
    for page in ("/admin/redemptions/codegroup/{}/change/",
                 "/admin/redemptions/code/?group__id__exact={}"):
        assert queries_for(admin_client, page.format(small.pk)) == \
            queries_for(admin_client, page.format(big.pk)), page
