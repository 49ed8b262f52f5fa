"""Seat assignment under real concurrency, on PostgreSQL (SQLite ignores row locks)."""

import threading

import pytest
from django.db import connection

from licensing import services
from licensing.models import Seat
from tests.factories import UserFactory
from tests.licensing.factories import LicenseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(work, count):
    """Run `work(i)` in `count` threads released together; outcomes by kind."""
    barrier = threading.Barrier(count)
    outcomes, lock = [], threading.Lock()

    def run(i):
        try:
            barrier.wait()
            work(i)
            result = "ok"
        except Exception as exc:  # every outcome is counted below
            result = type(exc).__name__
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {kind: outcomes.count(kind) for kind in set(outcomes)}


def test_fifty_concurrent_assignments_never_pass_the_parents_limit():
    parent = LicenseFactory(seats_limit=12)
    sibling = LicenseFactory(parent=parent)
    for _ in range(5):
        services.assign_seat(license=sibling, user=UserFactory())
    child = LicenseFactory(parent=parent, seats_limit=10)
    users = [UserFactory() for _ in range(50)]

    outcomes = race(lambda i: services.assign_seat(license=child, user=users[i]), 50)

    assert outcomes == {"ok": 7, "LicenseFull": 43}
    assert Seat.objects.active().filter(license=child).count() == 7
    assert Seat.objects.active().filter(license__in=[parent, sibling, child]).count() == 12


def test_concurrent_assignments_on_the_childs_own_limit_stop_at_it():
    parent = LicenseFactory(seats_limit=100)
    child = LicenseFactory(parent=parent, seats_limit=4)
    users = [UserFactory() for _ in range(20)]
    outcomes = race(lambda i: services.assign_seat(license=child, user=users[i]), 20)
    assert outcomes == {"ok": 4, "LicenseFull": 16}


def test_the_same_learner_seated_concurrently_gets_one_seat():
    license = LicenseFactory()
    learner = UserFactory()
    outcomes = race(lambda i: services.assign_seat(license=license, user=learner), 10)
    assert outcomes == {"ok": 1, "AlreadySeated": 9}
    assert Seat.objects.filter(license=license, user=learner).count() == 1


def test_lowering_a_limit_while_seats_are_taken_never_leaves_it_passed():
    license = LicenseFactory(seats_limit=20)
    users = [UserFactory() for _ in range(12)]

    def work(i):
        if i == 0:
            services.update_license(license=license, seats_limit=6)
        else:
            services.assign_seat(license=license, user=users[i])

    race(work, 12)
    license.refresh_from_db()
    used = Seat.objects.active().filter(license=license).count()
    assert used <= license.seats_limit or license.seats_limit == 20


def test_sibling_assignments_racing_a_move_keep_every_limit():
    root = LicenseFactory(seats_limit=6)
    a = LicenseFactory(parent=root)
    other_root = LicenseFactory(client=root.client)
    moving = LicenseFactory(client=root.client, parent=other_root)
    for _ in range(3):
        services.assign_seat(license=moving, user=UserFactory())
    users = [UserFactory() for _ in range(10)]

    def work(i):
        if i == 0:
            services.update_license(license=moving, parent=a)
        else:
            services.assign_seat(license=a, user=users[i])

    race(work, 10)
    under_root = Seat.objects.active().filter(license__in=[root, a, moving]).count()
    moving.refresh_from_db()
    if moving.parent_id == a.pk:
        assert under_root <= 6
    else:
        assert Seat.objects.active().filter(license=a).count() == 6


def test_assignments_inside_callers_transactions_holding_their_own_locks_keep_the_limit():
    """As the redeem service calls it: inside its transaction, a code row already locked."""
    from django.db import transaction

    from catalog.models import Client
    from tests.factories import ClientFactory

    license = LicenseFactory(seats_limit=5)
    rows = [ClientFactory() for _ in range(20)]
    users = [UserFactory() for _ in range(20)]

    def work(i):
        with transaction.atomic():
            Client.objects.select_for_update().get(pk=rows[i].pk)  # the "code row"
            services.assign_seat(license=license, user=users[i], source="redemption",
                                 source_ref=f"r-{i}")

    outcomes = race(work, 20)
    assert outcomes == {"ok": 5, "LicenseFull": 15}
    assert Seat.objects.active().filter(license=license).count() == 5


def test_revocations_racing_assignments_never_pass_the_limit():
    license = LicenseFactory(seats_limit=3)
    by_hand = services.assign_seat(license=license, user=UserFactory())
    services.assign_seat(license=license, user=UserFactory())
    services.assign_seat(license=license, user=UserFactory(), source="redemption",
                         source_ref="r-x")
    users = [UserFactory() for _ in range(10)]

    def work(i):
        if i == 0:
            services.revoke_seat(seat=by_hand, reason="left")
        elif i == 1:
            services.revoke_seats_from_source("redemption", "r-x", reason="rolled back")
        else:
            services.assign_seat(license=license, user=users[i])

    outcomes = race(work, 10)
    assert Seat.objects.active().filter(license=license).count() <= 3
    assert Seat.objects.filter(license=license, revoked_at__isnull=False).count() == 2
    assert outcomes["ok"] - 2 <= 2  # two revocations free at most two seats
