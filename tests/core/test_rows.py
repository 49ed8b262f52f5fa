"""`core.rows`: statements written once give back what the ORM would, and write what it
would."""

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save, pre_save
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import CatalogItem, Entitlement
from core import rows
from events.models import Delivery, Event, WebhookEndpoint
from redemptions.models import Code, CodeGroup, Redemption
from tests.factories import CatalogItemFactory, UserFactory
from tests.redemptions.factories import CodeFactory, CodeGroupFactory, OfferFactory

pytestmark = pytest.mark.django_db


def fields_of(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_a_loaded_row_equals_the_orms_instance_field_for_field():
    item = CatalogItemFactory(title="Loaded", price_cents=1200, excluded_from_site_coupons=True)
    row = rows.fetch_one(f"SELECT {rows.select_columns(CatalogItem, 'i')} "
                         "FROM catalog_catalogitem i WHERE i.id = %s",
                         [rows.param(CatalogItem._meta.pk, item.pk)])
    loaded = rows.load(CatalogItem, row)
    assert fields_of(loaded) == fields_of(CatalogItem.objects.get(pk=item.pk))
    assert not loaded._state.adding and loaded._state.db == "default"


def test_json_columns_come_back_parsed_as_the_orm_parses_them():
    offer = OfferFactory(user_tags=["gold", "2026"], match_specification={"kind": "course"})
    code = CodeFactory(offer=offer)
    locked = Code.objects.lock_for_redemption(code.code, UserFactory()).code
    assert locked.offer.user_tags == ["gold", "2026"]
    assert locked.offer.match_specification == {"kind": "course"}


def test_a_null_key_from_an_outer_join_loads_as_none():
    assert rows.load(CodeGroup, [None] * rows.width(CodeGroup)) is None


def test_insert_fills_auto_now_fields_and_reads_back_the_generated_key():
    code, user = CodeFactory(), UserFactory()
    redemption = Redemption(code=code, user=user, redeemed_at=timezone.now())
    rows.insert([redemption])
    stored = Redemption.objects.get(pk=redemption.pk)
    assert redemption.pk is not None and not redemption._state.adding
    assert stored.created_at == redemption.created_at is not None
    assert fields_of(stored) == fields_of(redemption)


def test_insert_of_several_rows_is_one_statement_with_a_key_for_each(django_assert_num_queries):
    user = UserFactory()
    events = [Event(kind="code.redeemed", occurred_at=timezone.now(), user=user,
                    object_type="code", object_id=str(n), data={"n": n}) for n in range(3)]
    with django_assert_num_queries(1):
        rows.insert(events)
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert [Event.objects.get(pk=e.pk).data for e in events] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_insert_keeps_a_key_made_in_python():
    grant = Entitlement(user=UserFactory(), item=CatalogItemFactory(), id=uuid.uuid4())
    rows.insert([grant])
    assert Entitlement.objects.filter(pk=grant.pk).exists()


def test_update_writes_only_the_fields_named_and_moves_auto_now():
    code = CodeFactory(transaction_id="kept")
    before = Code.objects.get(pk=code.pk).updated_at
    code.redemptions_count = 1
    code.transaction_id = "not written"
    assert rows.update(code, ["redemptions_count", "updated_at"]) == 1
    stored = Code.objects.get(pk=code.pk)
    assert stored.redemptions_count == 1 and stored.transaction_id == "kept"
    assert stored.updated_at > before


def test_lock_for_redemption_loads_the_code_with_its_group_and_offer(
        django_assert_num_queries):
    group = CodeGroupFactory()
    code = CodeFactory(group=group, offer=group.offer,
                       expiration_date=timezone.now() + dt.timedelta(days=3))
    learner = UserFactory()
    with django_assert_num_queries(2):  # the lock; the holder check with the offer's items
        locked, names_licenses, _, _ = Code.objects.lock_for_redemption(code.code, learner)
        assert locked.group.label == group.label and locked.offer.name == group.offer.name
    assert model_to_dict(locked) == model_to_dict(Code.objects.get(pk=code.pk))
    assert names_licenses is False


def test_lock_for_redemption_of_a_code_without_a_group_needs_no_query_for_it(
        django_assert_num_queries):
    code, learner = CodeFactory(group=None), UserFactory()
    with django_assert_num_queries(2):
        locked = Code.objects.lock_for_redemption(code.code, learner).code
        assert locked.group is None


def test_lock_for_redemption_of_an_unknown_code_is_none():
    assert Code.objects.lock_for_redemption("NOSUCHCODE1", UserFactory()) is None


@pytest.mark.parametrize("model", [Redemption, Entitlement, Event, Delivery, Code,
                                   WebhookEndpoint])
def test_no_model_written_through_rows_has_save_signal_receivers(model):
    """rows.insert and rows.update send no signals: none of these may need them."""
    assert not pre_save.has_listeners(model) and not post_save.has_listeners(model)


def test_lock_for_redemption_loads_the_offers_items_in_title_order(
        django_assert_num_queries):
    items = [CatalogItemFactory(title=title) for title in ("Beta", "Alpha", "Gamma")]
    code, learner = CodeFactory(offer=OfferFactory(items=items)), UserFactory()
    with django_assert_num_queries(2):
        locked = Code.objects.lock_for_redemption(code.code, learner).code
        titles = [item.title for item in locked.offer.items_in_order()]
    assert titles == ["Alpha", "Beta", "Gamma"]
    assert [i.pk for i in locked.offer.items_in_order()] == \
        [i.pk for i in code.offer.items.order_by("title", "id")]


def test_lock_for_redemption_of_an_offer_without_items_has_none():
    code = CodeFactory(offer=OfferFactory(items=[], user_tags=["tagged"]))
    locked = Code.objects.lock_for_redemption(code.code, UserFactory()).code
    assert locked.offer.items_in_order() == []


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_lock_for_redemption_draws_one_redemption_id_however_many_items_the_offer_has():
    code = CodeFactory(offer=OfferFactory(items=[CatalogItemFactory() for _ in range(3)]))
    first = Code.objects.lock_for_redemption(code.code, UserFactory()).redemption_id
    second = Code.objects.lock_for_redemption(code.code, UserFactory()).redemption_id
    assert second == first + 1


def test_a_redemption_inserted_with_its_drawn_id_keeps_it():
    code, user = CodeFactory(), UserFactory()
    drawn = Code.objects.lock_for_redemption(code.code, UserFactory()).redemption_id or 10**9
    redemption = Redemption(id=drawn, code=code, user=user, redeemed_at=timezone.now())
    rows.insert([redemption])
    assert Redemption.objects.get(pk=drawn).user == user


def test_statements_sent_together_raise_the_databases_error_as_django_does():
    code, user = CodeFactory(), UserFactory()
    Redemption.objects.create(code=code, user=user, redeemed_at=timezone.now())
    again = Redemption(id=10**9, code=code, user=user, redeemed_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic(), rows.together():
        rows.insert([again])  # its key given: nothing to read back, it waits in the pipeline
        rows.fetch("SELECT 1")


def test_a_state_changes_events_and_the_endpoints_are_one_insert_and_one_read(
        django_assert_num_queries):
    from events.services import batched_events, record_event

    user = UserFactory()
    with django_assert_num_queries(2), batched_events():
        record_event("code.redeemed", user, data={}, user=user)
        record_event("code.redeemed", user, data={"again": True}, user=user)
    assert Event.objects.filter(object_id=str(user.pk)).count() == 2


def test_insert_and_fetch_reads_the_keys_back_and_answers_the_select():
    user = UserFactory()
    events = [Event(kind="code.redeemed", occurred_at=timezone.now(), user=user,
                    object_type="code", object_id="x", data={})]
    found = rows.insert_and_fetch(events, "SELECT 41 + 1")
    assert found == [(42,)] and Event.objects.get(pk=events[0].pk).object_id == "x"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_writes_held_by_one_statement_go_out_as_one_statement():
    user, code, item = UserFactory(), CodeFactory(), CatalogItemFactory()
    with transaction.atomic(), CaptureQueriesContext(connection) as sent, rows.one_statement():
        redemption = Redemption(id=10**9, code=code, user=user, redeemed_at=timezone.now())
        rows.insert([redemption])
        rows.write('UPDATE "redemptions_code" SET "redemptions_count" = '
                   '"redemptions_count" + 1 WHERE "id" = %s', [code.pk])
        grant = Entitlement(id=uuid.uuid4(), user=user, item=item)
        rows.insert([grant])
        assert len(sent) == 0  # held
    assert [q["sql"][:6] for q in sent] == ["WITH w"]
    assert Redemption.objects.get(pk=10**9).user == user
    assert Code.objects.get(pk=code.pk).redemptions_count == 1
    assert Entitlement.objects.get(pk=grant.pk).item == item
    assert not redemption._state.adding and not grant._state.adding


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_held_writes_go_in_front_of_the_next_insert_reading_its_keys_back():
    user, code = UserFactory(), CodeFactory()
    events = [Event(kind="code.redeemed", occurred_at=timezone.now(), user=user,
                    object_type="code", object_id="x", data={})]
    with transaction.atomic(), CaptureQueriesContext(connection) as sent, \
            rows.one_statement():
        rows.write('UPDATE "redemptions_code" SET "redemptions_count" = 1 WHERE "id" = %s',
                   [code.pk])
        found = rows.insert_and_fetch(events, "SELECT 41 + 1")
    assert found == [(42,)] and events[0].pk is not None
    assert [q["sql"][:6] for q in sent] == ["WITH w", "SELECT"]
    assert Code.objects.get(pk=code.pk).redemptions_count == 1
    assert Event.objects.get(pk=events[0].pk).object_id == "x"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_any_other_statement_sends_what_is_held_first():
    user, code = UserFactory(), CodeFactory()
    with transaction.atomic(), rows.one_statement():
        rows.insert([Redemption(id=10**9, code=code, user=user, redeemed_at=timezone.now())])
        assert Redemption.objects.filter(pk=10**9).exists()  # the ORM's own query


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_an_error_in_a_held_write_is_the_databases_error_as_django_raises_it():
    code, user = CodeFactory(), UserFactory()
    Redemption.objects.create(code=code, user=user, redeemed_at=timezone.now())
    again = Redemption(id=10**9, code=code, user=user, redeemed_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic(), rows.together(), \
            rows.one_statement():
        rows.insert([again])
        rows.write('UPDATE "redemptions_code" SET "redemptions_count" = 1 WHERE "id" = %s',
                   [code.pk])
    assert Code.objects.get(pk=code.pk).redemptions_count == 0


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_raise_out_of_one_statement_rolls_its_transaction_back():
    code, user, other = CodeFactory(), UserFactory(), UserFactory()
    with transaction.atomic():
        Redemption.objects.create(code=code, user=other, redeemed_at=timezone.now())
        try:
            with rows.one_statement():
                rows.insert([Redemption(id=10**9, code=code, user=user,
                                        redeemed_at=timezone.now())])
                raise LookupError("the caller gives up")
        except LookupError:
            pass  # caught inside the transaction: it must not commit without the write
    assert not Redemption.objects.filter(code=code).exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_one_statement_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="atomic"), rows.one_statement():
        pass


def _written_rows():
    """One stored row of each model written through `rows`, every field filled in."""
    from tests.events.factories import WebhookEndpointFactory
    from tests.factories import EntitlementFactory
    from tests.redemptions.factories import RedemptionFactory

    later = timezone.now() + dt.timedelta(days=3)
    redemption = RedemptionFactory(ip="203.0.113.9", transaction_id="T-1",
                                   rolled_back_at=later, rolled_back_reason="refund")
    endpoint = WebhookEndpointFactory()
    event = Event.objects.create(kind="code.redeemed", occurred_at=timezone.now(),
                                 user=redemption.user, object_type="redemption",
                                 object_id=str(redemption.pk), group_id=uuid.uuid4(),
                                 data={"n": 1, "at": "x"}, awaiting_fan_out=True)
    delivery = Delivery.objects.create(endpoint=endpoint, event=event)
    return [redemption, redemption.code, EntitlementFactory(expires_at=later, source_ref="9"),
            event, delivery, endpoint]


def test_values_are_prepared_as_django_prepares_them_for_a_save():
    for stored in _written_rows():
        obj = type(stored).objects.get(pk=stored.pk)
        fields = tuple(obj._meta.concrete_fields)
        for add in (True, False):
            ours = rows._prepared(obj, fields, add, "default")
            djangos = [field.get_db_prep_save(field.pre_save(obj, add), connection)
                       for field in fields]  # the same times: pre_save set them on obj
            ours_again = rows._prepared(obj, fields, add, "default")
            for field, mine, theirs, again in zip(fields, ours, djangos, ours_again,
                                                  strict=True):
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    assert again == getattr(obj, field.attname) is not None
                    continue
                # (a JSON value is wrapped, Jsonb, with no equality of its own)
                assert (type(mine), getattr(mine, "obj", mine)) == \
                    (type(theirs), getattr(theirs, "obj", theirs)), (type(obj), field.name)


def test_a_loaded_row_is_the_instance_from_db_would_make():
    from accounts.models import User

    code = CodeFactory(group=CodeGroupFactory(), expiration_date=timezone.now())
    for model, pk in ((Code, code.pk), (CodeGroup, code.group_id), (User, UserFactory().pk),
                      (CatalogItem, CatalogItemFactory().pk)):
        row = rows.fetch_one(f"SELECT {rows.select_columns(model, 't')} "
                             f"FROM {model._meta.db_table} t WHERE t.id = %s",
                             [rows.param(model._meta.pk, pk)])
        loaded = rows.load(model, row)
        made = model.from_db("default", [f.attname for f in model._meta.concrete_fields],
                             [getattr(loaded, f.attname) for f in model._meta.concrete_fields])
        assert rows._built_plainly(model)
        assert {k: v for k, v in vars(loaded).items() if k != "_state"} == \
            {k: v for k, v in vars(made).items() if k != "_state"}
        assert (loaded._state.adding, loaded._state.db) == (False, "default")


def test_a_model_with_an_init_receiver_is_loaded_through_from_db():
    from django.db.models.signals import post_init

    item = CatalogItemFactory()
    seen = []

    def note(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(note, sender=CatalogItem)
    try:
        row = rows.fetch_one(f"SELECT {rows.select_columns(CatalogItem, 'i')} "
                             "FROM catalog_catalogitem i WHERE i.id = %s",
                             [rows.param(CatalogItem._meta.pk, item.pk)])
        rows.load(CatalogItem, row)
    finally:
        post_init.disconnect(note, sender=CatalogItem)
    assert seen == [item.pk]
