"""Every index on the code table, with the query that needs it. Each index costs every
generated code (10,000,000 in one group) and every redemption that updates a code, so one
that no query needs is dropped; a new one is added here with its query, or this test fails.
The plans themselves are checked where each query is tested: the redeem lookup and code
searches (`test_query_plans`), Zype's lists (`tests/dialects/zype/test_query_plan.py`)."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NEEDED_BY = {
    "redemptions_code_pkey": "a code's page, every join from a redemption, keyset export "
                             "chunks, the admin list's default order (newest id first)",
    "code_unique": "redeeming: the code looked up by its canonical text (and the generator's "
                   "collision check, every code search and the `code=` filters)",
    "code_group_id": "a group's codes in id order: its code list and CSV, the export job's "
                     "chunks, TI's group codes, the admin's group filter and label search",
    "code_created": "Zype's list, newest first (created_at, id)",
    "code_target_created": "Zype's list by video_id/playlist_id/… newest first",
    "code_group_redeemed": "each group's redeemed-code count (group lists, the dashboard)",
    "code_group_inactive": "each group's inactive-code count (the group list), the admin's "
                           "inactive filter",
    "code_last_redeemed": "the dashboard's most active groups; the admin's last-redeemed "
                          "range",
    "code_expiration": "the dashboard's codes expiring soon; the admin's expiry range",
    "code_transaction": "the native `transaction_id=` filter",
    "code_transaction_trgm": "the admin's and native `q=` search for part of a transaction id",
    "redemptions_code_offer_id": "the offer's PROTECT check on delete, its code count on the "
                                 "admin's delete page, the native `offer=` filter",
}


def test_each_index_on_the_code_table_is_needed_by_a_named_query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'redemptions_code'")
        names = {row[0] for row in cursor.fetchall()}
    # Django names a foreign key's index with a hash suffix.
    fk = "redemptions_code_offer_id"
    named = {fk if name.startswith(f"{fk}_") else name for name in names}
    assert named == set(NEEDED_BY)


def test_the_redeem_lookup_keeps_its_unique_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'code_unique'")
        (definition,) = cursor.fetchone()
    assert definition.startswith("CREATE UNIQUE INDEX") and definition.endswith("(code)")
