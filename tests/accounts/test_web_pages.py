"""Login, registration and logout pages: CSRF, validators, `next` only on allowed hosts."""

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.pending import remember_pending_redemption
from tests.accounts.support import emailed_link
from tests.accounts.support import register as register_by_link
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"
STRONG = "violet-harbour-42"


def register(client, email="new@example.com", password=STRONG, confirm=None, **extra):
    return client.post("/accounts/register/", {
        "email": email, "password1": password, "password2": confirm or password, **extra})


def test_login_page_renders_an_email_form_with_a_csrf_token(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in body
    assert 'type="email"' in body and 'autocomplete="email"' in body


def test_login_without_a_csrf_token_is_refused():
    strict = Client(enforce_csrf_checks=True)
    user = UserFactory()
    response = strict.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session


def test_login_goes_to_the_access_page_by_default(client):
    user = UserFactory()
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/account/access/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_accepts_the_email_in_any_case(client):
    user = UserFactory(email="mixed@example.com")
    client.post("/accounts/login/", {"username": "Mixed@Example.COM", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_honours_a_next_on_this_site(client):
    user = UserFactory()
    response = client.post("/accounts/login/?next=/redeem/entitle%3FredemptionCode%3DABC",
                           {"username": user.email, "password": PASSWORD})
    assert response["Location"] == "/redeem/entitle?redemptionCode=ABC"


def test_login_ignores_a_next_on_another_host(client):
    user = UserFactory()
    response = client.post("/accounts/login/", {
        "username": user.email, "password": PASSWORD, "next": "https://evil.example.net/x"})
    assert response["Location"] == "/account/access/"


def test_login_honours_a_next_on_a_configured_redirect_host(client, settings):
    settings.REDIRECT_HOSTS = ["books.example.org"]
    user = UserFactory()
    response = client.post("/accounts/login/", {
        "username": user.email, "password": PASSWORD,
        "next": "http://books.example.org/read/1"})
    assert response["Location"] == "http://books.example.org/read/1"


def test_a_bad_password_is_shown_inline_and_logs_nobody_in(client):
    user = UserFactory()
    response = client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_page_offers_registration_with_the_same_next(client):
    response = client.get("/accounts/login/?next=/account/access/")
    assert 'href="/accounts/register/?next=%2Faccount%2Faccess%2F"' in response.content.decode()


def test_an_authenticated_learner_visiting_login_goes_on_to_next(client, learner):
    client.force_login(learner)
    response = client.get("/accounts/login/?next=/account/access/")
    assert response.status_code == 302 and response["Location"] == "/account/access/"


def test_registration_creates_the_learner_by_the_emailed_link_and_logs_them_in(client):
    response = register_by_link(client, email="Fresh@Example.com")
    assert response.status_code == 302
    assert response["Location"] == "/account/access/"
    user = User.objects.get(email="fresh@example.com")
    assert user.check_password(STRONG) and not user.is_staff
    assert client.session["_auth_user_id"] == str(user.pk)


def test_registration_honours_a_safe_next_and_ignores_another_host(client):
    assert register_by_link(client, email="a@example.com",
                            next="/account/access/?x=1")["Location"] == "/account/access/?x=1"
    other = Client()
    assert register_by_link(other, email="b@example.com",
                            next="//evil.example.net/")["Location"] == "/account/access/"


def test_registration_refuses_mismatched_passwords(client):
    response = register(client, confirm="something-else-77")
    assert response.status_code == 200
    assert "didn’t match" in response.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize("password, words", [
    ("short1", "too short"),
    ("password123", "too common"),
    ("83749182734", "entirely numeric"),
])
def test_registration_runs_djangos_password_validators(client, password, words):
    response = register(client, password=password)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not User.objects.exists()


def test_registration_refuses_a_password_like_the_email(client):
    response = register(client, email="harbourmaster@example.com", password="harbourmaster")
    assert "too similar" in response.content.decode()
    assert not User.objects.exists()


def test_registration_answers_a_registered_email_as_a_new_one_and_tells_only_its_owner(
        client):
    UserFactory(email="taken@example.com")
    taken = register(client, email="TAKEN@example.com")
    fresh = register(Client(), email="fresh@example.com")
    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    assert "has an account already" in mail.outbox[0].body
    assert "/accounts/register/confirm/" not in mail.outbox[0].body
    assert "/accounts/register/confirm/" in mail.outbox[1].body
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_a_registration_link_used_twice_creates_one_account(client):
    register(client, email="once@example.com")
    link = emailed_link("once@example.com")
    assert client.post(link).status_code == 302
    assert Client().post(link).status_code == 409
    assert User.objects.filter(email="once@example.com").count() == 1


def test_a_forged_registration_link_creates_nothing(client):
    register(client, email="forged@example.com")
    link = emailed_link("forged@example.com")
    assert client.post(link[:-3] + "xx/").status_code == 400
    assert not User.objects.exists()


def test_opening_the_registration_link_creates_nothing_until_the_button(client):
    register(client, email="scanned@example.com")
    page = client.get(emailed_link("scanned@example.com"))
    assert page.status_code == 200 and "Create my account" in page.content.decode()
    assert not User.objects.exists()


def test_registration_is_throttled_per_address(client, settings):
    settings.REGISTRATIONS_PER_ADDRESS = 2
    answers = [register(Client(), email="Victim@example.com").status_code for _ in range(2)]
    third = register(Client(), email="victim@example.com")
    assert answers == [302, 302] and third.status_code == 429
    assert int(third["Retry-After"]) > 0 and len(mail.outbox) == 2


def test_logout_is_a_post_and_ends_the_session(client, learner):
    client.force_login(learner)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_landing_page_offers_login_and_registration_to_visitors(client):
    body = client.get("/").content.decode()
    assert 'href="/accounts/login/"' in body and 'href="/accounts/register/"' in body
    assert '<meta name="viewport"' in body and '<html lang="en">' in body


def test_landing_page_links_a_learner_to_their_access_and_offers_logout(client, learner):
    client.force_login(learner)
    body = client.get("/").content.decode()
    assert 'href="/account/access/"' in body
    assert 'action="/accounts/logout/"' in body


def test_login_shows_the_pending_code_and_resumes_to_its_page(client):
    user = UserFactory()
    session_request = client.get("/accounts/login/").wsgi_request
    remember_pending_redemption(session_request, "ABCD-2345", "",
                                resume_url="/redeem/entitle?redemptionCode=ABCD-2345")
    session_request.session.save()
    client.cookies["sessionid"] = session_request.session.session_key
    page = client.get("/accounts/login/").content.decode()
    assert "ABCD-2345" in page and "not need to type it again" in page
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response["Location"] == "/redeem/entitle?redemptionCode=ABCD-2345"


def test_repeated_bad_logins_are_throttled_with_a_plain_message(client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    user = UserFactory()
    for _ in range(3):
        client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_bad_logins_for_one_email_do_not_lock_out_another(client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    victim, other = UserFactory(), UserFactory()
    for _ in range(2):
        client.post("/accounts/login/", {"username": victim.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"username": other.email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/register/"])
def test_a_next_pointing_back_at_the_page_itself_does_not_loop(client, learner, url):
    client.force_login(learner)
    response = client.get(f"{url}?next={url}")
    assert response.status_code == 302 and response["Location"] == "/account/access/"
