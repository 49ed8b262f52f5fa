"""Password reset by email and change on the account page: Django's flows with our forms,
throttled per address and per IP, never telling whether an address has an account; a new
password ends the learner's other sessions and revokes their OAuth tokens."""

import re

import pytest
from django.core import mail
from django.test import Client
from oauth2_provider.models import AccessToken, Application, RefreshToken

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"
NEW = "lantern-orchard-58"


def ask_for_reset(client, email, **extra):
    return client.post("/accounts/password/reset/", {"email": email}, **extra)


def reset_link(message) -> str:
    return re.search(r"https?://\S+/accounts/password/reset/\S+/\S+/", message.body).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def oauth_tokens(user):
    app = Application.objects.create(name="Host", client_type=Application.CLIENT_PUBLIC,
                                     authorization_grant_type=Application.GRANT_PASSWORD)
    response = Client().post("/oauth/token/", {"grant_type": "password", "username": user.email,
                                               "password": PASSWORD, "client_id": app.client_id})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_login_page_links_to_the_reset(client):
    assert '<a href="/accounts/password/reset/">Forgot password?</a>' in (
        client.get("/accounts/login/").content.decode())


def test_a_reset_request_emails_a_link_on_the_site_url(client, settings):
    settings.SITE_URL = "https://learn.example.org"
    user = UserFactory(email="reader@example.com")
    response = ask_for_reset(client, "Reader@Example.com")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    [message] = mail.outbox
    assert message.to == [user.email] and message.subject == "Set a new password for Entitle"
    assert reset_link(message).startswith("https://learn.example.org/accounts/password/reset/")


def test_an_unknown_address_gets_the_same_answer_and_no_email(client):
    response = ask_for_reset(client, "nobody@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []
    body = client.get(response["Location"]).content.decode()
    assert "If an account uses that address" in body


def test_reset_requests_are_throttled_per_address_known_or_not(client, settings):
    settings.PASSWORD_RESETS_PER_ACCOUNT = 2
    UserFactory(email="reader@example.com")
    for email in ("reader@example.com", "nobody@example.com"):
        for _ in range(2):
            assert ask_for_reset(client, email).status_code == 302
        refused = ask_for_reset(client, email)
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
        assert "Too many password reset requests. Please wait" in refused.content.decode()
    assert len(mail.outbox) == 2  # the refused request sent nothing


def test_reset_requests_are_throttled_per_ip(client, settings):
    settings.PASSWORD_RESETS_PER_IP = 2
    ask_for_reset(client, "a@example.com")
    ask_for_reset(client, "b@example.com")
    assert ask_for_reset(client, "c@example.com").status_code == 429


def test_the_emailed_link_sets_a_new_password_once(client):
    user = UserFactory()
    ask_for_reset(client, user.email)
    link = path_of(reset_link(mail.outbox[0]))
    form = client.get(link, follow=True)
    assert "Set a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW)
    again = client.get(link, follow=True).content.decode()
    assert "already been used or has expired" in again


def test_password_rules_errors_appear_under_the_new_password(client):
    user = UserFactory()
    ask_for_reset(client, user.email)
    form = client.get(path_of(reset_link(mail.outbox[0])), follow=True)
    body = client.post(form.redirect_chain[-1][0], {"new_password1": "short1",
                                                    "new_password2": "short1"}
                       ).content.decode()
    assert 'id="id_new_password1_error"' in body and "too short" in body
    assert 'id="id_new_password2_error"' not in body


def test_registration_shows_password_rules_errors_under_the_password(client):
    body = client.post("/accounts/register/", {"email": "new@example.com",
                                               "password1": "short1", "password2": "short1"}
                       ).content.decode()
    assert 'id="id_password1_error"' in body and 'id="id_password2_error"' not in body


def test_a_reset_ends_other_sessions_and_revokes_tokens(client):
    user = UserFactory()
    elsewhere = Client()
    elsewhere.force_login(user)
    tokens = oauth_tokens(user)
    ask_for_reset(client, user.email)
    form = client.get(path_of(reset_link(mail.outbox[0])), follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert elsewhere.get("/account/access/").status_code == 302  # to the login page
    assert not AccessToken.objects.filter(token=tokens["access_token"]).exists()
    assert RefreshToken.objects.get(token=tokens["refresh_token"]).revoked is not None


def test_the_account_page_links_to_the_password_change(client, learner):
    client.force_login(learner)
    assert 'href="/account/password/"' in client.get("/account/access/").content.decode()


def test_changing_the_password_needs_a_login(client):
    response = client.get("/account/password/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_wrong_current_password_changes_nothing(client, learner):
    client.force_login(learner)
    body = client.post("/account/password/", {"old_password": "wrong-one-12",
                                               "new_password1": NEW, "new_password2": NEW}
                       ).content.decode()
    assert 'id="id_old_password_error"' in body
    learner.refresh_from_db()
    assert learner.check_password(PASSWORD)


def test_changing_the_password_keeps_this_session_and_ends_the_others(client, learner):
    elsewhere = Client()
    elsewhere.force_login(learner)
    tokens = oauth_tokens(learner)
    client.force_login(learner)
    response = client.post("/account/password/", {"old_password": PASSWORD,
                                                   "new_password1": NEW, "new_password2": NEW},
                           follow=True)
    assert response.redirect_chain == [("/account/access/", 302)]
    assert "Your password is changed" in response.content.decode()
    assert client.get("/account/access/").status_code == 200
    assert elsewhere.get("/account/access/").status_code == 302
    assert not AccessToken.objects.filter(user=learner).exists()
    assert not RefreshToken.objects.filter(user=learner, revoked__isnull=True).exists()
    assert tokens["access_token"]
