"""The admin's code and redemption lists never count the whole table: an unfiltered list
shows PostgreSQL's estimate, a filtered one counts only as far as the pages it offers, and a
page past them is refused rather than read at a deep offset (`core.admin_pagination`)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.admin_pagination import BoundedPaginator
from redemptions import services
from tests.redemptions.factories import OfferFactory

pytestmark = pytest.mark.django_db

CODES = "/admin/redemptions/code/"


@pytest.fixture
def two_pages(monkeypatch):
    """A bound of 2 pages of 100 codes, and 300 codes."""
    monkeypatch.setattr(BoundedPaginator, "max_pages", 2)
    return services.create_code_group(label="Many", offer=OfferFactory(), count=300,
                                      code_length=10)


def counts_of_codes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if "COUNT(" in q["sql"].upper() and "redemptions_code" in q["sql"]]


@pytest.mark.postgres
def test_the_whole_code_list_shows_the_estimate_and_counts_nothing(admin_client, two_pages):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE redemptions_code")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CODES)
    assert "about 300 codes" in response.content.decode()
    assert counts_of_codes(queries) == []


def test_a_filtered_list_counts_only_as_far_as_its_pages_reach(admin_client, two_pages):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CODES, {"is_active__exact": "1"})
    assert "more than 200 codes" in response.content.decode()
    assert all("LIMIT 201" in sql for sql in counts_of_codes(queries))


def test_a_short_list_shows_its_exact_count(admin_client, two_pages):
    code = two_pages.codes.first()
    response = admin_client.get(CODES, {"q": code.code})
    assert "1 code" in response.content.decode()
    assert list(response.context["cl"].result_list) == [code]


def test_a_page_past_the_bound_is_refused(admin_client, two_pages):
    assert admin_client.get(CODES, {"p": "2"}).status_code == 200
    response = admin_client.get(CODES, {"p": "3"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
