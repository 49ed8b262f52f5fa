"""The Zype-style filters every list endpoint takes (exercised on /api/v1/catalog-items)."""

import datetime as dt

import pytest
from django.utils import timezone

from catalog.models import CatalogItem
from tests.factories import CatalogItemFactory

URL = "/api/v1/catalog-items"
UTC = dt.UTC


@pytest.fixture
def dated_items(db):
    """Three items created on 2017-01-01, 2017-01-02 and 2017-01-03 at noon UTC."""
    items = []
    for day in (1, 2, 3):
        item = CatalogItemFactory(title=f"Day {day} course")
        stamp = dt.datetime(2017, 1, day, 12, tzinfo=UTC)
        CatalogItem.objects.filter(pk=item.pk).update(created_at=stamp)
        items.append(item)
    return items


def titles(response):
    assert response.status_code == 200, response.content
    return sorted(row["title"] for row in response.json()["results"])


@pytest.mark.parametrize("suffix, expected", [
    ("gt", ["Day 3 course"]),
    ("gte", ["Day 2 course", "Day 3 course"]),
    ("lt", ["Day 1 course"]),
    ("lte", ["Day 1 course", "Day 2 course"]),
])
def test_each_range_suffix_filters_by_iso_time(api, dated_items, suffix, expected):
    response = api.get(URL, {f"created_at.{suffix}": "2017-01-02T12:00:00-00:00"})
    assert titles(response) == expected


@pytest.mark.parametrize("suffix, expected", [
    ("gt", ["Day 3 course"]),
    ("gte", ["Day 2 course", "Day 3 course"]),
    ("lt", ["Day 1 course"]),
    ("lte", ["Day 1 course", "Day 2 course"]),
])
def test_each_range_suffix_filters_by_unix_timestamp(api, dated_items, suffix, expected):
    noon_jan_2 = int(dt.datetime(2017, 1, 2, 12, tzinfo=UTC).timestamp())
    response = api.get(URL, {f"created_at.{suffix}": str(noon_jan_2)})
    assert titles(response) == expected


def test_a_bare_date_is_midnight_utc(api, dated_items):
    response = api.get(URL, {"created_at.gte": "2017-01-02"})
    assert titles(response) == ["Day 2 course", "Day 3 course"]


def test_equality_on_a_time_field_with_a_date_matches_that_day(api, dated_items):
    assert titles(api.get(URL, {"created_at": "2017-01-02"})) == ["Day 2 course"]


def test_offsets_are_honoured(api, dated_items):
    # 2017-01-02T08:00-05:00 is 13:00 UTC, after Day 2's noon.
    response = api.get(URL, {"created_at.gt": "2017-01-02T08:00:00-05:00"})
    assert titles(response) == ["Day 3 course"]


def test_unparseable_time_is_a_400_naming_the_parameter(api, dated_items):
    response = api.get(URL, {"created_at.gte": "next tuesday"})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "created_at.gte"
    assert "ISO 8601" in error["message"]


def test_id_filters_by_one_or_several_ids(api, dated_items):
    first, second, _ = dated_items
    assert titles(api.get(URL, {"id": str(first.pk)})) == ["Day 1 course"]
    both = f"{first.pk},{second.pk}"
    assert titles(api.get(URL, {"id": both})) == ["Day 1 course", "Day 2 course"]


def test_id_bang_excludes_ids(api, dated_items):
    first, second, _ = dated_items
    assert titles(api.get(URL, {"id!": f"{first.pk},{second.pk}"})) == ["Day 3 course"]


def test_malformed_id_is_a_400_naming_the_parameter(api, dated_items):
    response = api.get(URL, {"id!": "not-a-uuid"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "id!"


def test_q_searches_the_text_fields_case_insensitively(api, dated_items):
    CatalogItemFactory(title="Negotiation Mastery", external_id="NEG-1")
    assert titles(api.get(URL, {"q": "negotiation"})) == ["Negotiation Mastery"]
    assert titles(api.get(URL, {"q": "neg-1"})) == ["Negotiation Mastery"]


def test_equality_filter_on_a_boolean_rejects_nonsense(api, dated_items):
    response = api.get(URL, {"is_active": "perhaps"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "is_active"


def test_equality_filter_on_kind(api, dated_items):
    CatalogItemFactory(title="A video", kind="video")
    assert titles(api.get(URL, {"kind": "video"})) == ["A video"]


def test_pagination_object_and_per_page(api, dated_items):
    body = api.get(URL, {"per_page": 2, "page": 1}).json()
    assert len(body["results"]) == 2
    assert body["pagination"] == {"current": 1, "previous": None, "next": 2, "per_page": 2,
                                  "pages": 2, "count": 3}
    body = api.get(URL, {"per_page": 2, "page": 2}).json()
    assert len(body["results"]) == 1
    assert body["pagination"]["previous"] == 1
    assert body["pagination"]["next"] is None


def test_page_past_the_end_is_empty_not_an_error(api, dated_items):
    body = api.get(URL, {"page": 9}).json()
    assert body["results"] == []
    assert body["pagination"]["current"] == 9


@pytest.mark.parametrize("param, value", [("page", "0"), ("page", "x"), ("per_page", "-3")])
def test_bad_page_values_are_a_400_naming_the_parameter(api, dated_items, param, value):
    response = api.get(URL, {param: value})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == param


def test_per_page_is_capped_at_500(api, dated_items):
    assert api.get(URL, {"per_page": 5000}).json()["pagination"]["per_page"] == 500


def test_default_page_size_is_50(api, db):
    CatalogItemFactory.create_batch(51)
    body = api.get(URL).json()
    assert len(body["results"]) == 50
    assert body["pagination"]["pages"] == 2


def test_time_filters_work_on_timestamps_of_now(api, db):
    CatalogItemFactory(title="Fresh")
    since = int((timezone.now() - dt.timedelta(minutes=5)).timestamp())
    assert titles(api.get(URL, {"created_at.gte": since})) == ["Fresh"]
