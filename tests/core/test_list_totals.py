"""List totals that do not scan: a ready group's code count is the one kept with the group;
an unfiltered list of a table above ESTIMATE_ABOVE rows says PostgreSQL's estimate, and its
pages still end where the rows do; anything else is counted exactly."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import pagination
from redemptions import services
from tests.redemptions.factories import OfferFactory

pytestmark = pytest.mark.django_db


def code_counts(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if "COUNT(" in q["sql"].upper() and "redemptions_code" in q["sql"]]


@pytest.fixture
def group():
    return services.create_code_group(label="G", offer=OfferFactory(), count=30, code_length=10)


def test_a_ready_groups_codes_total_is_the_groups_own_without_counting(api, group):
    with CaptureQueriesContext(connection) as queries:
        body = api.get(f"/incoming/v2/redemptionCodes/{group.pk}/codes").json()
    assert body["pageInfo"]["total"] == 30
    assert code_counts(queries) == []


def test_a_filtered_codes_total_is_counted(api, group):
    body = api.get(f"/incoming/v2/redemptionCodes/{group.pk}/codes",
                   {"redeemed": "false"}).json()
    assert body["pageInfo"]["total"] == 30


@pytest.mark.postgres
def test_an_unfiltered_list_of_a_big_table_gives_the_estimate_and_pages_to_the_end(
        api, group, monkeypatch):
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 10)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE redemptions_code")
    with CaptureQueriesContext(connection) as queries:
        first = api.get("/api/v1/codes", {"per_page": 25}).json()
    assert code_counts(queries) == []
    assert first["pagination"]["count"] == 30  # the estimate, exact on a fresh ANALYZE
    assert (first["pagination"]["pages"], first["pagination"]["next"]) == (2, 2)
    last = api.get("/api/v1/codes", {"per_page": 25, "page": 2}).json()
    assert (len(last["results"]), last["pagination"]["next"]) == (5, None)


@pytest.mark.postgres
def test_pages_go_on_while_rows_remain_past_a_low_estimate(api, group, monkeypatch):
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 10)
    monkeypatch.setattr(pagination, "estimated_rows", lambda model: 11)  # stale statistics
    body = api.get("/api/v1/codes", {"per_page": 10, "page": 2}).json()
    assert len(body["results"]) == 10 and body["pagination"]["next"] == 3
    last = api.get("/api/v1/codes", {"per_page": 10, "page": 3}).json()
    assert len(last["results"]) == 10 and last["pagination"]["next"] is None


@pytest.mark.postgres
def test_a_filtered_list_matching_more_than_the_counted_rows_gives_the_planners_estimate(
        api, group, monkeypatch):
    monkeypatch.setattr(pagination, "COUNTED_UP_TO", 12)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE redemptions_code")
    with CaptureQueriesContext(connection) as queries:
        first = api.get("/api/v1/codes", {"is_active": "true", "per_page": 25}).json()
    assert any("LIMIT 13" in sql for sql in code_counts(queries))  # counting stopped there
    assert first["pagination"]["count"] >= 13
    last = api.get("/api/v1/codes", {"is_active": "true", "per_page": 25, "page": 2}).json()
    assert (len(last["results"]), last["pagination"]["next"]) == (5, None)


@pytest.mark.postgres
def test_a_filtered_list_within_the_counted_rows_is_counted_exactly(api, group, monkeypatch):
    monkeypatch.setattr(pagination, "COUNTED_UP_TO", 30)
    body = api.get("/api/v1/codes", {"is_active": "true", "per_page": 25}).json()
    assert (body["pagination"]["count"], body["pagination"]["pages"]) == (30, 2)
