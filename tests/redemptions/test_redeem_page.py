"""The learner's redeem page against real codes: pending through login and registration,
throttling, refusals in plain words, success lists what was unlocked, `successUrl` only on an
allowed host."""

import datetime as dt

import pytest
from django.utils import timezone

from catalog.models import Entitlement, ItemKind
from licensing.models import Seat
from redemptions import services
from redemptions.models import Redemption
from tests.accounts.support import emailed_link
from tests.factories import CatalogItemFactory, UserFactory
from tests.licensing.factories import LicenseFactory
from tests.redemptions.factories import CodeFactory, OfferFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"


@pytest.fixture
def course():
    return CatalogItemFactory(title="Data Privacy Basics")


@pytest.fixture
def code(course):
    return CodeFactory(code="ABCD2345", offer=OfferFactory(items=[course], access_days=30))


def redeemed_by(user):
    return list(Redemption.objects.filter(user=user).values_list("code__code", flat=True))


def test_the_form_has_a_code_field_and_a_csrf_token(client):
    body = client.get("/redeem/").content.decode()
    assert 'name="code"' in body and 'name="csrfmiddlewaretoken"' in body
    assert "log in or create an account first" in body


def test_the_header_links_to_the_redeem_page(client):
    assert 'href="/redeem/">Redeem a code</a>' in client.get("/").content.decode()


def test_the_tizra_style_link_prefills_the_code(client):
    body = client.get("/redeem/entitle?redemptionCode=abcd-2345&successUrl=/account/access/"
                      ).content.decode()
    assert 'value="abcd-2345"' in body
    assert 'value="/account/access/"' in body


def test_a_success_url_on_another_host_is_not_even_prefilled(client):
    body = client.get("/redeem/entitle?redemptionCode=X&successUrl=https://evil.example.net/"
                      ).content.decode()
    assert "evil.example.net" not in body


def test_another_site_is_a_404(client):
    assert client.get("/redeem/other-site?redemptionCode=X").status_code == 404


def test_a_learner_redeems_and_sees_what_was_unlocked_until_when(client, learner, code,
                                                                 course):
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "abcd 2345"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Code redeemed" in body and "Data Privacy Basics" in body
    entitlement = Entitlement.objects.get(user=learner, item=course)
    assert entitlement.expires_at.date() == (timezone.now() + dt.timedelta(days=30)).date()
    assert entitlement.expires_at.strftime("%-d %B %Y") in body
    redemption = Redemption.objects.get(user=learner)
    assert (redemption.code, redemption.ip) == (code, "127.0.0.1")


def test_success_lists_the_contents_of_a_bundle_too(client, learner):
    inside = CatalogItemFactory(title="Inside")
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, title="The Bundle", includes=[inside])
    CodeFactory(code="BUNDLE12", offer=OfferFactory(items=[bundle]))
    client.force_login(learner)
    body = client.post("/redeem/", {"code": "bundle12"}).content.decode()
    assert "The Bundle" in body and "Inside" in body


def test_success_lists_the_license_seat_and_what_it_opens(client, learner):
    until = timezone.now() + dt.timedelta(days=90)
    license = LicenseFactory(name="Acme Academy 2025", courses=[CatalogItemFactory(
        title="Seat Course")], expiration_date=until)
    CodeFactory(code="SEAT2345", offer=OfferFactory(items=[], licenses=[license]))
    client.force_login(learner)
    body = client.post("/redeem/", {"code": "SEAT2345"}).content.decode()
    assert Seat.objects.active().filter(user=learner, license=license).exists()
    assert "Acme Academy 2025" in body and "Seat Course" in body and "License seat" in body
    assert until.strftime("%-d %B %Y") in body


def test_a_full_license_is_refused_naming_the_code(client, learner):
    license = LicenseFactory(seats_limit=0)
    CodeFactory(code="FULL2345", offer=OfferFactory(items=[], licenses=[license]))
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "FULL2345"})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'role="alert"' in body and "FULL2345" in body and "seat" in body
    assert not Seat.objects.exists()


def test_success_redirects_to_a_success_url_on_an_allowed_host(client, learner, code,
                                                               settings):
    settings.REDIRECT_HOSTS = ["books.example.org"]
    client.force_login(learner)
    response = client.post("/redeem/entitle?redemptionCode=ABCD2345", {
        "code": "ABCD2345", "success_url": "https://books.example.org/read/1"})
    assert response.status_code == 302
    assert response["Location"] == "https://books.example.org/read/1"
    assert redeemed_by(learner) == ["ABCD2345"]


def test_a_success_url_on_another_host_is_ignored(client, learner, code):
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "ABCD2345",
                                        "success_url": "https://evil.example.net/"})
    assert response.status_code == 200 and "Code redeemed" in response.content.decode()


def test_an_unknown_code_is_refused_inline_naming_the_code(client, learner):
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "NOPE-0000"})
    assert response.status_code == 404
    body = response.content.decode()
    assert 'role="alert"' in body and "NOPE-0000" in body
    assert "There is no such code" in body
    assert not Entitlement.objects.exists()


def test_an_expired_code_says_since_when(client, learner):
    CodeFactory(code="OLD23456", expiration_date=dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC))
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "old2-3456"})
    assert response.status_code == 422
    assert "This code expired on 2024-03-01 12:00 UTC." in response.content.decode()


def test_a_code_not_yet_valid_says_from_when(client, learner):
    CodeFactory(code="SOON2345", starts_at=dt.datetime(2099, 1, 2, 9, tzinfo=dt.UTC))
    client.force_login(learner)
    body = client.post("/redeem/", {"code": "SOON2345"}).content.decode()
    assert "This code can be used from 2099-01-02 09:00 UTC." in body


def test_a_code_redeemed_again_says_when_the_learner_redeemed_it(client, learner, code):
    redemption = services.redeem(code.code, learner)
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "ABCD2345"})
    assert response.status_code == 422
    assert (f"You already redeemed this code on {redemption.redeemed_at:%-d %B %Y}"
            in response.content.decode())


def test_an_empty_code_is_a_400_that_redeems_nothing(client, learner):
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "  "})
    assert response.status_code == 400
    assert not Redemption.objects.exists()


def test_repeated_failures_are_throttled_with_retry_after(client, learner, settings, code):
    settings.REDEEM_FAILURES_PER_LEARNER = 3
    client.force_login(learner)
    for _ in range(3):
        assert client.post("/redeem/", {"code": "WRONG"}).status_code == 404
    response = client.post("/redeem/", {"code": "ABCD2345"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    body = response.content.decode()
    assert "Too many failed redemption attempts" in body and "minutes" in body
    assert not Redemption.objects.exists()


def test_the_same_ip_is_throttled_for_another_learner(client, settings, code):
    settings.REDEEM_FAILURES_PER_IP = 2
    client.force_login(UserFactory())
    for _ in range(2):
        client.post("/redeem/", {"code": "WRONG"})
    client.force_login(UserFactory())
    assert client.post("/redeem/", {"code": "ABCD2345"}).status_code == 429


def test_redeeming_your_own_code_again_is_not_counted_as_a_failure(client, learner, settings,
                                                                   code):
    settings.REDEEM_FAILURES_PER_LEARNER = 2
    services.redeem(code.code, learner)
    client.force_login(learner)
    for _ in range(3):
        assert client.post("/redeem/", {"code": "ABCD2345"}).status_code == 422
    assert client.post("/redeem/", {"code": "WRONG"}).status_code == 404


def test_failures_on_the_page_and_the_api_add_up(client, learner, settings, code):
    settings.REDEEM_FAILURES_PER_LEARNER = 2
    client.force_login(learner)
    client.post("/redeem/", {"code": "WRONG"})
    assert client.post("/api/v1/redeem", {"code": "WRONG"},
                       content_type="application/json").status_code == 404
    assert client.post("/redeem/", {"code": "ABCD2345"}).status_code == 429


def test_an_anonymous_learner_is_sent_to_log_in_with_the_code_kept(client, code):
    response = client.post("/redeem/entitle?redemptionCode=ABCD2345", {"code": "ABCD2345"})
    assert response.status_code == 302
    assert response["Location"] == (
        "/accounts/login/?next=%2Fredeem%2Fentitle%3FredemptionCode%3DABCD2345")
    assert not Redemption.objects.exists()
    assert "ABCD2345" in client.get(response["Location"]).content.decode()


def test_after_login_the_redemption_completes_without_retyping(client, code, course):
    user = UserFactory()
    client.post("/redeem/", {"code": "ABCD2345"})
    response = client.post("/accounts/login/?next=/redeem/",
                           {"username": user.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain == [("/redeem/", 302)]
    assert "Code redeemed" in response.content.decode()
    assert Entitlement.objects.filter(user=user, item=course).exists()


def test_after_registration_the_redemption_completes_without_retyping(client, code, course):
    client.post("/redeem/entitle?redemptionCode=abcd2345", {"code": "abcd2345"})
    client.post("/accounts/register/", {
        "email": "new@example.com", "password1": "violet-harbour-42",
        "password2": "violet-harbour-42", "next": "/redeem/entitle?redemptionCode=abcd2345"})
    response = client.post(emailed_link("new@example.com"), follow=True)
    assert "Code redeemed" in response.content.decode()
    assert Entitlement.objects.filter(user__email="new@example.com", item=course).exists()


def test_the_pending_redemption_completes_once(client, code):
    user = UserFactory()
    client.post("/redeem/", {"code": "ABCD2345"})
    client.post("/accounts/login/", {"username": user.email, "password": PASSWORD,
                                     "next": "/redeem/"}, follow=True)
    again = client.get("/redeem/")
    assert again.status_code == 200 and "Redeem a code" in again.content.decode()
    assert Redemption.objects.filter(user=user).count() == 1


def test_a_get_without_a_pending_redemption_redeems_nothing(client, learner, code):
    client.force_login(learner)
    client.get("/redeem/entitle?redemptionCode=ABCD2345")
    assert not Redemption.objects.exists() and not Entitlement.objects.exists()


def test_a_refused_pending_redemption_is_shown_after_login(client):
    user = UserFactory()
    client.post("/redeem/", {"code": "NOPE"})
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD,
                                                "next": "/redeem/"}, follow=True)
    assert response.status_code == 404
    assert "There is no such code" in response.content.decode()
