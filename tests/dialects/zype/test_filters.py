"""Every filter of seed 002's list: times with each range suffix (ISO and Unix), id and id!,
the four target ids, code, transaction_id, q, page/per_page and the pagination object."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import ItemKind
from redemptions import services
from redemptions.models import Code
from tests.dialects.zype.support import FIELD_KINDS, Zype, item, standalone_code
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC
TIME_FIELDS = {"created_at": "created_at", "updated_at": "updated_at",
               "expiration_date": "expiration_date", "redeemed_at": "last_redeemed_at"}


@pytest.fixture
def zype(api_key):
    return Zype(api_key[1])


@pytest.fixture
def dated(db):
    """Codes DATED1, DATED2, DATED3: each of their times at noon UTC on 2017-01-01, -02, -03."""
    video = item(title="Dated video")
    for day in (1, 2, 3):
        code = standalone_code(video, code=f"DATED{day}")
        stamp = dt.datetime(2017, 1, day, 12, tzinfo=UTC)
        Code.objects.filter(pk=code.pk).update(
            created_at=stamp, updated_at=stamp, expiration_date=stamp, redemptions_count=1,
            last_redeemed_at=stamp)


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["code"] for row in response.json()["response"])


RANGES = [("gt", ["DATED3"]), ("gte", ["DATED2", "DATED3"]), ("lt", ["DATED1"]),
          ("lte", ["DATED1", "DATED2"])]


@pytest.mark.parametrize("field", list(TIME_FIELDS))
@pytest.mark.parametrize("suffix, expected", RANGES)
def test_each_time_filter_takes_each_range_suffix_with_an_iso_time(zype, dated, field, suffix,
                                                                   expected):
    response = zype.get(**{f"{field}.{suffix}": "2017-01-02T12:00:00-00:00"})
    assert codes(response) == expected


@pytest.mark.parametrize("field", list(TIME_FIELDS))
@pytest.mark.parametrize("suffix, expected", RANGES)
def test_each_time_filter_takes_each_range_suffix_with_a_unix_time(zype, dated, field, suffix,
                                                                   expected):
    noon_jan_2 = int(dt.datetime(2017, 1, 2, 12, tzinfo=UTC).timestamp())
    assert codes(zype.get(**{f"{field}.{suffix}": str(noon_jan_2)})) == expected


@pytest.mark.parametrize("field", list(TIME_FIELDS))
def test_each_time_filter_without_a_suffix_matches_the_instant_or_a_whole_day(zype, dated,
                                                                             field):
    assert codes(zype.get(**{field: "2017-01-02T12:00:00+00:00"})) == ["DATED2"]
    assert codes(zype.get(**{field: "2017-01-03"})) == ["DATED3"]


def test_expiration_date_filters_see_a_bulk_groups_expiry(zype):
    video = item()
    services.create_code_group(
        label="Bulk", offer=services.OfferTerms(name="Bulk", items=[video]), count=2,
        code_length=10, expiration_date=dt.datetime(2030, 6, 1, tzinfo=UTC))
    standalone_code(video, code="NEVEREXPIRES")
    found = zype.get(**{"expiration_date.gte": "2030-01-01"}).json()["response"]
    assert len(found) == 2
    assert {row["expiration_date"] for row in found} == {"2030-06-01T00:00:00.000+00:00"}


def test_redeemed_at_filters_leave_out_rolled_back_codes(zype):
    code = standalone_code(item(), code="ROLLEDBACK")
    services.rollback(services.redeem(code.code, UserFactory()), "refund")
    assert codes(zype.get(**{"redeemed_at.gte": "2000-01-01"})) == []


@pytest.mark.parametrize("param, value", [("created_at.gte", "yesterday"),
                                          ("redeemed_at.lt", "2017-13-45"),
                                          ("expiration_date", "soon"), ("id", "abc"),
                                          ("per_page", "0"), ("page", "x")])
def test_an_unreadable_filter_is_a_400_naming_it(zype, param, value):
    response = zype.get(**{param: value})
    assert response.status_code == 400
    assert response.json()["message"].startswith(param)


def test_id_and_id_bang_take_one_id_or_a_comma_list(zype, dated):
    ids = {c.code: c.pk for c in Code.objects.all()}
    assert codes(zype.get(id=ids["DATED1"])) == ["DATED1"]
    assert codes(zype.get(id=f"{ids['DATED1']},{ids['DATED3']}")) == ["DATED1", "DATED3"]
    assert codes(zype.get(**{"id!": ids["DATED2"]})) == ["DATED1", "DATED3"]
    assert codes(zype.get(**{"id!": f"{ids['DATED1']},{ids['DATED2']}"})) == ["DATED3"]


@pytest.mark.parametrize("field", list(FIELD_KINDS))
def test_each_target_filter_finds_codes_by_external_or_our_id(zype, field):
    target = item(FIELD_KINDS[field], external_id=f"ext-{field}")
    other = item(FIELD_KINDS[field])
    standalone_code(target, code="MYCODE")
    standalone_code(other, code="OTHERS")
    assert codes(zype.get(**{field: f"ext-{field}"})) == ["MYCODE"]
    assert codes(zype.get(**{field: str(target.pk)})) == ["MYCODE"]


def test_a_target_filter_of_the_wrong_kind_or_an_unknown_id_finds_nothing(zype):
    video = item(ItemKind.VIDEO, external_id="vid-1")
    standalone_code(video)
    assert codes(zype.get(playlist_id="vid-1")) == []
    assert codes(zype.get(video_id="no-such-video")) == []


def test_code_filter_takes_the_code_as_typed(zype, dated):
    assert codes(zype.get(code="dated-2")) == ["DATED2"]


def test_transaction_id_filter(zype):
    standalone_code(item(), code="PAIDFOR", transaction_id="TX-1")
    standalone_code(item(), code="FREEBIE")
    assert codes(zype.get(transaction_id="TX-1")) == ["PAIDFOR"]


def test_q_searches_code_transaction_id_and_content_title(zype):
    standalone_code(item(title="Spaceballs"), code="AAAA1111")
    standalone_code(item(title="Alien"), code="BBBB2222", transaction_id="order-77")
    assert codes(zype.get(q="spaceballs")) == ["AAAA1111"]
    assert codes(zype.get(q="bbbb")) == ["BBBB2222"]
    assert codes(zype.get(q="order-77")) == ["BBBB2222"]


def test_filters_combine(zype, dated):
    video = Code.objects.get(code="DATED1").target_item
    other = standalone_code(item(), code="ELSEWHERE")
    Code.objects.filter(pk=other.pk).update(created_at=dt.datetime(2017, 1, 3, tzinfo=UTC))
    response = zype.get(**{"video_id": str(video.pk), "created_at.gte": "2017-01-02"})
    assert codes(response) == ["DATED2", "DATED3"]


def test_pages_and_the_pagination_object(zype):
    video = item()
    for n in range(25):
        standalone_code(video, code=f"PAGED{n:02d}")
    first = zype.get().json()
    assert len(first["response"]) == 10
    assert first["pagination"] == {"current": 1, "previous": None, "next": 2, "per_page": 10,
                                   "pages": 3}
    last = zype.get(page=3, per_page=10).json()
    assert len(last["response"]) == 5
    assert last["pagination"] == {"current": 3, "previous": 2, "next": None, "per_page": 10,
                                  "pages": 3}
    assert zype.get(per_page=25).json()["pagination"]["pages"] == 1
    assert zype.get(page=9).json()["response"] == []


def test_the_newest_codes_come_first_and_pages_never_repeat_a_code(zype):
    video = item()
    made = [standalone_code(video, code=f"ORDER{n}") for n in range(5)]
    Code.objects.update(created_at=dt.datetime(2020, 1, 1, tzinfo=UTC))  # ties: by id
    Code.objects.filter(pk=made[0].pk).update(created_at=dt.datetime(2021, 1, 1, tzinfo=UTC))
    seen = [row["code"] for page in (1, 2, 3)
            for row in zype.get(page=page, per_page=2).json()["response"]]
    assert seen == ["ORDER0", "ORDER4", "ORDER3", "ORDER2", "ORDER1"]


def test_a_page_costs_the_same_queries_for_one_code_or_ten(zype):
    video = item()
    standalone_code(video)
    zype.get()  # the API key's first use also records when it was used
    with CaptureQueriesContext(connection) as one:
        assert zype.get().status_code == 200
    for _ in range(9):
        standalone_code(item(ItemKind.PLAYLIST))
    with CaptureQueriesContext(connection) as ten:
        assert len(zype.get().json()["response"]) == 10
    assert len(ten) == len(one)
