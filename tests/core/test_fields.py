"""The shared expiry field: a bare date ends at the end of that day, UTC."""

import datetime as dt

import pytest
from rest_framework.exceptions import ValidationError

from core.fields import ExpiryField

UTC = dt.UTC


def test_a_bare_date_means_the_last_moment_of_that_day_utc():
    assert ExpiryField().run_validation("2017-01-15") == dt.datetime(
        2017, 1, 15, 23, 59, 59, 999999, tzinfo=UTC)


def test_a_time_is_kept_as_given_in_utc():
    assert ExpiryField().run_validation("2017-01-15T10:00:00+02:00") == dt.datetime(
        2017, 1, 15, 8, tzinfo=UTC)


def test_a_unix_timestamp_is_read_in_seconds():
    assert ExpiryField().run_validation(1924992000) == dt.datetime(2031, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", [True, "", "soon", "2031-02-30", [1], {"a": 1}])
def test_anything_else_is_refused(value):
    with pytest.raises(ValidationError):
        ExpiryField().run_validation(value)


def test_blank_clears_the_value_when_the_field_allows_it():
    assert ExpiryField(blank_is_null=True, allow_null=True).run_validation("") is None
