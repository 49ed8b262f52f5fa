"""Services that lock the same rows take them in one order — offer, then group, then code —
so two of them racing wait for each other instead of deadlocking. The order is read from
the SQL each service sends (deterministic), and raced with real threads on PostgreSQL."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import ItemKind
from redemptions import services
from redemptions.models import Code, CodeGroup, Offer
from tests.factories import CatalogItemFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory
from tests.redemptions.test_concurrency import race
from tests.redemptions.test_zype_concurrency import standalone

TABLES = {Offer._meta.db_table: "offer", CodeGroup._meta.db_table: "group",
          Code._meta.db_table: "code"}


def locked_tables(action) -> list[str]:
    """The tables `action` locks rows of (FOR UPDATE), in the order it locks them."""
    with CaptureQueriesContext(connection) as queries:
        action()
    order = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if "FOR UPDATE" not in sql:
            continue
        table = re.search(r'FROM "(\w+)"', sql).group(1)
        if table in TABLES and TABLES[table] not in order:
            order.append(TABLES[table])
    return order


@pytest.mark.postgres
@pytest.mark.django_db
def test_deleting_a_code_locks_its_group_before_the_code():
    code = CodeFactory(group=CodeGroupFactory())
    assert locked_tables(lambda: services.delete_code(code)) == ["group", "code"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_retargeting_a_code_locks_its_offer_before_the_code():
    code = standalone(CatalogItemFactory(kind=ItemKind.VIDEO))
    other = CatalogItemFactory(kind=ItemKind.VIDEO)
    assert locked_tables(lambda: services.update_code(code, target_item=other)) == [
        "offer", "code"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_deleting_a_group_locks_its_offer_before_the_group_and_its_codes():
    group = CodeGroupFactory()
    CodeFactory(group=group)
    assert locked_tables(lambda: services.delete_code_group(group)) == [
        "offer", "group", "code"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_codes_deleted_while_their_batches_are_deleted_never_deadlock():
    codes = [CodeFactory(group=CodeGroupFactory(label=f"batch{i}")) for i in range(8)]

    def act(i):
        if i % 2:
            return services.delete_labelled_groups(label=f"batch{i // 2}")
        try:
            return services.delete_code(codes[i // 2])
        except Code.DoesNotExist:
            return "gone"  # the batch went first, with the code

    results, refusals = race(16, act)
    assert (len(results), refusals) == (16, [])
    assert not Code.objects.exists() and not CodeGroup.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_codes_retargeted_while_their_offers_are_changed_never_deadlock():
    videos = [CatalogItemFactory(kind=ItemKind.VIDEO) for _ in range(24)]
    codes = [standalone(videos[i]) for i in range(8)]

    def act(i):
        code = codes[i // 2]
        if i % 2:
            return services.update_offer(code.offer, items=[videos[16 + i // 2]])
        return services.update_code(code, target_item=videos[8 + i // 2])

    results, refusals = race(16, act)
    assert (len(results), refusals) == (16, [])
    for code in Code.objects.select_related("offer"):
        assert code.target_item_id == code.offer.single_item_id()
