"""Nobody learns whether an email has an account unless they may act for learners.

- Registration answers the same for a registered address and a new one
  (`tests/accounts/test_web_pages.py`, `accounts.registration`).
- An on-behalf call (redeem, check, apply or quote a coupon, read access, EduBrite's
  `subscribeByAuthCode`) naming another learner answers the same whether the email has an
  account or not, for a learner's token (403 `not_yourself`, decided before any look-up) and
  for staff or an API key without the operation's permission (403).
- A credential holding the permission (`redemptions.redeem_on_behalf`,
  `coupons.add_couponusage`, `catalog.view_entitlement`) is the back office acting for learners
  it manages: an unknown learner is a 404 there, since silently acting for nobody would hide
  the caller's own mistake.
"""

import datetime as dt

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from tests.coupons.factories import CouponFactory, SessionFactory
from tests.factories import ApiKeyFactory, UserFactory

pytestmark = pytest.mark.django_db
REGISTERED, UNKNOWN = "someone@example.com", "nobody@example.com"


@pytest.fixture
def on_behalf_calls():
    """(method, path, data naming the learner as {who}) for every on-behalf operation."""
    coupon, item = CouponFactory(code="SAVE10NOW"), SessionFactory()
    return [
        ("post", "/api/v1/redeem", {"code": "NOSUCHCODE", "user": "{who}"}),
        ("post", "/api/v1/redeem/check", {"code": "NOSUCHCODE", "user": "{who}"}),
        ("post", f"/api/v1/coupons/{coupon.pk}/apply", {"item": str(item.pk), "user": "{who}"}),
        ("post", f"/api/v1/coupons/{coupon.pk}/quote", {"item": str(item.pk), "user": "{who}"}),
        ("get", "/api/v1/access", {"user": "{who}"}),
        ("post", "/eventService.do", {"dispatch": "subscribeByAuthCode", "code": "SAVE10NOW",
                                      "eventId": str(item.pk), "userName": "{who}"}),
    ]


def call(client, method, path, data, who, extra=None):
    filled = {k: (v.format(who=who) if isinstance(v, str) else v) for k, v in data.items()}
    filled.update(extra or {})
    if method == "get":
        return client.get(path, filled)
    return client.post(path, filled, format="json" if not path.endswith(".do") else None)


def assert_same_for_both(client, calls, extra=None):
    UserFactory(email=REGISTERED)
    for method, path, data in calls:
        known = call(client, method, path, data, REGISTERED, extra)
        unknown = call(client, method, path, data, UNKNOWN, extra)
        assert known.status_code == unknown.status_code == 403, (path, known.content)
        assert known.content == unknown.content, path


def test_a_learners_token_cannot_tell_a_registered_email_from_an_unknown_one(on_behalf_calls):
    learner = UserFactory()
    token = AccessToken.objects.create(user=learner, token="enum-learner", scope="read:own redeem",
                                       expires=timezone.now() + dt.timedelta(hours=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    calls = [c for c in on_behalf_calls if not c[1].endswith(".do")]  # EduBrite takes no tokens
    assert_same_for_both(client, calls)


def test_a_learners_session_cannot_tell_them_apart_on_edubrite(on_behalf_calls):
    client = APIClient()
    client.force_login(UserFactory())
    assert_same_for_both(client, [c for c in on_behalf_calls if c[1].endswith(".do")])


def test_staff_without_the_permission_cannot_tell_them_apart(on_behalf_calls):
    client = APIClient()
    client.force_login(UserFactory(is_staff=True))
    assert_same_for_both(client, on_behalf_calls)


def test_an_api_key_without_the_permission_cannot_tell_them_apart(on_behalf_calls):
    _, key = ApiKeyFactory.create_with_key(role="read-only")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    calls = [c for c in on_behalf_calls if c[0] == "post"]  # read-only may read access
    assert_same_for_both(client, calls, extra={"authCode": key})


def test_an_api_key_acting_for_learners_learns_that_one_is_unknown():
    _, key = ApiKeyFactory.create_with_key(role="codes")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.post("/api/v1/redeem/check", {"code": "NOSUCHCODE", "user": UNKNOWN},
                           format="json")
    assert response.status_code == 404
    assert [e["code"] for e in response.json()["errors"]] == ["user_not_found"]
