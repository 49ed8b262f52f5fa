"""A coupon code typed on the learner's redeem page (`coupons.code_kinds`): told what it is
for instead of "no such code", and applied there when it grants access by itself."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Entitlement
from coupons.models import CouponType, CouponUsage, EntityType, UsageStatus
from tests.coupons.factories import CouponFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop():
    return SessionFactory(title="Negotiation Workshop", price_cents=12000)


def free_coupon(item, **fields):
    return CouponFactory(code="FREEWORK", type=CouponType.USAGE,
                         entity_type=EntityType.COURSE_SESSION, item=item, **fields)


def test_a_percent_coupon_on_the_site_says_what_it_is_for(client, learner):
    CouponFactory(code="SPRING20", type=CouponType.PERCENT, value_percent=Decimal("20.00"),
                  exp_date=dt.datetime(2099, 12, 31, tzinfo=dt.UTC))
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "spring20"})
    body = response.content.decode()
    assert response.status_code == 200 and "This is a coupon" in body
    assert "20% off on any paid item on this site" in body
    assert "Usable until 31 December 2099" in body
    assert "There is no such code" not in body and "Apply the coupon" not in body


def test_an_amount_coupon_on_an_item_names_the_item(client, learner, workshop):
    CouponFactory(code="TENOFF", type=CouponType.AMOUNT, value_amount_cents=1000,
                  entity_type=EntityType.COURSE_SESSION, item=workshop)
    client.force_login(learner)
    body = client.post("/redeem/", {"code": "TENOFF"}).content.decode()
    assert "10.00 off on “Negotiation Workshop” (course session)" in body
    assert "Apply the coupon" not in body


def test_a_coupon_granting_access_by_itself_is_applied_there(client, learner, workshop):
    free_coupon(workshop)
    client.force_login(learner)
    offered = client.post("/redeem/", {"code": "FREEWORK"}).content.decode()
    assert "Free access on “Negotiation Workshop”" in offered and "Apply the coupon" in offered
    assert 'name="kind" value="coupon"' in offered
    assert not CouponUsage.objects.exists()
    response = client.post("/redeem/", {"code": "FREEWORK", "kind": "coupon"})
    body = response.content.decode()
    assert response.status_code == 200 and "Coupon applied" in body
    assert "Negotiation Workshop" in body
    assert Entitlement.objects.active().filter(user=learner, item=workshop).exists()
    assert CouponUsage.objects.get().status == UsageStatus.APPROVED


def test_a_hundred_percent_coupon_on_an_item_is_applied_there(client, learner, workshop):
    CouponFactory(code="ALLOFF", type=CouponType.PERCENT, value_percent=Decimal(100),
                  entity_type=EntityType.COURSE_SESSION, item=workshop)
    client.force_login(learner)
    assert "100% off on" in client.post("/redeem/", {"code": "ALLOFF"}).content.decode()
    client.post("/redeem/", {"code": "ALLOFF", "kind": "coupon"})
    assert Entitlement.objects.filter(user=learner, item=workshop).exists()


def test_a_coupon_needing_approval_waits(client, learner, workshop):
    free_coupon(workshop, require_approval=True)
    client.force_login(learner)
    body = client.post("/redeem/", {"code": "FREEWORK", "kind": "coupon"}).content.decode()
    assert "waits for approval" in body
    assert CouponUsage.objects.get().status == UsageStatus.PENDING
    assert not Entitlement.objects.exists()


def test_an_expired_coupon_says_why_it_cannot_be_used(client, learner, workshop):
    free_coupon(workshop, exp_date=timezone.now() - dt.timedelta(days=1))
    client.force_login(learner)
    body = client.post("/redeem/", {"code": "FREEWORK"}).content.decode()
    assert "You cannot use it now: This coupon has expired." in body
    assert "Apply the coupon" not in body


def test_applying_a_refused_coupon_is_refused_inline_and_counted(client, learner, workshop,
                                                                  settings):
    settings.REDEEM_FAILURES_PER_LEARNER = 1
    free_coupon(workshop, status="INACTIVE")
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "FREEWORK", "kind": "coupon"})
    assert response.status_code == 422 and "This coupon is not active." in (
        response.content.decode())
    assert client.post("/redeem/", {"code": "FREEWORK"}).status_code == 429


def test_a_used_coupon_is_not_applied_twice(client, learner, workshop):
    free_coupon(workshop)
    client.force_login(learner)
    client.post("/redeem/", {"code": "FREEWORK", "kind": "coupon"})
    body = client.post("/redeem/", {"code": "FREEWORK"}).content.decode()
    assert "already used this coupon" in body
    assert CouponUsage.objects.count() == 1


def test_a_coupon_code_is_not_counted_as_a_failed_guess(client, learner, settings):
    settings.REDEEM_FAILURES_PER_LEARNER = 1
    CouponFactory(code="SPRING20", type=CouponType.PERCENT, value_percent=Decimal(20))
    client.force_login(learner)
    for _ in range(3):
        assert client.post("/redeem/", {"code": "SPRING20"}).status_code == 200


def test_a_code_of_no_kind_is_still_no_such_code(client, learner):
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "NOPE2345"})
    assert response.status_code == 404 and "There is no such code" in response.content.decode()


def test_a_coupon_code_typed_with_dashes_and_spaces_is_applied_and_named_as_written(
        client, learner, workshop):
    CouponFactory(code="free-work", type=CouponType.USAGE,
                  entity_type=EntityType.COURSE_SESSION, item=workshop)
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "FREE WORK", "kind": "coupon"})
    assert response.status_code == 200 and "Coupon free-work is applied." in (
        response.content.decode())
    assert Entitlement.objects.filter(user=learner, item=workshop).exists()
