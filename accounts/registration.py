"""Registration finished by a link sent to the address, so the page answers the same whether
the address has an account or not (no user enumeration).

The register page takes an email and a password (checked by the validators there), then always
says "check your email". A free address gets a link that creates the account; an address with
an account gets a note saying so, with links to log in or reset the password. The link carries
the address, the password's hash (never the password) and where to go next, signed with
`SECRET_KEY` and working for `REGISTRATION_LINK_SECONDS`; nothing is stored until it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing

SALT = "accounts.registration"


@dataclass(frozen=True)
class PendingRegistration:
    email: str
    password_hash: str
    next_url: str


def registration_token(*, email: str, password: str, next_url: str = "") -> str:
    return signing.dumps({"email": email, "password": make_password(password),
                          "next": next_url}, salt=SALT, compress=True)


def read_registration_token(token: str) -> PendingRegistration | None:
    """The registration a link finishes; None for a forged, damaged or expired one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.REGISTRATION_LINK_SECONDS)
    except signing.BadSignature:  # SignatureExpired included
        return None
    return PendingRegistration(email=data["email"], password_hash=data["password"],
                               next_url=data.get("next") or "")
