"""EduBrite dialect on the wire: seed 004's createCoupon, the other dispatches, credentials."""

import datetime as dt
import re
import time
import xml.etree.ElementTree as ET

import pytest
from django.core import signing
from django.test import Client, override_settings

from accounts.models import Membership
from catalog.models import Entitlement, ItemKind
from core.envelopes import Problem
from coupons import services, sessions
from coupons.models import (
    Coupon,
    CouponStatus,
    CouponType,
    CouponUsage,
    EduBriteSession,
    EntityType,
    UsageStatus,
)
from dialects.edubrite.envelope import to_xml
from dialects.edubrite.errors import render_edubrite
from tests.coupons.factories import CouponFactory, SessionFactory
from tests.factories import (
    ApiKeyFactory,
    CatalogItemFactory,
    LearnerGroupFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
SEED_XML = ('<response code="0"><msgs><msg><code>0219</code><value><![CDATA[Coupon Created '
            'Successfully]]></value></msg></msgs>')
NOT_ALLOWED_XML = ('<response code="-1"><msgs><msg><code>0005</code><value><![CDATA[You are '
                   'not allowed to perform this action.]]></value></msg></msgs></response>')


@pytest.fixture
def auth_code(db):
    return ApiKeyFactory.create_with_key()[1]


@pytest.fixture
def sales(db):
    training = LearnerGroupFactory(name="Training")
    corporate = LearnerGroupFactory(name="Corporate", parent=training)
    LearnerGroupFactory(name="Support", parent=corporate)
    return LearnerGroupFactory(name="Sales", parent=corporate)


def seed_parameters():
    """The seed's populateMapForCouponCreation, key for key (its ownerGroupId has a newline)."""
    return {
        "dispatch": "createCoupon",
        "xml": "true",
        "couponName": "partner1-free",
        "type": "USAGE",
        "entityType": "SITE",
        "entityId": "yoursite.edubrite.com",
        "valueCount": "999999",
        "expDate": "1495163497116",
        "ownerGroupId\n": '{name:"Training"}/{name: "Corporate"}/{name: "Sales"}',
    }


def _xml(response):
    assert response["Content-Type"].startswith("application/xml"), response["Content-Type"]
    return response.content.decode()


def _codes(response):
    body = response.json() if not response["Content-Type"].startswith("application/xml") \
        else None
    if body is not None:
        return [m["code"] for m in body["msgs"]]
    return re.findall(r"<code>(\d{4})</code>", response.content.decode())


# --- seed 004 --------------------------------------------------------------------------------

@override_settings(SITE_URL="https://yoursite.edubrite.com")
def test_the_seeds_snippet_creates_the_coupon_and_answers_the_seeds_xml(auth_code, sales):
    response = Client().post("/couponService.do", {**seed_parameters(), "authCode": auth_code})
    assert response.status_code == 200
    coupon = Coupon.objects.get()
    assert _xml(response) == (f'{SEED_XML}<coupon id="{coupon.pk}" name="partner1-free"/>'
                              '</response>')
    # stored canonical (what learners type matches in any form), shown back as it was sent
    assert (coupon.display_code, coupon.code, coupon.type, coupon.entity_type) == (
        "partner1-free", "PARTNER1FREE", "USAGE", "SITE")
    assert coupon.value_count == 999_999
    assert coupon.exp_date == dt.datetime(2017, 5, 19, 3, 11, 37, 116000, tzinfo=dt.UTC)
    assert coupon.owner_group == sales


@override_settings(SITE_URL="https://yoursite.edubrite.com")
def test_connect_do_handshake_then_cookies_alone_create_the_coupon(sales):
    staff = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    handshake = Client()
    first = handshake.get("/oltpublish/site/connect.do")
    assert first.status_code == 200 and "SESSION_ID" in first.cookies
    assert "SESSION_INFO" not in first.cookies
    second = handshake.get("/oltpublish/site/connect.do",
                           {"username": staff.email, "password": "secret-pass-123"})
    assert second.status_code == 200 and "SESSION_INFO" in second.cookies

    caller = Client()  # a new client that only carries the two cookies
    caller.cookies["SESSION_ID"] = handshake.cookies["SESSION_ID"].value
    caller.cookies["SESSION_INFO"] = second.cookies["SESSION_INFO"].value
    response = caller.post("/oltpublish/site/couponService.do", seed_parameters())
    assert response.status_code == 200
    assert _xml(response).startswith(SEED_XML)
    assert Coupon.objects.get().created_by == staff.email


def test_a_site_entity_id_that_is_not_our_site_is_refused(auth_code):
    response = Client().post("/couponService.do", {**seed_parameters(), "authCode": auth_code,
                                                    "entityId": "other.example.org"})
    assert response.status_code == 404
    assert _codes(response) == ["0908"]
    assert not Coupon.objects.exists()


def test_without_xml_the_answer_is_json(auth_code):
    response = Client().post("/couponService.do", {
        "dispatch": "createCoupon", "authCode": auth_code, "name": "TEN", "type": "AMOUNT",
        "entityType": "SITE", "valueAmount": "10.005"})
    assert response.status_code == 200
    coupon = Coupon.objects.get()
    assert response.json() == {"code": 0, "msgs": [{"code": "0219",
                                                    "value": "Coupon Created Successfully"}],
                               "coupon": {"id": str(coupon.pk), "name": "TEN"}}
    assert coupon.value_amount_cents == 1001


def test_create_a_program_session_coupon_owned_by_a_group_given_by_code(auth_code):
    program = CatalogItemFactory(kind=ItemKind.PROGRAM_SESSION, external_id="PS-1")
    group = LearnerGroupFactory(name="Corp", code="CORP")
    response = Client().get("/oltpublish/site/couponService.do", {
        "dispatch": "createCoupon", "authCode": auth_code, "type": "PERCENT",
        "valuePercent": "12.5", "entityType": "PROGRAM_SESSION", "entityId": "PS-1",
        "ownerGroupId": '{code: "corp"}', "requireApproval": "true", "startDate": "0"})
    assert response.status_code == 200, response.content
    coupon = Coupon.objects.get()
    assert (coupon.item, coupon.owner_group, coupon.require_approval) == (program, group, True)
    assert str(coupon.value_percent) == "12.50"


def test_create_a_group_coupon_by_path(auth_code, sales):
    response = Client().post("/couponService.do", {
        "dispatch": "createCoupon", "authCode": auth_code, "type": "USAGE",
        "entityType": "GROUP", "entityId": '{name:"Training"}/*/{name:"Sales"}'})
    assert response.status_code == 200, response.content
    assert Coupon.objects.get().group == sales


def test_a_path_matching_several_groups_is_refused_saying_how_many(auth_code, sales):
    response = Client().post("/couponService.do", {
        **seed_parameters(), "authCode": auth_code, "entityId": "",
        "ownerGroupId\n": '{name:"Training"}/{name: "Corporate"}/*'})
    assert response.status_code == 400
    assert "<code>0906</code>" in _xml(response)
    assert "2 groups match" in _xml(response)
    assert not Coupon.objects.exists()


@pytest.mark.parametrize(("changes", "status", "code"), [
    ({"type": ""}, 400, "0901"),
    ({"type": "FREE"}, 400, "0911"),
    ({"valueCount": "-1"}, 400, "0902"),
    ({"expDate": "tomorrow"}, 400, "0902"),
    ({"requireApproval": "maybe"}, 400, "0902"),
    ({"dispatch": "createCoupons"}, 400, "0903"),
    ({"ownerGroupId\n": '{name:"Nowhere"}'}, 404, "0905"),
    ({"ownerGroupId\n": "{name:"}, 400, "0907"),
    ({"type": "PERCENT", "valuePercent": "NaN"}, 400, "0902"),
    ({"type": "AMOUNT", "valueAmount": "1e400"}, 400, "0902"),
    ({"valueCount": "9999999999"}, 400, "0902"),
    ({"couponName": "a\x00b"}, 400, "0902"),
    ({"expDate": "99999999999999999999"}, 400, "0902"),
])
def test_bad_parameters_are_refused_with_a_coded_message_and_nothing_changes(
        auth_code, sales, changes, status, code):
    response = Client().post("/couponService.do", {**seed_parameters(), "authCode": auth_code,
                                                    "entityId": "", **changes})
    assert response.status_code == status, response.content
    assert _xml(response).startswith('<response code="-1"><msgs><msg><code>' + code)
    assert not Coupon.objects.exists()


@pytest.mark.parametrize(("changes", "words"), [
    ({"type": "AMOUNT"}, "A AMOUNT coupon needs an amount (valueAmount)."),
    ({"valueAmount": "5"}, "An amount (valueAmount) is only for AMOUNT and TOTAL_AMOUNT "
                           "coupons."),
    ({"type": "PERCENT"}, "A PERCENT coupon needs a percentage (valuePercent)."),
    ({"valuePercent": "5"}, "A percentage (valuePercent) is only for PERCENT coupons."),
    ({"entityType": "PLANET"}, "entityType must be one of SITE, PROGRAM_SESSION, "
                               "COURSE_SESSION, EVENT, GROUP."),
])
def test_inconsistent_terms_are_0911_in_edubrites_parameter_names(auth_code, changes, words):
    response = Client().post("/couponService.do", {
        "dispatch": "createCoupon", "authCode": auth_code, "type": "USAGE",
        "entityType": "SITE", **changes})
    assert response.status_code == 400
    assert response.json() == {"code": -1, "msgs": [{"code": "0911", "value": words}]}
    assert not Coupon.objects.exists()


def test_a_taken_code_is_a_409(auth_code):
    CouponFactory(code="PARTNER1-FREE")
    response = Client().post("/couponService.do", {**seed_parameters(), "authCode": auth_code,
                                                    "entityId": "", "ownerGroupId\n": ""})
    assert response.status_code == 409 and _codes(response) == ["0912"]


# --- credentials ---------------------------------------------------------------------------

def test_no_credentials_is_0005_with_401():
    response = Client().post("/couponService.do", {"dispatch": "listCoupons", "xml": "true"})
    assert response.status_code == 401
    assert _xml(response) == NOT_ALLOWED_XML


def test_a_wrong_auth_code_is_0005_with_401(db):
    response = Client().get("/couponService.do", {"dispatch": "listCoupons",
                                                  "authCode": "abcdefgh.wrong"})
    assert response.status_code == 401
    assert response.json() == {"code": -1, "msgs": [
        {"code": "0005", "value": "You are not allowed to perform this action."}]}


def test_an_auth_code_with_a_nul_character_is_a_400_naming_it_not_a_crash(db):
    # Refused before credentials are looked up, as every NUL in a form (core.parsers).
    response = Client().post("/couponService.do", {"dispatch": "listCoupons",
                                                   "authCode": "abc\x00defg.xyz"})
    assert response.status_code == 400
    assert response.json()["msgs"] == [{"code": "0902", "value": "authCode cannot contain a "
                                                                 "NUL character or a lone "
                                                                 "surrogate."}]


def test_connect_do_refuses_a_wrong_password(db):
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.get("/oltpublish/site/connect.do")
    response = client.get("/oltpublish/site/connect.do",
                          {"username": user.email, "password": "nope", "xml": "true"})
    assert response.status_code == 401
    assert "<code>0940</code>" in _xml(response)
    assert "SESSION_INFO" not in response.cookies


def test_connect_do_refuses_password_guessing_with_0962_and_retry_after(db, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()

    def sign_in(password):
        return client.get("/oltpublish/site/connect.do",
                          {"username": user.email, "password": password})

    assert [sign_in(guess).status_code for guess in ("guess-1", "guess-2")] == [401, 401]
    response = sign_in("secret-pass-123")  # the right one, too late: not even checked
    assert response.status_code == 429 and _codes(response) == ["0962"]
    assert int(response["Retry-After"]) > 0
    assert "SESSION_INFO" not in response.cookies


def test_connect_do_counts_guesses_per_address_across_accounts(db, settings):
    settings.LOGIN_FAILURES_PER_IP = 2
    for _ in range(2):
        Client().get("/oltpublish/site/connect.do",
                     {"username": UserFactory().email, "password": "nope"})
    response = Client().get("/oltpublish/site/connect.do",
                            {"username": UserFactory().email, "password": "secret-pass-123"})
    assert response.status_code == 429


def test_anonymous_connect_do_calls_store_nothing(db):
    for _ in range(5):
        response = Client().get("/oltpublish/site/connect.do")
        assert response.status_code == 200 and "SESSION_ID" in response.cookies
    assert not EduBriteSession.objects.exists()


def test_a_handshake_older_than_its_window_cannot_sign_in(db, monkeypatch):
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.get("/oltpublish/site/connect.do")
    stale_id = client.cookies["SESSION_ID"].value
    later = time.time() + sessions.HANDSHAKE_SECONDS + 1
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.get("/oltpublish/site/connect.do",
                          {"username": user.email, "password": "secret-pass-123"})
    assert response.status_code == 200
    assert response.cookies["SESSION_ID"].value != stale_id  # a new handshake began
    session = EduBriteSession.objects.get()
    assert stale_id.split(":")[0] != str(session.pk)


def test_signing_in_stores_one_session_for_the_user(db):
    user = UserFactory(is_staff=True, is_superuser=True)
    _signed_in(user)
    session = EduBriteSession.objects.get()
    assert session.user == user and session.signed_in_at is not None


def _signed_in(user):
    client = Client()
    client.get("/oltpublish/site/connect.do")
    client.get("/oltpublish/site/connect.do", {"username": user.email,
                                               "password": "secret-pass-123"})
    return client


def test_a_tampered_session_info_cookie_is_refused(db):
    client = _signed_in(UserFactory(is_staff=True, is_superuser=True))
    client.cookies["SESSION_INFO"] = client.cookies["SESSION_INFO"].value[:-2] + "xx"
    response = client.get("/couponService.do", {"dispatch": "listCoupons"})
    assert response.status_code == 401 and _codes(response) == ["0005"]


def test_session_cookies_of_another_session_do_not_mix(db):
    one = _signed_in(UserFactory(is_staff=True, is_superuser=True))
    other = _signed_in(UserFactory(is_staff=True, is_superuser=True))
    one.cookies["SESSION_INFO"] = other.cookies["SESSION_INFO"].value
    assert one.get("/couponService.do", {"dispatch": "listCoupons"}).status_code == 401


def test_a_password_change_ends_the_session(db):
    user = UserFactory(is_staff=True, is_superuser=True)
    client = _signed_in(user)
    assert client.get("/couponService.do", {"dispatch": "listCoupons"}).status_code == 200
    user.set_password("another-pass-456")
    user.save()
    assert client.get("/couponService.do", {"dispatch": "listCoupons"}).status_code == 401


def test_a_session_id_alone_is_not_signed_in(db):
    client = Client()
    client.get("/oltpublish/site/connect.do")
    response = client.get("/couponService.do", {"dispatch": "listCoupons"})
    assert response.status_code == 401


def test_a_learner_session_may_not_administer_coupons(db):
    client = _signed_in(UserFactory())
    response = client.post("/couponService.do", {"dispatch": "createCoupon", "type": "USAGE",
                                                 "entityType": "SITE"})
    assert response.status_code == 403 and _codes(response) == ["0005"]
    assert not Coupon.objects.exists()


# --- the other coupon dispatches ------------------------------------------------------------

def test_update_coupon_answers_0223_and_can_deactivate(auth_code):
    coupon = CouponFactory(value_count=3)
    response = Client().post("/couponService.do", {
        "dispatch": "updateCoupon", "authCode": auth_code, "id": str(coupon.pk),
        "valueCount": "10", "status": "INACTIVE", "comment": "paused", "xml": "true"})
    assert response.status_code == 200
    assert _xml(response).startswith('<response code="0"><msgs><msg><code>0223</code><value>'
                                     '<![CDATA[Coupon updated successfully]]>')
    coupon.refresh_from_db()
    assert (coupon.value_count, coupon.status, coupon.comment) == (10, "INACTIVE", "paused")


def test_update_coupon_keeps_value_count_at_or_above_the_uses(auth_code):
    coupon = CouponFactory(value_count=3)
    services.apply_coupon(coupon=coupon, user=UserFactory(), item=SessionFactory())
    services.apply_coupon(coupon=coupon, user=UserFactory(), item=SessionFactory())
    response = Client().post("/couponService.do", {
        "dispatch": "updateCoupon", "authCode": auth_code, "id": str(coupon.pk),
        "valueCount": "1"})
    assert response.status_code == 422 and _codes(response) == ["0928"]
    coupon.refresh_from_db()
    assert coupon.value_count == 3


def test_get_coupon_by_id_or_name_in_xml(auth_code):
    coupon = CouponFactory(code="SPRING", type=CouponType.AMOUNT, value_amount_cents=1050)
    for params in ({"id": str(coupon.pk)}, {"name": "spring"}):
        response = Client().get("/couponService.do", {"dispatch": "getCoupon", "xml": "true",
                                                      "authCode": auth_code, **params})
        root = ET.fromstring(response.content)
        element = root.find("coupon")
        assert element.get("name") == "SPRING" and element.get("valueAmount") == "10.50"
        assert element.get("usedCount") == "0"


def test_get_coupon_with_an_unknown_id_or_code(auth_code):
    unknown_id = Client().get("/couponService.do", {"dispatch": "getCoupon",
                                                    "authCode": auth_code,
                                                    "id": "00000000-0000-0000-0000-000000000000"})
    assert unknown_id.status_code == 404 and _codes(unknown_id) == ["0904"]
    unknown_code = Client().get("/couponService.do", {"dispatch": "getCoupon",
                                                      "authCode": auth_code, "name": "NOPE"})
    assert unknown_code.status_code == 404
    assert unknown_code.json()["msgs"] == [{"code": "0026", "value": "Invalid auth code"}]


def test_list_coupons_filters_and_paginates(auth_code):
    CouponFactory(status=CouponStatus.INACTIVE, code="OLD")
    for _ in range(3):
        CouponFactory()
    body = Client().post("/couponService.do", {"dispatch": "listCoupons", "authCode": auth_code,
                                               "status": "ACTIVE", "pageSize": "2"}).json()
    assert len(body["coupons"]) == 2 and body["pagination"]["count"] == 3
    xml = Client().get("/couponService.do", {"dispatch": "listCoupons", "authCode": auth_code,
                                             "xml": "true", "name": "OLD"}).content.decode()
    assert re.search(r'<coupons><coupon id="[^"]+" name="OLD"', xml)


def test_list_coupons_refuses_a_bad_filter_value(auth_code):
    response = Client().get("/couponService.do", {"dispatch": "listCoupons",
                                                  "authCode": auth_code,
                                                  "createdAt.gt": "last week"})
    assert response.status_code == 400 and _codes(response) == ["0902"]


def test_delete_coupon_refuses_a_used_coupon_and_deletes_an_unused_one(auth_code):
    used = CouponFactory()
    services.apply_coupon(coupon=used, user=UserFactory(), item=SessionFactory())
    refused = Client().post("/couponService.do", {"dispatch": "deleteCoupon",
                                                  "authCode": auth_code, "id": str(used.pk)})
    assert refused.status_code == 409 and _codes(refused) == ["0930"]
    unused = CouponFactory()
    deleted = Client().post("/couponService.do", {"dispatch": "deleteCoupon",
                                                  "authCode": auth_code, "id": str(unused.pk)})
    assert deleted.status_code == 200 and _codes(deleted) == ["0953"]
    assert list(Coupon.objects.all()) == [used]


def test_an_owner_group_admin_approves_a_usage_through_the_handshake():
    group = LearnerGroupFactory()
    admin = MembershipFactory(group=group, is_admin=True).user
    learner = MembershipFactory(group=group).user
    item = SessionFactory()
    coupon = CouponFactory(owner_group=group, require_approval=True)
    usage = services.apply_coupon(coupon=coupon, user=learner, item=item)
    response = _signed_in(admin).post("/couponService.do", {
        "dispatch": "approveCouponUsage", "id": str(usage.pk), "xml": "true"})
    assert response.status_code == 200, response.content
    assert "<code>0954</code>" in _xml(response)
    assert Entitlement.objects.filter(user=learner, item=item).exists()


def test_a_plain_member_cannot_reject_a_usage(auth_code):
    group = LearnerGroupFactory()
    member = MembershipFactory(group=group).user
    usage = services.apply_coupon(coupon=CouponFactory(owner_group=group, require_approval=True,
                                                       add_user_to_coupons_group=True),
                                  user=UserFactory(), item=SessionFactory())
    response = _signed_in(member).post("/couponService.do", {"dispatch": "rejectCouponUsage",
                                                             "id": str(usage.pk)})
    assert response.status_code == 403 and _codes(response) == ["0005"]
    reject = Client().post("/couponService.do", {"dispatch": "rejectCouponUsage",
                                                 "authCode": auth_code, "id": str(usage.pk),
                                                 "reason": "no seat"})
    assert reject.status_code == 200 and _codes(reject) == ["0955"]
    assert CouponUsage.objects.get().status == UsageStatus.REJECTED


# --- subscribeByAuthCode ------------------------------------------------------------------

def test_subscribe_by_auth_code_answers_0153_and_grants_access(auth_code):
    session = SessionFactory(external_id="CS-1")
    learner = UserFactory()
    CouponFactory(code="FREE-CS", entity_type=EntityType.COURSE_SESSION, item=session)
    response = Client().post("/oltpublish/site/eventService.do", {
        "dispatch": "subscribeByAuthCode", "authCode": auth_code, "eventId": "CS-1",
        "code": "free-cs", "userName": learner.email, "xml": "true"})
    assert response.status_code == 200, response.content
    assert _xml(response).startswith(
        '<response code="0"><msgs><msg><code>0153</code><value><![CDATA[Successfully '
        'subscribed to the course session]]></value></msg></msgs><usage ')
    assert Entitlement.objects.filter(user=learner, item=session, source="coupon").exists()


def test_subscribe_by_auth_code_finds_the_coupon_however_its_code_is_typed(auth_code, sales):
    session = SessionFactory(external_id="CS-1")
    created = Client().post("/couponService.do", {**seed_parameters(), "authCode": auth_code,
                                                   "entityId": "", "ownerGroupId\n": "",
                                                   "expDate": ""})
    assert created.status_code == 200, created.content
    response = Client().post("/eventService.do", {
        "dispatch": "subscribeByAuthCode", "authCode": auth_code, "eventId": "CS-1",
        "code": "PARTNER1 FREE", "userName": UserFactory().email})
    assert response.status_code == 200, response.content
    assert Entitlement.objects.filter(item=session, source="coupon").exists()
    got = Client().get("/couponService.do", {"dispatch": "getCoupon", "authCode": auth_code,
                                             "name": "Partner1Free"})
    assert got.json()["coupon"]["name"] == "partner1-free"


def test_subscribe_needing_approval_is_pending(auth_code):
    event = CatalogItemFactory(kind=ItemKind.EVENT)
    CouponFactory(code="EVT", entity_type=EntityType.EVENT, item=event, require_approval=True)
    body = Client().post("/eventService.do", {
        "dispatch": "subscribeByAuthCode", "authCode": auth_code, "eventId": str(event.pk),
        "code": "EVT", "userName": UserFactory().email}).json()
    assert [m["code"] for m in body["msgs"]] == ["0153", "0950"]
    assert body["usage"]["status"] == "pending"
    assert not Entitlement.objects.exists()


def test_subscribe_with_an_unknown_coupon_code_is_0026_with_404(auth_code):
    session = SessionFactory()
    response = Client().post("/eventService.do", {
        "dispatch": "subscribeByAuthCode", "authCode": auth_code, "eventId": str(session.pk),
        "code": "NOPE", "userName": UserFactory().email, "xml": "true"})
    assert response.status_code == 404
    assert _xml(response) == ('<response code="-1"><msgs><msg><code>0026</code><value>'
                              '<![CDATA[Invalid auth code]]></value></msg></msgs></response>')


def test_repeated_unknown_codes_are_throttled_with_0962_and_retry_after(auth_code, settings):
    settings.REDEEM_FAILURES_PER_LEARNER = 2
    learner, session = UserFactory(), SessionFactory()
    CouponFactory(code="REAL", entity_type=EntityType.COURSE_SESSION, item=session)

    def subscribe(code):
        return Client().post("/eventService.do", {
            "dispatch": "subscribeByAuthCode", "authCode": auth_code, "eventId": str(session.pk),
            "code": code, "userName": learner.email})

    assert [subscribe(code).status_code for code in ("GUESS1", "GUESS2")] == [404, 404]
    response = subscribe("REAL")
    assert response.status_code == 429 and _codes(response) == ["0962"]
    assert int(response["Retry-After"]) > 0
    assert not CouponUsage.objects.exists()


def test_subscribe_with_an_inactive_coupon_is_refused(auth_code):
    session = SessionFactory()
    CouponFactory(code="OFF", status=CouponStatus.INACTIVE)
    response = Client().post("/eventService.do", {
        "dispatch": "subscribeByAuthCode", "authCode": auth_code, "eventId": str(session.pk),
        "code": "OFF", "userName": UserFactory().email})
    assert response.status_code == 422 and _codes(response) == ["0920"]
    assert not CouponUsage.objects.exists()


def test_subscribe_refuses_an_unknown_event_and_a_missing_user(auth_code):
    CouponFactory(code="ANY")
    unknown = Client().post("/eventService.do", {
        "dispatch": "subscribeByAuthCode", "authCode": auth_code, "eventId": "nope",
        "code": "ANY", "userName": UserFactory().email})
    assert unknown.status_code == 404 and _codes(unknown) == ["0908"]
    missing = Client().post("/eventService.do", {
        "dispatch": "subscribeByAuthCode", "authCode": auth_code,
        "eventId": str(SessionFactory().pk), "code": "ANY"})
    assert missing.status_code == 400 and _codes(missing) == ["0901"]


def test_a_signed_in_learner_subscribes_themselves_and_joins_the_group():
    group = LearnerGroupFactory()
    learner = UserFactory()
    session = SessionFactory()
    CouponFactory(code="JOIN", owner_group=group, add_user_to_coupons_group=True)
    client = _signed_in(learner)
    response = client.post("/eventService.do", {"dispatch": "subscribeByAuthCode",
                                                 "eventId": str(session.pk), "code": "JOIN"})
    assert response.status_code == 200, response.content
    assert Membership.objects.filter(user=learner, group=group).exists()
    other = client.post("/eventService.do", {"dispatch": "subscribeByAuthCode",
                                             "eventId": str(session.pk), "code": "JOIN",
                                             "userName": UserFactory().email})
    assert other.status_code == 403 and _codes(other) == ["0005"]


# --- envelope ------------------------------------------------------------------------------

def test_a_message_containing_the_cdata_end_stays_well_formed():
    envelope = render_edubrite(400, [Problem("invalid", "bad ]]> value \x01 <&>")])
    root = ET.fromstring(to_xml(envelope))
    assert root.get("code") == "-1"
    assert root.find("msgs/msg/value").text == "bad ]]> value  <&>"


def test_attributes_are_escaped():
    root = ET.fromstring(to_xml({"code": 0, "msgs": [], "coupon": {"name": 'a"<b>&'}}))
    assert root.find("coupon").get("name") == 'a"<b>&'


def test_an_unknown_path_under_edubrites_prefix_answers_in_its_envelope():
    response = Client().get("/oltpublish/site/nothing.do")
    assert response.status_code == 404
    assert response.json() == {"code": -1, "msgs": [{"code": "0900", "value": (
        "nothing.do is not served here; Entitle answers couponService.do, eventService.do, "
        "connect.do, home.do.")}]}
