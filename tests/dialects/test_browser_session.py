"""Django's session cookie (a staff member's or a learner's browser) signs a state change only
over POST with a CSRF token, in every dialect; EduBrite's own connect.do cookies and `authCode`
keep every method EduBrite documents (`accounts.authentication.refuse_session_change_over_get`).
"""

from __future__ import annotations

import pytest
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from catalog.models import Entitlement
from coupons import services
from coupons.models import Coupon, CouponStatus, CouponUsage, UsageStatus
from tests.accounts.test_permission_walk import concrete_numbers, count_rows
from tests.coupons.factories import CouponFactory, SessionFactory
from tests.factories import ApiKeyFactory, LearnerGroupFactory, MembershipFactory, UserFactory
from tests.fuzz.test_bad_input import SCHEMA, url_for

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    """A browser signed in to the admin: Django's session cookie, CSRF checked as in production."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf_token(client: Client) -> str:
    """The CSRF cookie a page of the site would have set, and its token for a form."""
    token = get_token(RequestFactory().get("/"))
    client.cookies["csrftoken"] = token
    return token


@pytest.fixture
def admin_browser(db):
    return browser(UserFactory(is_staff=True, is_superuser=True))


def edubrite_codes(response) -> list[str]:
    return [message["code"] for message in response.json()["msgs"]]


@pytest.mark.parametrize("params", [
    {"dispatch": "createCoupon", "type": "USAGE", "entityType": "SITE", "name": "FROM-A-LINK"},
    {"dispatch": "updateCoupon", "status": "INACTIVE"},
    {"dispatch": "deleteCoupon"},
], ids=["createCoupon", "updateCoupon", "deleteCoupon"])
def test_a_coupon_change_over_get_signed_by_the_admins_session_is_refused(admin_browser, params):
    coupon = CouponFactory(code="KEEP")
    before = count_rows()
    response = admin_browser.get("/couponService.do", {"id": str(coupon.pk), **params})
    assert response.status_code == 403 and edubrite_codes(response) == ["0005"]
    assert count_rows() == before
    assert Coupon.objects.get().status == CouponStatus.ACTIVE


@pytest.mark.parametrize("dispatch", ["approveCouponUsage", "rejectCouponUsage"])
def test_deciding_a_usage_over_get_with_the_session_is_refused(admin_browser, dispatch):
    usage = services.apply_coupon(coupon=CouponFactory(require_approval=True), user=UserFactory(),
                                  item=SessionFactory())
    response = admin_browser.get("/couponService.do", {"dispatch": dispatch, "id": str(usage.pk)})
    assert response.status_code == 403 and edubrite_codes(response) == ["0005"]
    assert CouponUsage.objects.get().status == UsageStatus.PENDING


def test_a_learners_session_cannot_subscribe_over_get():
    session = SessionFactory()
    CouponFactory(code="FREE")
    response = browser(UserFactory()).get("/eventService.do", {
        "dispatch": "subscribeByAuthCode", "eventId": str(session.pk), "code": "FREE"})
    assert response.status_code == 403 and edubrite_codes(response) == ["0005"]
    assert not CouponUsage.objects.exists() and not Entitlement.objects.exists()


def test_a_session_post_without_the_csrf_token_is_refused(admin_browser):
    response = admin_browser.post("/couponService.do", {
        "dispatch": "createCoupon", "type": "USAGE", "entityType": "SITE", "name": "NO-TOKEN"})
    assert response.status_code == 403 and edubrite_codes(response) == ["0005"]
    assert not Coupon.objects.exists()


def test_a_session_post_with_the_csrf_token_changes_state(admin_browser):
    token = csrf_token(admin_browser)
    response = admin_browser.post("/couponService.do", {
        "dispatch": "createCoupon", "type": "USAGE", "entityType": "SITE", "name": "WITHTOKEN",
        "csrfmiddlewaretoken": token})
    assert response.status_code == 200, response.content
    assert Coupon.objects.get().code == "WITHTOKEN"


def test_a_group_admins_session_approves_with_post_and_the_csrf_token():
    group = LearnerGroupFactory()
    admin = MembershipFactory(group=group, is_admin=True).user
    learner = MembershipFactory(group=group).user
    usage = services.apply_coupon(coupon=CouponFactory(owner_group=group, require_approval=True),
                                  user=learner, item=SessionFactory())
    client = browser(admin)
    token = csrf_token(client)
    response = client.post("/couponService.do", {"dispatch": "approveCouponUsage",
                                                 "id": str(usage.pk)}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert CouponUsage.objects.get().status == UsageStatus.APPROVED


def test_reading_coupons_over_get_with_the_session_still_answers(admin_browser):
    CouponFactory()
    response = admin_browser.get("/couponService.do", {"dispatch": "listCoupons"})
    assert response.status_code == 200, response.content


def test_edubrites_connect_do_cookies_still_create_a_coupon_over_get(db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.get("/oltpublish/site/connect.do")
    client.get("/oltpublish/site/connect.do", {"username": staff.email,
                                               "password": "secret-pass-123"})
    response = client.get("/couponService.do", {"dispatch": "createCoupon", "type": "USAGE",
                                                "entityType": "SITE", "name": "BYHANDSHAKE"})
    assert response.status_code == 200, response.content
    assert Coupon.objects.get().code == "BYHANDSHAKE"


def test_an_auth_code_still_subscribes_over_get(db):
    _, key = ApiKeyFactory.create_with_key()
    session, learner = SessionFactory(), UserFactory()
    CouponFactory(code="FREE")
    response = Client(enforce_csrf_checks=True).get("/eventService.do", {
        "dispatch": "subscribeByAuthCode", "authCode": key, "eventId": str(session.pk),
        "code": "FREE", "userName": learner.email})
    assert response.status_code == 200, response.content
    assert CouponUsage.objects.get().user == learner


def unsafe_operations():
    return [pytest.param(path, method, op, id=f"{method.upper()} {path}")
            for path, item in sorted(SCHEMA["paths"].items())
            for method, op in item.items()
            if method in ("post", "put", "patch", "delete")
            and not path.endswith(("connect.do", "home.do"))]


@pytest.mark.parametrize(("path", "method", "op"), unsafe_operations())
def test_every_unsafe_operation_signed_by_the_session_needs_the_csrf_token(
        admin_browser, path, method, op):
    url = url_for(concrete_numbers(path, op), op)
    if url.endswith(".do"):
        url += "?dispatch=createCoupon" if "coupon" in url else "?dispatch=subscribeByAuthCode"
    before = count_rows()
    response = admin_browser.generic(method.upper(), url, "{}", content_type="application/json")
    assert response.status_code == 403, (method, url, response.content[:300])
    assert count_rows() == before
