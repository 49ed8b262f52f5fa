"""Nobody decides on their own coupon usage: a group's admin member (or staff) who used a
coupon needing approval waits for another admin or staff, through the service and every API."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from catalog.models import Entitlement
from coupons import services
from coupons.errors import OwnUsageDecision
from coupons.models import CouponUsage, UsageStatus
from tests.coupons.factories import CouponFactory, SessionFactory
from tests.factories import LearnerGroupFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_and_usage():
    """A group's admin member who used the group's coupon, which needs approval."""
    group = LearnerGroupFactory()
    admin = MembershipFactory(group=group, is_admin=True).user
    coupon = CouponFactory(owner_group=group, require_approval=True)
    return admin, services.apply_coupon(coupon=coupon, user=admin, item=SessionFactory())


def still_pending(usage) -> bool:
    return (CouponUsage.objects.get(pk=usage.pk).status == UsageStatus.PENDING
            and not Entitlement.objects.exists())


def test_a_group_admin_cannot_approve_their_own_usage(admin_and_usage):
    admin, usage = admin_and_usage
    with pytest.raises(OwnUsageDecision):
        services.approve_usage(usage=usage, by=admin)
    assert still_pending(usage)


def test_a_group_admin_cannot_reject_their_own_usage(admin_and_usage):
    admin, usage = admin_and_usage
    with pytest.raises(OwnUsageDecision):
        services.reject_usage(usage=usage, by=admin)
    assert still_pending(usage)


def test_staff_holding_the_permission_cannot_approve_their_own_usage(db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    usage = services.apply_coupon(coupon=CouponFactory(require_approval=True), user=staff,
                                  item=SessionFactory())
    with pytest.raises(OwnUsageDecision):
        services.approve_usage(usage=usage, by=staff)
    assert still_pending(usage)


def test_another_admin_of_the_group_approves_it(admin_and_usage):
    _admin, usage = admin_and_usage
    other = MembershipFactory(group=usage.coupon.owner_group, is_admin=True).user
    assert services.approve_usage(usage=usage, by=other).status == UsageStatus.APPROVED


def test_the_native_api_refuses_a_group_admins_own_usage_with_a_403(admin_and_usage):
    admin, usage = admin_and_usage
    token = AccessToken.objects.create(user=admin, token="own-usage", scope="read:own redeem",
                                       expires=timezone.now() + dt.timedelta(hours=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    response = client.post(f"/api/v1/coupon-usages/{usage.pk}/approve")
    assert response.status_code == 403
    assert [e["code"] for e in response.json()["errors"]] == ["own_usage"]
    assert still_pending(usage)


def test_edubrite_refuses_a_group_admins_own_usage_with_0005(admin_and_usage):
    admin, usage = admin_and_usage
    client = Client()
    client.get("/oltpublish/site/connect.do")
    client.get("/oltpublish/site/connect.do", {"username": admin.email,
                                               "password": "secret-pass-123"})
    response = client.post("/couponService.do", {"dispatch": "approveCouponUsage",
                                                 "id": str(usage.pk)})
    assert response.status_code == 403
    assert [m["code"] for m in response.json()["msgs"]] == ["0005"]
    assert still_pending(usage)
