"""EduBrite's public clients, exchange by exchange as they talk on the wire.

The recorded behaviour (the shared client notes): the Java reference client (commons-httpclient
3.0) signs in with two GETs of `/oltpublish/site/home.do` through one cookie jar, then sends
every call with each cookie in its own `Cookie:` header led by RFC 2109's `$Version`, which a
WSGI server joins with a comma; a PHP client (curl) POSTs `connect.do` twice and takes both
cookies from the second response. Each test replays those requests as the clients send them,
headers included, then the calls that worked once the session held.
"""

import datetime as dt
import http.client
import os
import re
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client

from bench.stack import Gunicorn, server_env
from coupons.models import Coupon, CouponUsage
from tests.coupons.factories import CouponFactory, SessionFactory
from tests.factories import LearnerGroupFactory, MembershipFactory, UserFactory

PASSWORD = "secret-pass-123"  # UserFactory's
FORM = "application/x-www-form-urlencoded; charset=utf-8"  # PostMethod with utf-8 params
REAL_UNAME = "siteadmin|admin@example.com|Site Admin"
CREATED_XML = ('<response code="0"><msgs><msg><code>0219</code><value><![CDATA[Coupon Created '
               'Successfully]]></value></msg></msgs><coupon id="{id}" name="partner1-free"/>'
               '</response>')
UPDATED_XML = ('<response code="0"><msgs><msg><code>0223</code><value><![CDATA[Coupon updated '
               'successfully]]></value></msg></msgs><coupon id="{id}" name="partner1-free"/>'
               '</response>')
SUBSCRIBED_XML = ('<response code="0"><msgs><msg><code>0153</code><value><![CDATA[Successfully '
                  'subscribed to the course session]]></value></msg></msgs><usage ')


def seed_coupon():
    """Seed 004's populateMapForCouponCreation (its `ownerGroupId` key ends in a newline)."""
    return {"dispatch": "createCoupon", "xml": "true", "couponName": "partner1-free",
            "type": "USAGE", "entityType": "SITE", "entityId": "yoursite.edubrite.com",
            "valueCount": "999999", "expDate": "1495163497116",
            "ownerGroupId\n": '{name:"Training"}/{name: "Corporate"}/{name: "Sales"}'}


@pytest.fixture
def site(db, settings):
    """The seed's groups, a site admin, a member of Sales and a course session."""
    settings.SITE_URL = "https://yoursite.edubrite.com"
    training = LearnerGroupFactory(name="Training")
    corporate = LearnerGroupFactory(name="Corporate", parent=training)
    sales = LearnerGroupFactory(name="Sales", parent=corporate)
    learner = UserFactory(email="learner@example.com")
    MembershipFactory(user=learner, group=sales)
    return {"admin": UserFactory(email="admin@example.com", is_staff=True, is_superuser=True),
            "learner": learner, "session": SessionFactory(external_id="CS-1")}


def java_cookie(session_id: str, session_info: str, separator: str = ", ") -> str:
    """HTTP_COOKIE as a WSGI server hands over the Java client's two `Cookie:` headers."""
    return f"$Version=0; SESSION_ID={session_id}{separator}$Version=0; SESSION_INFO={session_info}"


def java_sign_in(admin) -> tuple[str, str]:
    """`connectInternal`: GET home.do bare, then with username and password, one cookie jar;
    the two cookies are whatever the jar holds afterwards."""
    jar = Client()
    first = jar.get("/oltpublish/site/home.do")
    assert first.status_code == 200
    assert "SESSION_ID" in first.cookies and "SESSION_INFO" not in first.cookies
    query = urlencode({"username": admin.email, "password": PASSWORD})
    second = jar.get(f"/oltpublish/site/home.do?{query}")
    assert second.status_code == 200  # anything else is a failed sign-in to the client
    return jar.cookies["SESSION_ID"].value, jar.cookies["SESSION_INFO"].value


class JavaClient:
    """`invokeApi`: POST /oltpublish/site/<uri>, the form body, REAL_UNAME, two cookies."""

    def __init__(self, cookie_header: str):
        self.client = Client()
        self.cookie_header = cookie_header

    def invoke(self, uri: str, parameters: dict):
        return self.client.generic(
            "POST", f"/oltpublish/site/{uri}", urlencode(parameters), content_type=FORM,
            headers={"REAL_UNAME": REAL_UNAME}, HTTP_COOKIE=self.cookie_header)


def replay_the_calls(invoke, site) -> None:
    """createCoupon (seed 004), getCoupon, updateCoupon, then subscribeByAuthCode: each
    answers its documented message code, as the session's user."""
    created = invoke("couponService.do", seed_coupon())
    assert created.status_code == 200, created.content
    coupon = Coupon.objects.get()
    assert created.content.decode() == CREATED_XML.format(id=coupon.pk)
    assert coupon.created_by == site["admin"].email
    assert coupon.owner_group.name == "Sales"

    got = invoke("couponService.do", {"dispatch": "getCoupon", "xml": "true", "id": coupon.pk})
    assert got.status_code == 200
    assert got.content.decode().startswith(
        f'<response code="0"><msgs/><coupon id="{coupon.pk}" name="partner1-free" type="USAGE"')

    next_year = int((dt.datetime.now(dt.UTC) + dt.timedelta(days=365)).timestamp() * 1000)
    updated = invoke("couponService.do", {"dispatch": "updateCoupon", "xml": "true",
                                          "id": coupon.pk, "expDate": next_year})
    assert updated.status_code == 200
    assert updated.content.decode() == UPDATED_XML.format(id=coupon.pk)

    subscribe = {"dispatch": "subscribeByAuthCode", "xml": "true", "eventId": "CS-1",
                 "code": "partner1-free", "userName": site["learner"].email}
    subscribed = invoke("eventService.do", subscribe)
    assert subscribed.status_code == 200, subscribed.content
    assert subscribed.content.decode().startswith(SUBSCRIBED_XML)
    again = invoke("eventService.do", subscribe)
    assert again.status_code == 409 and "<code>0927</code>" in again.content.decode()
    unknown = invoke("eventService.do", {**subscribe, "code": "no-such-code"})
    assert unknown.status_code == 404 and "<code>0026</code>" in unknown.content.decode()
    assert CouponUsage.objects.get().user == site["learner"]


# --- the Java reference client, in process -----------------------------------------------------

def test_home_do_signs_the_java_client_in_and_sets_both_cookies(site):
    session_id, session_info = java_sign_in(site["admin"])
    assert session_id and session_info


@pytest.mark.parametrize("prefix", ["/oltpublish/site/", "/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_home_do_is_the_connect_do_handshake_under_both_prefixes(site, prefix, method):
    jar = Client()
    first = getattr(jar, method)(f"{prefix}home.do", {"xml": "true"})
    assert first.status_code == 200 and "<code>0951</code>" in first.content.decode()
    query = urlencode({"username": site["admin"].email, "password": PASSWORD})
    second = getattr(jar, method)(f"{prefix}home.do?{query}")
    assert second.status_code == 200 and second.json()["msgs"][0]["code"] == "0952"
    assert {"SESSION_ID", "SESSION_INFO"} <= set(second.cookies)


@pytest.mark.parametrize("separator", [", ", ","])  # the notes' form, and gunicorn's
def test_the_java_clients_joined_cookie_headers_hold_the_session_through_every_call(
        site, separator):
    java = JavaClient(java_cookie(*java_sign_in(site["admin"]), separator=separator))
    replay_the_calls(java.invoke, site)


def test_rfc_2109_path_and_domain_attributes_after_a_value_are_read_as_attributes(site):
    session_id, session_info = java_sign_in(site["admin"])
    header = (f'$Version="1"; SESSION_ID="{session_id}"; $Path="/"; $Domain=".example.com", '
              f'$Version="1"; SESSION_INFO="{session_info}"; $Path="/"')
    response = JavaClient(header).invoke("couponService.do", {"dispatch": "listCoupons"})
    assert response.status_code == 200, response.content


def test_session_info_alone_is_still_not_signed_in(site):
    _, session_info = java_sign_in(site["admin"])
    response = JavaClient(f"$Version=0; SESSION_INFO={session_info}").invoke(
        "couponService.do", {"dispatch": "listCoupons", "xml": "true"})
    assert response.status_code == 401 and "<code>0005</code>" in response.content.decode()


# --- the Java client's list calls (`PagedList` pagination) -------------------------------------
# Its list calls send `PagedList`'s four fields (`AbstractApiService.addPagination`): currPage
# counts from 0 and starts at -1 ("not set"), pageSize defaults to 20. Recorded against gunicorn
# with commons-httpclient 3.1: `currPage=-1` and `currPage=0` were both refused 400 `0902`
# ("page must be a whole number from 1 up").

def java_list_coupons(site, **paged_list):
    """listCoupons as the Java client sends a list call: its PagedList's fields, as strings."""
    java = JavaClient(java_cookie(*java_sign_in(site["admin"])))
    fields = {"pageSize": "20", "currPage": "-1", "numPages": "0", "numItems": "0",
              **paged_list}
    return java.invoke("couponService.do", {"dispatch": "listCoupons", "xml": "true", **fields})


def listed_ids(response) -> list[str]:
    return re.findall(r'<coupon [^>]*?id="([^"]+)"', response.content.decode())


@pytest.fixture
def three_coupons(site):
    """Listed newest first: the ids in the order listCoupons answers them."""
    coupons = [CouponFactory() for _ in range(3)]
    return [str(c.pk) for c in sorted(coupons, key=lambda c: (c.created_at, c.pk),
                                      reverse=True)]


def test_the_java_clients_unset_paged_list_lists_the_first_page(site, three_coupons):
    response = java_list_coupons(site, pageSize="2")  # currPage -1, as PagedList starts
    assert response.status_code == 200, response.content
    assert listed_ids(response) == three_coupons[:2]


def test_the_java_clients_curr_page_counts_from_zero(site, three_coupons):
    first = java_list_coupons(site, pageSize="2", currPage="0")
    second = java_list_coupons(site, pageSize="2", currPage="1")
    assert first.status_code == second.status_code == 200, first.content
    assert listed_ids(first) == three_coupons[:2]
    assert listed_ids(second) == three_coupons[2:]


def test_a_coupon_page_answers_the_paged_list_fields_with_curr_page_from_zero(
        site, three_coupons):
    response = java_list_coupons(site, pageSize="2", currPage="1")
    pagination = re.search(r"<pagination [^>]*/>", response.content.decode()).group(0)
    for attribute in ('currPage="1"', 'pageSize="2"', 'numPages="2"', 'numItems="3"',
                      'current="2"'):
        assert attribute in pagination, pagination


@pytest.mark.parametrize("curr_page", ["-2", "first"])
def test_a_curr_page_below_minus_one_or_not_a_number_is_a_400_naming_it(site, curr_page):
    response = java_list_coupons(site, currPage=curr_page)
    assert response.status_code == 400
    assert "<code>0902</code>" in response.content.decode()
    assert "currPage must be a whole number from 0 up" in response.content.decode()


# --- the PHP client --------------------------------------------------------------------------

def test_the_php_client_takes_both_cookies_from_the_sign_in_response(site):
    curl = Client()
    first = curl.post("/oltpublish/site/connect.do")
    assert "SESSION_ID" in first.cookies
    second = curl.post("/oltpublish/site/connect.do",
                       {"username": site["admin"].email, "password": PASSWORD})
    assert second.status_code == 200
    session_id = second.cookies["SESSION_ID"].value  # from THIS response's Set-Cookie
    session_info = second.cookies["SESSION_INFO"].value
    assert session_id == first.cookies["SESSION_ID"].value  # the same handshake, sent again

    def invoke(uri, parameters):
        return Client().post(f"/oltpublish/site/{uri}", urlencode(parameters), content_type=FORM,
                             HTTP_COOKIE=f"SESSION_ID={session_id}; SESSION_INFO={session_info}")

    replay_the_calls(invoke, site)


# --- services Entitle does not serve -----------------------------------------------------------

@pytest.mark.parametrize("path", ["/oltpublish/site/catalogService.do", "/userService.do",
                                  "/oltpublish/site/anything.do"])
def test_a_service_entitle_does_not_serve_is_a_404_in_edubrites_xml(db, path):
    response = Client().post(path, {"xml": "true", "dispatch": "getCatalogs"})
    assert response.status_code == 404
    service = path.rsplit("/", 1)[1]
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response.content.decode() == (
        f'<response code="-1"><msgs><msg><code>0900</code><value><![CDATA[{service} is not '
        'served here; Entitle answers couponService.do, eventService.do, connect.do, home.do.]]>'
        '</value></msg></msgs></response>')


@pytest.mark.parametrize("method", ["get", "post", "put", "delete", "options"])
def test_a_service_entitle_does_not_serve_answers_json_without_xml_whatever_the_method(
        db, method):
    response = getattr(Client(), method)("/catalogService.do")
    assert response.status_code == 404
    assert response.json()["code"] == -1
    assert [m["code"] for m in response.json()["msgs"]] == ["0900"]


# --- the Java client's headers over real HTTP --------------------------------------------------

def _served_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/entitle")
    return f"{base.rpartition('/')[0]}/{connection.settings_dict['NAME']}"


@pytest.fixture
def gunicorn(transactional_db):
    """gunicorn serving the test database, as production serves (DEBUG off, sync workers).
    TEST_SERVER_PORT picks the port (default: a free one)."""
    port = int(os.environ["TEST_SERVER_PORT"]) if os.environ.get("TEST_SERVER_PORT") else None
    env = server_env(_served_database_url(), settings="tests.settings",
                     SITE_URL="https://yoursite.edubrite.com", LOG_LEVEL="ERROR")
    with Gunicorn(env, workers=1, port=port) as server:
        yield server


@pytest.mark.postgres
def test_two_cookie_headers_over_gunicorn_hold_the_java_clients_session(gunicorn):
    training = LearnerGroupFactory(name="Training")
    LearnerGroupFactory(name="Sales", parent=LearnerGroupFactory(name="Corporate",
                                                                 parent=training))
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)

    jar = CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    browser.open(gunicorn.url("/oltpublish/site/home.do"), timeout=30).close()
    query = urlencode({"username": admin.email, "password": PASSWORD})
    with browser.open(gunicorn.url(f"/oltpublish/site/home.do?{query}"), timeout=30) as signed:
        assert signed.status == 200
    cookies = {cookie.name: cookie.value for cookie in jar}

    body = urlencode(seed_coupon()).encode()
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn.port, timeout=30)
    conn.putrequest("POST", "/oltpublish/site/couponService.do")
    conn.putheader("Content-Type", FORM)
    conn.putheader("REAL_UNAME", REAL_UNAME)
    conn.putheader("Cookie", f"$Version=0; SESSION_ID={cookies['SESSION_ID']}")
    conn.putheader("Cookie", f"$Version=0; SESSION_INFO={cookies['SESSION_INFO']}")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    response = conn.getresponse()
    answer = response.read().decode()
    conn.close()
    assert response.status == 200, answer
    assert answer == CREATED_XML.format(id=Coupon.objects.get().pk)
