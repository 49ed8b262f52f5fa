"""On PostgreSQL, over tens of thousands of codes (vacuumed and analysed, as autovacuum leaves
a production table): a code pasted into any search is found through the code's unique index,
and no search, sort or filter the admin's code and redemption lists offer reads the code
table sequentially. How fast these are over 10,000,000 codes is measured by `make bench`
(bench/run.py, the "10,000,000 codes" section), not here."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from redemptions import services
from redemptions.codes import nice_code
from redemptions.models import Code
from tests.factories import UserFactory
from tests.redemptions.factories import OfferFactory

# Committed rows, so VACUUM can mark them all-visible as autovacuum does in production.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CODE_TABLE = "redemptions_code"


@pytest.fixture
def many_codes(db):
    """30,000 codes in three groups; a few redeemed, a few with transaction ids, a few
    deactivated; vacuumed and analysed. Returns a redeemed code."""
    offer = OfferFactory()
    groups = [services.create_code_group(label=f"Promo {n}", offer=offer, count=10_000,
                                         code_length=12) for n in range(3)]
    codes = list(Code.objects.filter(group=groups[0]).order_by("id")[:20])
    for n, code in enumerate(codes[:10]):
        services.redeem(code.code, UserFactory(), transaction_id=f"order-{n}")
    Code.objects.filter(pk__in=[c.pk for c in codes[10:15]]).update(transaction_id="tx-77")
    services.set_codes_active(Code.objects.filter(pk__in=[c.pk for c in codes[15:]]), False)
    with connection.cursor() as cursor:
        for table in (CODE_TABLE, "redemptions_redemption", "redemptions_codegroup"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return codes[0]


def plan_of(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        raw = cursor.fetchone()[0]
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def nodes(plan: dict, under_limit: bool = False) -> list[tuple[dict, bool]]:
    """Each node, and whether it is bounded: directly under a Limit, which stops a sequential
    read after as many rows as asked (the planner's choice when rows match densely, e.g.
    counting a page range of active codes)."""
    return [(plan, under_limit), *(n for child in plan.get("Plans", [])
                                   for n in nodes(child, plan["Node Type"] == "Limit"))]


def is_probe(sql: str) -> bool:
    """`exists()`: it stops at its first row, so reading in table order is what it should do
    when rows match densely."""
    return sql.lstrip().startswith('SELECT 1 AS "a"') and sql.rstrip().endswith("LIMIT 1")


def code_table_reads(get, *, probes: bool = True) -> list[tuple[str, str | None]]:
    """(node type, index) of every read of the code table by the queries `get()` makes —
    "(bounded)" after the type under a Limit — without `probes`: leaving out existence
    probes."""
    with CaptureQueriesContext(connection) as queries:
        response = get()
    assert response.status_code == 200, response.content
    reads = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if CODE_TABLE not in sql or not sql.lstrip().upper().startswith("SELECT"):
            continue
        if not probes and is_probe(sql):
            continue
        reads += [(n["Node Type"] if not bounded else f"{n['Node Type']} (bounded)",
                   n.get("Index Name")) for n, bounded in nodes(plan_of(sql))
                  if n.get("Relation Name") == CODE_TABLE]
    return reads


def assert_found_by_the_code_index(reads):
    assert ("Seq Scan", None) not in reads, reads
    assert any(index == "code_unique" for _, index in reads), reads


def pasted(code: Code) -> str:
    return nice_code(code.code).lower()  # as staff paste it: dashed, lower case


def test_a_code_pasted_into_the_admin_code_search_is_found_by_its_index(admin_client,
                                                                        many_codes):
    reads = code_table_reads(lambda: admin_client.get("/admin/redemptions/code/",
                                                      {"q": pasted(many_codes)}))
    assert_found_by_the_code_index(reads)


def test_a_code_pasted_into_the_admin_redemption_search_is_found_by_its_index(
        admin_client, many_codes):
    reads = code_table_reads(lambda: admin_client.get("/admin/redemptions/redemption/",
                                                      {"q": pasted(many_codes)}))
    assert_found_by_the_code_index(reads)


def test_a_code_in_the_native_q_is_found_by_its_index(api, many_codes):
    reads = code_table_reads(lambda: api.get("/api/v1/codes", {"q": pasted(many_codes)}))
    assert_found_by_the_code_index(reads)


def test_a_code_in_zypes_code_filter_is_found_by_its_index(api_key, many_codes):
    client = APIClient()
    reads = code_table_reads(lambda: client.get("/redemption_codes", {
        "api_key": api_key[1], "code": pasted(many_codes)}))
    assert_found_by_the_code_index(reads)


def test_a_code_in_thought_industries_code_filter_is_found_by_its_index(api, many_codes):
    reads = code_table_reads(lambda: api.get(
        f"/incoming/v2/redemptionCodes/{many_codes.group_id}/codes",
        {"code": pasted(many_codes)}))
    assert_found_by_the_code_index(reads)


def test_words_of_a_label_or_a_transaction_id_search_no_code_table_sequentially(
        admin_client, many_codes):
    for words in ("promo 1", "tx-77"):
        reads = code_table_reads(
            lambda words=words: admin_client.get("/admin/redemptions/code/", {"q": words}),
            probes=False)
        assert reads and ("Seq Scan", None) not in reads, (words, reads)


# --- every option of the admin's code and redemption lists -----------------------------------

RANGE = {"__range__gte": "2020-01-01", "__range__lte": "2030-12-31"}


def date_range(field: str) -> dict:
    return {f"{field}{suffix}": day for suffix, day in RANGE.items()}


def list_options(admin_client, url: str) -> list[dict]:
    """The list as it opens, each sort it offers both ways, each filter it shows (with a value
    that matches something and one that matches little), a deep page and a search."""
    cl = admin_client.get(url).context["cl"]
    sorts = [{"o": f"{sign}{i}"} for i, name in enumerate(cl.list_display)
             if name in cl.model_admin.sortable_by for sign in ("", "-")]
    assert sorts, "the list offers sorts"
    filters = []
    for spec in cl.filter_specs:
        for choice in spec.choices(cl):
            query = choice.get("query_string", "")
            if query and query != "?":
                filters.append(dict(pair.split("=", 1) for pair in query[1:].split("&")))
        for param in getattr(spec, "expected_parameters", lambda: [])():
            if param.endswith("__range__gte"):
                filters.append(date_range(param.removesuffix("__range__gte")))
    return [{}, *sorts, *filters, {"p": "5"}]


def test_each_sort_and_filter_of_the_admin_code_list_reads_codes_by_an_index(admin_client,
                                                                             many_codes):
    url = "/admin/redemptions/code/"
    options = [*list_options(admin_client, url), {"group__id__exact": str(many_codes.group_id)}]
    assert len(options) > 10
    for params in options:
        reads = code_table_reads(lambda params=params: admin_client.get(url, params))
        assert ("Seq Scan", None) not in reads, (params, reads)


def test_each_sort_and_filter_of_the_admin_redemption_list_reads_codes_by_an_index(
        admin_client, many_codes):
    url = "/admin/redemptions/redemption/"
    options = [*list_options(admin_client, url), {"redeemed_at__year": "2026"}]
    for params in options:
        reads = code_table_reads(lambda params=params: admin_client.get(url, params))
        assert ("Seq Scan", None) not in reads, (params, reads)


def test_the_learners_standing_redemption_is_looked_up_by_code_and_learner(many_codes):
    """Sent with every redemption's lock: through the (code, learner) index by both. Joined
    to the code instead, PostgreSQL chose to go by the learner alone, and with statistics
    older than the table (a worker's connection keeps its plan) read the whole (code,
    learner) index for it: a cost that grew with every redemption (bench/README.md)."""
    from accounts.models import User
    from redemptions.models import Redemption, _held_and_items_sql, _held_sql

    learner = Redemption.objects.filter(code=many_codes).get().user_id
    # thousands more redemptions, each by its own learner, than the statistics (taken at ten)
    # know of: a worker's connection keeps the plan it made when the table was that small
    codes = Code.objects.filter(redemptions_count=0).order_by("id")[:5_000]
    users = User.objects.bulk_create(User(email=f"plan{n}@example.com") for n in range(5_000))
    Redemption.objects.bulk_create(
        Redemption(code=code, user=user, redeemed_at=many_codes.created_at)
        for code, user in zip(codes, users, strict=True))
    for sql, params in ((_held_sql("default"), [many_codes.code, learner]),
                        (_held_and_items_sql("default"),
                         [many_codes.code, learner, many_codes.code])):
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            raw = cursor.fetchone()[0]
        plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
        reads = [node for node, _ in nodes(plan)
                 if node.get("Relation Name") == "redemptions_redemption"]
        assert reads and all("code_id = " in node.get("Index Cond", "") for node in reads), \
            [(node["Node Type"], node.get("Index Cond")) for node in reads]
