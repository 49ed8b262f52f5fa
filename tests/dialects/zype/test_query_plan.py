"""The list Zype clients page through — `video_id=…&created_at.gte=…`, newest first — is one
backward range scan of the (target_item, created_at, id) index on PostgreSQL, stopping after a
page, and its count reads the same index: no sort, no scan of the whole table. (How fast it is
over a million codes is measured by `make bench` (bench/run.py, row 7), not here.)"""

import datetime as dt
import json
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from redemptions import services
from tests.dialects.zype.support import Zype, item

# Committed rows, so VACUUM can mark them all-visible as autovacuum does in production (an
# index-only count needs the visibility map).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def many_codes(db):
    """20,000 codes: 20 bulk creates of 1,000, ten days apart, over 10 videos; vacuumed and
    analysed."""
    videos = [item(external_id=f"video-{n}") for n in range(10)]
    for n in range(20):
        with mock.patch.object(timezone, "now", return_value=START + dt.timedelta(days=10 * n)):
            services.create_code_group(
                label=f"Bulk {n}", offer=services.OfferTerms(name="Bulk",
                                                             items=[videos[n % 10]]),
                count=1000, code_length=12)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE redemptions_code")
    return videos


def plan_of(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        raw = cursor.fetchone()[0]
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def nodes(plan: dict) -> list[dict]:
    return [plan, *(n for child in plan.get("Plans", []) for n in nodes(child))]


FILTERED = {"video_id": "video-3", "created_at.gte": "2025-04-01"}


def list_queries(api_key, params=FILTERED) -> tuple[str, str]:
    """The page query and the count query of the real list request."""
    zype = Zype(api_key[1])
    zype.get()  # the key's first use records when it was used: not part of the list
    with CaptureQueriesContext(connection) as queries:
        response = zype.get(**params)
    assert response.status_code == 200
    assert len(response.json()["response"]) == 10
    sqls = [q["sql"] for q in queries.captured_queries if "redemptions_code" in q["sql"]]
    count = next(s for s in sqls if "COUNT(" in s.upper())
    page = next(s for s in sqls if "LIMIT" in s.upper() and "COUNT(" not in s.upper())
    return page, count


def test_the_filtered_first_page_is_a_backward_scan_of_the_target_index_without_a_sort(
        many_codes, api_key):
    page, _ = list_queries(api_key)
    steps = nodes(plan_of(page))
    scans = [n for n in steps if n.get("Relation Name") == "redemptions_code"]
    assert [(n["Node Type"], n.get("Index Name"), n.get("Scan Direction")) for n in scans] == \
        [("Index Scan", "code_target_created", "Backward")]
    assert not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in steps)
    assert steps[0]["Node Type"] == "Limit"


def test_the_count_reads_the_same_index_only(many_codes, api_key):
    _, count = list_queries(api_key)
    steps = nodes(plan_of(count))
    scans = [n for n in steps if n.get("Relation Name") == "redemptions_code"]
    assert [(n["Node Type"], n.get("Index Name")) for n in scans] == \
        [("Index Only Scan", "code_target_created")]
    assert not any(n["Node Type"] in ("Hash Join", "Nested Loop") for n in steps)


def test_the_unfiltered_first_page_is_a_backward_scan_of_the_created_index_without_a_sort(
        many_codes, api_key):
    page, _ = list_queries(api_key, {})
    steps = nodes(plan_of(page))
    scans = [n for n in steps if n.get("Relation Name") == "redemptions_code"]
    assert [(n["Node Type"], n.get("Index Name"), n.get("Scan Direction")) for n in scans] == \
        [("Index Scan", "code_created", "Backward")]
    assert not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in steps)
