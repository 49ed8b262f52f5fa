import datetime as dt
import uuid
from decimal import Decimal

import pytest

from catalog.models import EntitlementSource
from events.payloads import plain, snapshot
from tests.factories import EntitlementFactory


@pytest.mark.parametrize("value", ["text", 3, 2.5, True, None])
def test_plain_keeps_what_json_takes(value):
    assert plain(value) is value


def test_plain_keeps_a_choice_as_its_member():
    assert plain(EntitlementSource.REDEMPTION) is EntitlementSource.REDEMPTION


def test_plain_writes_times_in_utc_with_a_z():
    at = dt.datetime(2026, 12, 7, 21, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))

    assert plain(at) == "2026-12-07T20:00:00Z"
    assert plain(at.date()) == "2026-12-07"


def test_plain_writes_ids_and_decimals_as_text_inside_lists_and_dicts():
    key = uuid.uuid4()

    assert plain({"ids": [key], 1: (Decimal("1.50"),)}) == {"ids": [str(key)], "1": ["1.50"]}


@pytest.mark.django_db
def test_snapshot_names_a_foreign_key_by_its_id():
    grant = EntitlementFactory()

    data = snapshot(grant, ["user", "item", "source"], extra=1)

    assert data == {"user": str(grant.user_id), "item": str(grant.item_id),
                    "source": grant.source, "extra": 1}
