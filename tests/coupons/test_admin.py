"""The coupons admin: pages render, actions call the services, history stays."""

import pytest
from django.test import Client

from catalog.models import Entitlement
from coupons import services
from coupons.models import Coupon, CouponStatus, CouponUsage, UsageStatus
from tests.coupons.factories import CouponFactory, GroupOfferingFactory, SessionFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def used_coupon():
    coupon = CouponFactory(require_approval=True)
    services.apply_coupon(coupon=coupon, user=UserFactory(), item=SessionFactory())
    return coupon


@pytest.mark.parametrize("url", ["/admin/coupons/coupon/", "/admin/coupons/couponusage/",
                                 "/admin/coupons/groupoffering/", "/admin/coupons/coupon/add/",
                                 "/admin/coupons/edubritesession/"])
def test_admin_pages_render(admin_client, used_coupon, url):
    GroupOfferingFactory()
    assert admin_client.get(url).status_code == 200


def test_deleting_a_used_coupon_is_refused_with_an_explanation(admin_client, used_coupon):
    page = admin_client.get(f"/admin/coupons/coupon/{used_coupon.pk}/delete/")
    assert b"kept as history" in page.content
    admin_client.post(f"/admin/coupons/coupon/{used_coupon.pk}/delete/", {"post": "yes"})
    assert Coupon.objects.filter(pk=used_coupon.pk).exists()


def test_an_unused_coupon_can_be_deleted(admin_client):
    coupon = CouponFactory()
    admin_client.post(f"/admin/coupons/coupon/{coupon.pk}/delete/", {"post": "yes"})
    assert not Coupon.objects.exists()


def test_adding_a_coupon_with_inconsistent_terms_shows_the_error(admin_client):
    response = admin_client.post("/admin/coupons/coupon/add/", {
        "code": "X", "type": "AMOUNT", "entity_type": "SITE", "status": "ACTIVE"})
    assert response.status_code == 200
    assert b"needs an amount" in response.content
    assert not Coupon.objects.exists()


def test_bulk_approve_grants_and_bulk_reject_skips_decided_ones(admin_client, used_coupon):
    usage = CouponUsage.objects.get()
    admin_client.post("/admin/coupons/couponusage/", {
        "action": "approve", "_selected_action": [str(usage.pk)]})
    usage.refresh_from_db()
    assert usage.status == UsageStatus.APPROVED
    assert Entitlement.objects.from_source("coupon", usage.pk).exists()
    admin_client.post("/admin/coupons/couponusage/", {
        "action": "reject", "_selected_action": [str(usage.pk)]})
    usage.refresh_from_db()
    assert usage.status == UsageStatus.APPROVED


def test_usages_cannot_be_deleted_or_edited_in_the_admin(admin_client, used_coupon):
    usage = CouponUsage.objects.get()
    delete = f"/admin/coupons/couponusage/{usage.pk}/delete/"
    assert "never deleted" in admin_client.get(delete).content.decode()
    admin_client.post(delete, {"post": "yes"})
    assert CouponUsage.objects.filter(pk=usage.pk).exists()
    admin_client.post(f"/admin/coupons/couponusage/{usage.pk}/change/",
                      {"discount_cents": "0", "status": "approved"})
    usage.refresh_from_db()
    assert usage.status == UsageStatus.PENDING and usage.discount_cents == usage.price_cents


def test_deactivate_action_uses_the_service(admin_client):
    coupon = CouponFactory()
    admin_client.post("/admin/coupons/coupon/", {"action": "deactivate", "apply": "Deactivate",
                                                 "_selected_action": [str(coupon.pk)]})
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.INACTIVE


def test_deactivating_coupons_asks_first_and_changes_nothing_until_confirmed(admin_client):
    coupon = CouponFactory()
    response = admin_client.post("/admin/coupons/coupon/", {
        "action": "deactivate", "_selected_action": [str(coupon.pk)]})
    assert response.status_code == 200
    assert "Deactivate 1 coupon(s)?" in response.content.decode()
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ACTIVE


def test_a_coupon_added_in_the_admin_is_stored_canonical_and_a_variant_is_refused(admin_client):
    response = admin_client.post("/admin/coupons/coupon/add/", {
        "code": "spring-10", "type": "USAGE", "entity_type": "SITE", "status": "ACTIVE"})
    assert response.status_code == 302, response.content
    assert list(Coupon.objects.values_list("code", "display_code")) == [
        ("SPRING10", "spring-10")]
    again = admin_client.post("/admin/coupons/coupon/add/", {
        "code": "Spring 10", "type": "USAGE", "entity_type": "SITE", "status": "ACTIVE"})
    assert again.status_code == 200 and b"already exists" in again.content
    assert Coupon.objects.count() == 1
