import datetime as dt

import pytest

from core.time import iso_millis_offset, iso_millis_z, parse_epoch_millis, parse_instant, tizra_time

UTC = dt.UTC


@pytest.mark.parametrize("text, expected", [
    ("2017-01-01T00:00:00-00:00", dt.datetime(2017, 1, 1, tzinfo=UTC)),
    ("2017-01-01", dt.datetime(2017, 1, 1, tzinfo=UTC)),
    ("1483228800", dt.datetime(2017, 1, 1, tzinfo=UTC)),
    ("2017-01-01T05:00:00+05:00", dt.datetime(2017, 1, 1, tzinfo=UTC)),
    ("2017-01-01T00:00:00Z", dt.datetime(2017, 1, 1, tzinfo=UTC)),
    ("2017-01-01 00:00:00", dt.datetime(2017, 1, 1, tzinfo=UTC)),
])
def test_parse_instant_accepts_iso_and_unix_forms(text, expected):
    assert parse_instant(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2017-13-01", "99999999999999999999"])
def test_parse_instant_refuses_anything_else(text):
    with pytest.raises(ValueError):
        parse_instant(text)


def test_epoch_millis():
    assert parse_epoch_millis("1495163497116") == dt.datetime(
        2017, 5, 19, 3, 11, 37, 116000, tzinfo=UTC)


def test_dialect_time_formats():
    moment = dt.datetime(2014, 9, 11, 22, 30, 59, 114999, tzinfo=UTC)
    assert iso_millis_z(moment) == "2014-09-11T22:30:59.114Z"
    assert iso_millis_offset(moment) == "2014-09-11T22:30:59.114+00:00"
    assert tizra_time(moment) == "2014-09-11 22:30:59.114"
    assert iso_millis_z(None) is None
