"""Parsing and rendering of instants, in the forms each dialect uses.

Everything inside Entitle is a timezone-aware UTC `datetime`; these helpers sit at the edges.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

UTC = dt.UTC
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def parse_instant(value: object, *, end_of_day: bool = False) -> dt.datetime:
    """An aware UTC datetime from ISO 8601 (date or date-time) or a Unix timestamp in seconds.

    A bare date means midnight UTC at its start (or, with `end_of_day`, the last microsecond
    of that day). Raises `ValueError` for anything else.
    """
    if isinstance(value, dt.datetime):
        return _aware(value)
    if isinstance(value, dt.date):
        return _from_date(value, end_of_day)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(float(value))
    text = str(value).strip()
    if not text:
        raise ValueError("empty time")
    if _NUMBER.match(text):
        return _from_epoch(float(text))
    day = parse_date(text)  # first: parse_datetime would read a bare date as its midnight
    if day is not None:
        return _from_date(day, end_of_day)
    parsed = parse_datetime(text.replace(" ", "T", 1) if " " in text else text)
    if parsed is not None:
        return _aware(parsed)
    raise ValueError(f"not an ISO 8601 time or Unix timestamp: {text!r}")


def parse_epoch_millis(value: object) -> dt.datetime:
    """An aware UTC datetime from epoch milliseconds (EduBrite's dates)."""
    text = str(value).strip()
    if not _NUMBER.match(text):
        raise ValueError(f"not epoch milliseconds: {text!r}")
    return _from_epoch(float(text) / 1000.0)


def _from_epoch(seconds: float) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError("timestamp out of range") from exc


def _from_date(day: dt.date, end_of_day: bool) -> dt.datetime:
    moment = dt.time.max if end_of_day else dt.time.min
    return dt.datetime.combine(day, moment, tzinfo=UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+05:00 is before datetime.min in UTC
        raise ValueError("time out of range") from exc


def iso_millis_z(value: dt.datetime | None) -> str | None:
    """`2024-01-01T00:00:00.000Z` (Thought Industries)."""
    if value is None:
        return None
    return _aware(value).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def iso_millis_offset(value: dt.datetime | None, tz: dt.tzinfo = UTC) -> str | None:
    """`2016-04-14T12:31:25.271+00:00` (Zype: milliseconds and an offset)."""
    if value is None:
        return None
    return _aware(value).astimezone(tz).isoformat(timespec="milliseconds")


def tizra_time(value: dt.datetime | None) -> str | None:
    """`2014-09-11 22:30:59.114` (Tizra's used-date, UTC)."""
    if value is None:
        return None
    return _aware(value).replace(tzinfo=None).isoformat(sep=" ", timespec="milliseconds")


def epoch_millis(value: dt.datetime | None) -> int | None:
    """Milliseconds since the epoch (EduBrite)."""
    if value is None:
        return None
    return int(_aware(value).timestamp() * 1000)
