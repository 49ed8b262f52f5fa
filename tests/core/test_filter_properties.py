"""Property: whatever the query string, a list endpoint answers 200 or a 400 naming a parameter.

The parameters are every one the endpoint's `ZypeFilters` declares (so the property grows with
the spec) plus pagination and a stray one; the values are arbitrary text (NUL bytes, any
script), numbers of any size, and times of every shape, in and out of range.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialects.native.catalog import CatalogItemViewSet, ClientViewSet, EntitlementViewSet
from tests.factories import CatalogItemFactory, EntitlementFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/catalog-items": CatalogItemViewSet,
    "/api/v1/clients": ClientViewSet,
    "/api/v1/entitlements": EntitlementViewSet,
}

numbers = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True)).map(str)
times = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.dates().map(str),
    st.from_regex(r"\A-?\d{1,6}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
                  r"(Z|[+-]\d{2}(:?\d{2})?)?)?\Z"),
)
ids = st.lists(st.one_of(st.uuids().map(str), st.text(max_size=8)), max_size=3).map(",".join)
values = st.one_of(st.text(max_size=40), numbers, times, ids, st.sampled_from(["true", "no"]))

NO_DATA_HEALTH = settings(max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])


def params_of(viewset) -> list[str]:
    spec = viewset.zype_filters.build(viewset.queryset.model)
    return [*spec.base_filters, "page", "per_page", "format_", "unknown"]


@pytest.fixture
def some_rows(db):
    item = CatalogItemFactory(external_id="EXT-1")
    EntitlementFactory(item=item)


@pytest.mark.parametrize("url", list(ENDPOINTS))
@NO_DATA_HEALTH
@given(data=st.data())
def test_any_query_string_is_a_200_or_a_400_naming_a_parameter_sent(api, some_rows, url, data):
    names = params_of(ENDPOINTS[url])
    query = data.draw(st.dictionaries(st.sampled_from(names), values, max_size=4), label="query")
    response = api.get(url, query)
    assert response.status_code in (200, 400), (query, response.content[:500])
    body = response.json()
    if response.status_code == 200:
        assert isinstance(body["results"], list)
        return
    fields = {error["field"] for error in body["errors"]}
    assert fields and fields <= set(query), (query, body)
