"""The redeem page around any redeem service: pending through login, throttling, refusals,
success lists what was unlocked, `successUrl` only on an allowed host."""

import pytest
from django.test import Client

from catalog.models import Entitlement, ItemKind
from catalog.redeem_page import RedeemPageView
from tests.catalog import redeem_urls
from tests.factories import CatalogItemFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.catalog.redeem_urls")]

PASSWORD = "secret-pass-123"


@pytest.fixture(autouse=True)
def no_calls():
    redeem_urls.redeem_calls.clear()


@pytest.fixture
def course():
    return CatalogItemFactory(title="Data Privacy Basics", external_id="ABCD2345")


def test_the_page_needs_a_redeem_service():
    with pytest.raises(TypeError):
        RedeemPageView.as_view()(Client().get("/").wsgi_request)


def test_the_form_has_a_code_field_and_a_csrf_token(client):
    body = client.get("/redeem/").content.decode()
    assert 'name="code"' in body and 'name="csrfmiddlewaretoken"' in body
    assert "log in or create an account first" in body


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


def test_a_learner_redeems_and_sees_what_was_unlocked_until_when(client, learner, course):
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "abcd 2345"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Code redeemed" in body and "Data Privacy Basics" in body
    entitlement = Entitlement.objects.get(user=learner, item=course)
    assert entitlement.expires_at.strftime("%-d %B %Y") in body
    assert redeem_urls.redeem_calls == [("abcd 2345", learner, "127.0.0.1")]


def test_success_lists_the_contents_of_a_bundle_too(client, learner):
    course = CatalogItemFactory(title="Inside")
    CatalogItemFactory(kind=ItemKind.BUNDLE, title="The Bundle", external_id="BUNDLE1",
                       includes=[course])
    client.force_login(learner)
    body = client.post("/redeem/", {"code": "bundle1"}).content.decode()
    assert "The Bundle" in body and "Inside" in body


def test_success_redirects_to_a_success_url_on_an_allowed_host(client, learner, course,
                                                               settings):
    settings.REDIRECT_HOSTS = ["books.example.org"]
    client.force_login(learner)
    response = client.post("/redeem/entitle?redemptionCode=ABCD2345", {
        "code": "ABCD2345", "success_url": "https://books.example.org/read/1"})
    assert response.status_code == 302
    assert response["Location"] == "https://books.example.org/read/1"


def test_a_success_url_on_another_host_is_ignored(client, learner, course):
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


def test_an_empty_code_is_a_400_that_calls_nothing(client, learner):
    client.force_login(learner)
    response = client.post("/redeem/", {"code": "  "})
    assert response.status_code == 400
    assert redeem_urls.redeem_calls == []


def test_repeated_failures_are_throttled_with_retry_after(client, learner, settings, course):
    settings.REDEEM_FAILURES_PER_LEARNER = 3
    client.force_login(learner)
    for _ in range(3):
        assert client.post("/redeem/", {"code": "WRONG"}).status_code == 404
    response = client.post("/redeem/", {"code": "ABCD2345"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed redemption attempts" in response.content.decode()
    assert len(redeem_urls.redeem_calls) == 3 and not Entitlement.objects.exists()


def test_an_anonymous_learner_is_sent_to_log_in_with_the_code_kept(client, course):
    response = client.post("/redeem/entitle?redemptionCode=ABCD2345", {"code": "ABCD2345"})
    assert response.status_code == 302
    assert response["Location"] == (
        "/accounts/login/?next=%2Fredeem%2Fentitle%3FredemptionCode%3DABCD2345")
    assert redeem_urls.redeem_calls == []
    assert "ABCD2345" in client.get(response["Location"]).content.decode()


def test_after_login_the_redemption_completes_without_retyping(client, course):
    user = UserFactory()
    client.post("/redeem/", {"code": "ABCD2345"})
    response = client.post("/accounts/login/?next=/redeem/",
                           {"username": user.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain == [("/redeem/", 302)]
    assert "Code redeemed" in response.content.decode()
    assert Entitlement.objects.filter(user=user, item=course).exists()


def test_after_registration_the_redemption_completes_without_retyping(client, course):
    client.post("/redeem/entitle?redemptionCode=abcd2345", {"code": "abcd2345"})
    response = client.post("/accounts/register/", {
        "email": "new@example.com", "password1": "violet-harbour-42",
        "password2": "violet-harbour-42", "next": "/redeem/entitle?redemptionCode=abcd2345"},
        follow=True)
    assert "Code redeemed" in response.content.decode()
    assert Entitlement.objects.filter(user__email="new@example.com", item=course).exists()


def test_the_pending_redemption_completes_once(client, course):
    user = UserFactory()
    client.post("/redeem/", {"code": "ABCD2345"})
    client.post("/accounts/login/", {"username": user.email, "password": PASSWORD,
                                     "next": "/redeem/"}, follow=True)
    again = client.get("/redeem/")
    assert "Redeem a code" in again.content.decode()
    assert len(redeem_urls.redeem_calls) == 1


def test_a_get_without_a_pending_redemption_redeems_nothing(client, learner, course):
    client.force_login(learner)
    client.get("/redeem/entitle?redemptionCode=ABCD2345")
    assert redeem_urls.redeem_calls == [] and not Entitlement.objects.exists()


def test_a_refused_pending_redemption_is_shown_after_login(client):
    user = UserFactory()
    client.post("/redeem/", {"code": "NOPE"})
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD,
                                                "next": "/redeem/"}, follow=True)
    assert response.status_code == 404
    assert "There is no such code" in response.content.decode()
