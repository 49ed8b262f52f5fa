"""Registration in tests: the register page, then the link it emails (`accounts.registration`)."""

from __future__ import annotations

import re

from django.core import mail

PASSWORD = "violet-harbour-42"


def emailed_link(email: str) -> str:
    """The path of the last registration link sent to `email`."""
    sent = [m for m in mail.outbox if email.lower() in [to.lower() for to in m.to]]
    return re.search(r"https?://[^/\s]+(/accounts/register/confirm/[^\s]+)", sent[-1].body)[1]


def register(client, email: str = "new@example.com", password: str = PASSWORD, **extra):
    """Ask to register, follow the emailed link and create the account: the last answer."""
    asked = client.post("/accounts/register/", {"email": email, "password1": password,
                                                "password2": password, **extra})
    assert asked.status_code == 302 and asked["Location"] == "/accounts/register/sent/", asked
    return client.post(emailed_link(email))
