"""Row locks on PostgreSQL with real threads: limits hold however many requests race."""

import threading

import pytest
from django.db import connection

from catalog.models import Entitlement
from coupons import services
from coupons.errors import CouponError
from coupons.models import CouponType, CouponUsage, UsageStatus
from tests.coupons.factories import CouponFactory, SessionFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(count, work):
    """Run `work(i)` in `count` threads released together; the outcome of each, in order."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(i):
        try:
            barrier.wait()
            outcomes[i] = work(i)
        except CouponError as exc:
            outcomes[i] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_thirty_concurrent_uses_of_a_four_use_coupon_make_exactly_four_usages():
    coupon = CouponFactory(value_count=4)
    item = SessionFactory()
    users = [UserFactory() for _ in range(30)]
    outcomes = _race(30, lambda i: services.apply_coupon(coupon=coupon, user=users[i],
                                                         item=item).pk)
    assert CouponUsage.objects.filter(coupon=coupon).count() == 4
    assert outcomes.count("coupon_used_up") == 26
    assert Entitlement.objects.filter(source="coupon").count() == 4


def test_concurrent_uses_never_draw_more_than_a_total_amount_balance():
    coupon = CouponFactory(type=CouponType.TOTAL_AMOUNT, value_amount_cents=10_000)
    item = SessionFactory(price_cents=3000)
    users = [UserFactory() for _ in range(12)]
    _race(12, lambda i: services.apply_coupon(coupon=coupon, user=users[i], item=item).pk)
    discounts = sorted(CouponUsage.objects.filter(coupon=coupon)
                       .values_list("discount_cents", flat=True))
    assert discounts == [1000, 3000, 3000, 3000]


def test_the_same_learner_racing_themselves_uses_a_coupon_once():
    coupon = CouponFactory()
    item = SessionFactory()
    learner = UserFactory()
    outcomes = _race(10, lambda i: services.apply_coupon(coupon=coupon, user=learner,
                                                         item=item).pk)
    assert CouponUsage.objects.count() == 1
    assert outcomes.count("coupon_already_used") == 9


def test_concurrent_approvals_of_one_usage_grant_once():
    coupon = CouponFactory(require_approval=True)
    staff = UserFactory(is_staff=True, is_superuser=True)
    usage = services.apply_coupon(coupon=coupon, user=UserFactory(), item=SessionFactory())
    outcomes = _race(8, lambda i: services.approve_usage(usage=usage, by=staff).status)
    assert outcomes.count(UsageStatus.APPROVED) == 1
    assert outcomes.count("usage_not_pending") == 7
    assert Entitlement.objects.from_source("coupon", usage.pk).count() == 1
