"""A redemption of a code whose row another transaction holds is prepared meanwhile and its
writes queued behind the lock (`services._redeem`, `Code.objects.lock_behind`); once the lock
is its own, the code is checked, and a code changed meanwhile is decided again under the
lock. Real threads on PostgreSQL: one holds the row, others redeem behind it."""

import contextlib
import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import Entitlement
from events.models import Event
from redemptions import services
from redemptions.errors import AlreadyRedeemed, CodeInactive, CodeUsedUp
from redemptions.models import Code, Redemption
from tests.factories import CatalogItemFactory, UserFactory
from tests.redemptions.factories import CodeFactory, OfferFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def waiting_on_locks() -> int:
    """Backends of this database waiting for a lock now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def wait_for_lock_waiters(count: int) -> None:
    deadline = time.monotonic() + 10
    while waiting_on_locks() < count:
        assert time.monotonic() < deadline, "nobody queued behind the lock"
        time.sleep(0.01)


class InThread(threading.Thread):
    """`action()` in a thread of its own (its own connection): its result or its error."""

    def __init__(self, action) -> None:
        super().__init__()
        self.action, self.result, self.error, self.queries = action, None, None, []

    def run(self) -> None:
        try:
            with CaptureQueriesContext(connection) as captured:
                self.result = self.action()
            self.queries = [query["sql"] for query in captured.captured_queries]
        except Exception as exc:  # the test reads it
            self.error = exc
        finally:
            connection.close()

    def outcome(self):
        self.join(10)
        assert not self.is_alive()
        if self.error is not None:
            raise self.error
        return self.result


@contextlib.contextmanager
def holding(code: Code, change=lambda locked: None):
    """Another transaction holds `code`'s row (and makes `change` to it) until the block
    ends, then commits."""
    locked, release = threading.Event(), threading.Event()
    errors = []

    def hold():
        try:
            with transaction.atomic():
                row = Code.objects.select_for_update().get(pk=code.pk)
                change(row)
                locked.set()
                release.wait(10)
        except Exception as exc:
            errors.append(exc)
            locked.set()
        finally:
            close_old_connections()
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(10)
    assert errors == []


def redeem_behind(code: Code, learner) -> InThread:
    """A redemption started while the row is held, once it is queued behind the lock."""
    before = waiting_on_locks()
    redeeming = InThread(lambda: services.redeem(code.code, learner))
    redeeming.start()
    wait_for_lock_waiters(before + 1)
    return redeeming


def test_a_redemption_behind_another_transactions_lock_is_made_when_it_commits():
    item = CatalogItemFactory()
    code = CodeFactory(offer=OfferFactory(items=[item]))
    learner = UserFactory()
    with holding(code):
        redeeming = redeem_behind(code, learner)
    redemption = redeeming.outcome()
    final = Code.objects.get(pk=code.pk)
    assert final.redemptions_count == 1
    assert final.first_redeemed_at == final.last_redeemed_at == redemption.redeemed_at
    assert list(Entitlement.objects.filter(user=learner).values_list("item", flat=True)) == \
        [item.pk]


def test_a_redemption_behind_a_lock_queues_its_writes_behind_it_and_waits_once():
    code = CodeFactory(offer=OfferFactory(items=[CatalogItemFactory()]))
    with holding(code):
        redeeming = redeem_behind(code, UserFactory())
    redeeming.outcome()
    locks = [sql for sql in redeeming.queries if "FOR UPDATE" in sql]
    assert [("SKIP LOCKED" in sql, sql.endswith("FOR UPDATE")) for sql in locks] == [
        (True, False), (False, True)]  # skipped, then the lock behind: not decided again


def test_redemptions_behind_a_holders_redemption_each_count_their_use():
    code = CodeFactory(max_redemptions=3, offer=OfferFactory(items=[CatalogItemFactory()]))
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    release, redeemed = threading.Event(), threading.Event()

    def redeem_and_hold():
        with transaction.atomic():
            made = services.redeem(code.code, first)
            redeemed.set()
            release.wait(10)
        return made

    holder = InThread(redeem_and_hold)
    holder.start()
    redeemed.wait(10)
    behind = [redeem_behind(code, second)]
    behind.append(redeem_behind(code, third))
    release.set()
    made = [holder.outcome(), *(redeeming.outcome() for redeeming in behind)]
    final = Code.objects.get(pk=code.pk)
    assert final.redemptions_count == 3
    assert final.first_redeemed_at == made[0].redeemed_at
    assert final.last_redeemed_at == max(redemption.redeemed_at for redemption in made)
    assert Redemption.objects.filter(code=code).count() == 3
    assert Event.objects.filter(kind="code.redeemed").count() == 3


def test_a_code_used_up_while_a_redemption_waited_behind_its_lock_is_refused():
    code = CodeFactory(max_redemptions=1, offer=OfferFactory(items=[CatalogItemFactory()]))

    def use_it(row):
        Code.objects.filter(pk=row.pk).update(redemptions_count=1)

    with holding(code, use_it):
        redeeming = redeem_behind(code, UserFactory())
    with pytest.raises(CodeUsedUp):
        redeeming.outcome()
    assert not Redemption.objects.exists() and not Entitlement.objects.exists()
    assert not Event.objects.exists()
    assert Code.objects.get(pk=code.pk).redemptions_count == 1


def test_a_code_switched_off_while_a_redemption_waited_behind_its_lock_is_refused():
    code = CodeFactory(offer=OfferFactory(items=[CatalogItemFactory()]))

    def switch_off(row):
        row.is_active = False
        row.save(update_fields=["is_active"])

    with holding(code, switch_off):
        redeeming = redeem_behind(code, UserFactory())
    with pytest.raises(CodeInactive):
        redeeming.outcome()
    assert not Redemption.objects.exists() and not Entitlement.objects.exists()
    assert Code.objects.get(pk=code.pk).redemptions_count == 0


def test_a_code_moved_to_another_offer_while_a_redemption_waited_grants_the_new_offer():
    before, after = CatalogItemFactory(), CatalogItemFactory()
    code = CodeFactory(offer=OfferFactory(items=[before]))
    moved_to = OfferFactory(items=[after])
    learner = UserFactory()

    def move(row):
        row.offer = moved_to
        row.save(update_fields=["offer"])

    with holding(code, move):
        redeeming = redeem_behind(code, learner)
    redeeming.outcome()
    assert list(Entitlement.objects.filter(user=learner).values_list("item", flat=True)) == \
        [after.pk]


def test_an_item_added_to_the_offer_while_a_redemption_waited_is_granted_too():
    first, added = CatalogItemFactory(title="A"), CatalogItemFactory(title="B")
    offer = OfferFactory(items=[first])
    code = CodeFactory(offer=offer)
    learner = UserFactory()
    with holding(code, lambda row: offer.items.add(added)):
        redeeming = redeem_behind(code, learner)
    redeeming.outcome()
    assert set(Entitlement.objects.filter(user=learner).values_list("item", flat=True)) == \
        {first.pk, added.pk}


def test_a_learner_redeeming_behind_their_own_redemption_of_the_code_is_refused():
    code = CodeFactory(max_redemptions=5, offer=OfferFactory(items=[CatalogItemFactory()]))
    learner = UserFactory()
    release, redeemed = threading.Event(), threading.Event()

    def redeem_and_hold():
        with transaction.atomic():
            services.redeem(code.code, learner)
            redeemed.set()
            release.wait(10)

    holder = InThread(redeem_and_hold)
    holder.start()
    redeemed.wait(10)
    redeeming = redeem_behind(code, learner)
    release.set()
    holder.outcome()
    with pytest.raises(AlreadyRedeemed):
        redeeming.outcome()
    assert Redemption.objects.filter(code=code, user=learner).count() == 1
    assert Code.objects.get(pk=code.pk).redemptions_count == 1


def locks_of_a_redemption_after_one_behind(code: Code) -> list[str]:
    """The locking statements of a redemption of `code` made right after one that waited
    behind another transaction's lock of it (the row free by then)."""
    with holding(code):
        first = redeem_behind(code, UserFactory())
    first.outcome()
    second = InThread(lambda: services.redeem(code.code, UserFactory()))
    second.start()
    second.outcome()
    return [sql for sql in second.queries if "FOR UPDATE" in sql]


def test_a_code_lately_found_held_is_redeemed_behind_its_lock_without_trying_for_it():
    code = CodeFactory(max_redemptions=2, offer=OfferFactory(items=[CatalogItemFactory()]))
    locks = locks_of_a_redemption_after_one_behind(code)
    assert [sql.endswith("FOR UPDATE") for sql in locks] == [True]  # behind, no SKIP LOCKED
    assert Code.objects.get(pk=code.pk).redemptions_count == 2


def test_a_code_found_held_long_ago_is_tried_for_first_again(monkeypatch):
    monkeypatch.setattr(services._Contended, "SECONDS", 0)
    code = CodeFactory(max_redemptions=2, offer=OfferFactory(items=[CatalogItemFactory()]))
    locks = locks_of_a_redemption_after_one_behind(code)
    assert ["SKIP LOCKED" in sql for sql in locks] == [True]  # the row was free: locked at once
