"""Properties of `core.time.parse_instant`: ISO 8601 and Unix forms round-trip; nothing else
escapes but `ValueError` (which the filters turn into a 400 naming the parameter)."""

import datetime as dt
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from core.time import iso_millis_offset, iso_millis_z, parse_instant

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)

# Offsets in whole minutes (ISO 8601 and Django's parser stop there), within ±23:59.
offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)))
# Years 2–9998, so that no offset can carry an instant past datetime's range.
aware_times = st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31),
                           timezones=offsets)
# The Unix seconds of 0002-01-01 .. 9998-12-31.
unix_seconds = st.integers(min_value=-62104060800, max_value=253339171200)


@given(aware_times)
def test_iso_8601_with_any_offset_round_trips_to_the_same_instant_in_utc(moment):
    parsed = parse_instant(moment.isoformat())
    assert parsed == moment
    assert parsed.utcoffset() == dt.timedelta(0)


@given(aware_times)
def test_a_space_instead_of_the_t_means_the_same_instant(moment):
    assert parse_instant(moment.isoformat(sep=" ")) == moment


@given(aware_times)
@example(dt.datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))  # a year of three digits
def test_the_dialect_renderings_parse_back_to_the_millisecond(moment):
    millis = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert parse_instant(iso_millis_z(moment)) == millis
    assert parse_instant(iso_millis_offset(moment, moment.tzinfo)) == millis


@given(unix_seconds)
def test_unix_seconds_round_trip(seconds):
    parsed = parse_instant(str(seconds))
    assert parsed.tzinfo is not None
    assert parsed.timestamp() == seconds
    assert parse_instant(str(int(parsed.timestamp()))) == parsed


@given(unix_seconds, st.integers(min_value=0, max_value=999))
def test_fractional_unix_seconds_keep_their_milliseconds(seconds, millis):
    text = f"{seconds}.{millis:03d}"  # "-1.250" is a quarter second before -1
    expected = EPOCH + dt.timedelta(microseconds=int(Decimal(text) * 1_000_000))
    # A float carries ~16 digits: within 100 µs at the far ends of the range, exact nearer.
    assert abs(parse_instant(text) - expected) < dt.timedelta(microseconds=100)


@given(aware_times)
def test_a_unix_time_and_its_iso_form_name_the_same_instant(moment):
    whole = moment.replace(microsecond=0)
    assert parse_instant(str(int(whole.timestamp()))) == parse_instant(whole.isoformat())


@given(st.dates())
def test_a_bare_date_is_its_first_or_last_microsecond_in_utc(day):
    start = parse_instant(day.isoformat())
    end = parse_instant(day.isoformat(), end_of_day=True)
    assert start == dt.datetime.combine(day, dt.time.min, tzinfo=UTC)
    assert end == dt.datetime.combine(day, dt.time.max, tzinfo=UTC)


@given(st.text())
@example("0001-01-01T00:00:00+05:00")
@example("9999-12-31T23:59:59-05:00")
@example("99999999999999999999")
@example("-99999999999.5")
@example("2017-02-30")
@example("2017-01-01T25:00:00")
@example("\x00")
def test_any_text_is_an_aware_utc_time_or_a_value_error(text):
    try:
        parsed = parse_instant(text)
    except ValueError:
        return
    assert parsed.utcoffset() == dt.timedelta(0)
