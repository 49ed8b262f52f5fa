"""Concurrent redemptions on PostgreSQL, with real threads that start together (a Barrier).

SQLite ignores `select_for_update`, so these prove nothing there and are skipped.
"""

import threading

import pytest
from django.db import connection

from catalog.models import Entitlement
from redemptions import services
from redemptions.errors import RedemptionError
from redemptions.models import Code, Redemption
from tests.factories import CatalogItemFactory, UserFactory
from tests.redemptions.factories import CodeFactory, OfferFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(workers: int, action) -> tuple[list, list]:
    """Run `action(i)` in `workers` threads released at once; (results, refusal codes)."""
    barrier = threading.Barrier(workers)
    results, refusals, crashes = [], [], []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait()
            outcome = action(i)
            with lock:
                results.append(outcome)
        except RedemptionError as exc:
            with lock:
                refusals.append(exc.code)
        except Exception as exc:  # anything else is a bug the test must show
            with lock:
                crashes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert crashes == []
    return results, refusals


def assert_grants_match_redemptions(items_per_redemption: int):
    """Every standing redemption has its grants; every redemption grant has its redemption."""
    standing = set(Redemption.objects.active().values_list("pk", flat=True))
    for pk in standing:
        assert Entitlement.objects.filter(source="redemption", source_ref=str(pk),
                                          revoked_at__isnull=True).count() == \
            items_per_redemption
    refs = set(Entitlement.objects.filter(source="redemption", revoked_at__isnull=True)
               .values_list("source_ref", flat=True))
    assert refs == {str(pk) for pk in standing}


def test_forty_concurrent_redeems_of_a_single_use_code_make_exactly_one():
    code = CodeFactory(max_redemptions=1, offer=OfferFactory(items=[CatalogItemFactory()]))
    users = [UserFactory() for _ in range(40)]
    results, refusals = race(40, lambda i: services.redeem(code.code, users[i]))
    assert len(results) == 1
    assert refusals == ["used_up"] * 39
    assert Code.objects.get(pk=code.pk).redemptions_count == 1
    assert Redemption.objects.count() == 1
    assert_grants_match_redemptions(1)


def test_thirty_concurrent_redeems_of_a_five_use_code_make_exactly_five():
    items = [CatalogItemFactory(), CatalogItemFactory()]
    code = CodeFactory(max_redemptions=5, offer=OfferFactory(items=items))
    users = [UserFactory() for _ in range(30)]
    results, refusals = race(30, lambda i: services.redeem(code.code, users[i]))
    assert len(results) == 5
    assert refusals == ["used_up"] * 25
    assert Code.objects.get(pk=code.pk).redemptions_count == 5
    assert Redemption.objects.values("user").distinct().count() == 5
    assert_grants_match_redemptions(2)


def test_one_learner_racing_themself_redeems_once():
    code = CodeFactory(max_redemptions=10)
    user = UserFactory()
    results, refusals = race(12, lambda i: services.redeem(code.code, user))
    assert len(results) == 1
    assert refusals == ["already_redeemed"] * 11
    assert_grants_match_redemptions(1)


def test_rollbacks_racing_redeems_never_exceed_the_codes_uses():
    code = CodeFactory(max_redemptions=3)
    first = [services.redeem(code.code, UserFactory()) for _ in range(3)]
    users = [UserFactory() for _ in range(10)]

    def act(i):
        if i < 3:
            return services.rollback(first[i], "refund")
        return services.redeem(code.code, users[i])

    _, refusals = race(10, act)
    code.refresh_from_db()
    standing = Redemption.objects.active().filter(code=code).count()
    assert code.redemptions_count == standing <= 3
    assert set(refusals) <= {"used_up"}
    assert_grants_match_redemptions(1)


def test_the_same_redemption_rolled_back_twice_at_once_is_rolled_back_once():
    code = CodeFactory(max_redemptions=2)
    redemption = services.redeem(code.code, UserFactory())
    services.redeem(code.code, UserFactory())
    results, refusals = race(6, lambda i: services.rollback(redemption, f"refund {i}"))
    assert len(results) == 1
    assert refusals == ["already_rolled_back"] * 5
    assert Code.objects.get(pk=code.pk).redemptions_count == 1


def test_twenty_learners_redeeming_separate_codes_for_a_five_seat_license_get_five_seats():
    from licensing.models import Seat
    from tests.licensing.factories import LicenseFactory

    license_ = LicenseFactory(seats_limit=5)
    offer = OfferFactory(items=[CatalogItemFactory()], licenses=[license_])
    codes = [CodeFactory(offer=offer, max_redemptions=1) for _ in range(20)]
    users = [UserFactory() for _ in range(20)]
    results, refusals = race(20, lambda i: services.redeem(codes[i].code, users[i]))
    assert len(results) == 5
    assert refusals == ["license_full"] * 15
    assert Seat.objects.active().filter(license=license_).count() == 5
    assert Redemption.objects.count() == 5
    assert sorted(Code.objects.values_list("redemptions_count", flat=True)) == [0] * 15 + [1] * 5
    assert_grants_match_redemptions(1)


def test_rolling_back_both_redemptions_of_a_license_at_once_leaves_no_seat_in_force():
    """A hands its seat to B while B is being rolled back: B's rollback waits for the
    license lock, then finds the seat and revokes it (no seat left held by a rolled-back
    redemption)."""
    from licensing.models import Seat
    from tests.licensing.factories import LicenseFactory

    pairs = []
    for _ in range(10):
        learner, license_ = UserFactory(), LicenseFactory()
        offers = [OfferFactory(items=[], licenses=[license_]) for _ in range(2)]
        pairs.append([services.redeem(CodeFactory(offer=offer).code, learner)
                      for offer in offers])
    results, refusals = race(20, lambda i: services.rollback(pairs[i // 2][i % 2], "race"))
    assert (len(results), refusals) == (20, [])
    assert not Seat.objects.active().exists()
