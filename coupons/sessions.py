"""EduBrite's session handshake (`/oltpublish/site/connect.do`), as its client libraries use it.

1. A call without a usable `SESSION_ID` cookie starts a handshake: a `SESSION_ID` cookie
   carrying a fresh id, signed and timestamped. Nothing is stored: anonymous calls write no
   row, however many there are. The handshake may be signed in on for `HANDSHAKE_SECONDS`.
2. A call with that cookie and a user's `username` (email) + `password` signs in: a row in
   `EduBriteSession` with that id, living `SESSION_SECONDS`, and a `SESSION_INFO` cookie
   carrying the session id, the user's id and a fingerprint of their password hash, signed
   and timestamped. (The caller throttles the password check: `accounts.throttles`.)
3. Later calls carrying both cookies are that user (`session_user`). A changed password, a
   deactivated user, an ended or expired session, or a cookie that was tampered with or
   belongs to another session: not authenticated.

Signatures use Django's `TimestampSigner` with this module's salt; the row is the state once
signed in (it is shared by every app server through the database, and staff can end it in
the admin).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from coupons.models import EduBriteSession

HANDSHAKE_SECONDS = 10 * 60
SESSION_SECONDS = 12 * 60 * 60
SALT = "coupons.edubrite.session"
_signer = signing.TimestampSigner(salt=SALT)


def _fingerprint(user: User) -> str:
    return user.get_session_auth_hash()[:20]


def open_session() -> tuple[uuid.UUID, str]:
    """A new handshake: its id and the signed `SESSION_ID` cookie value. Stores nothing."""
    session_id = uuid.uuid4()
    return session_id, _signer.sign(str(session_id))


def _signed_id(value: str | None, max_age: int) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(_signer.unsign(value, max_age=max_age))
    except (signing.BadSignature, ValueError):
        return None


def session_from_cookie(value: str | None) -> EduBriteSession | None:
    """The live, signed-in session a `SESSION_ID` cookie names, or None."""
    session_id = _signed_id(value, SESSION_SECONDS)
    if session_id is None:
        return None
    return (EduBriteSession.objects.select_related("user")
            .filter(pk=session_id, expires_at__gt=timezone.now()).first())


def handshake_id(value: str | None) -> uuid.UUID | None:
    """The id a `SESSION_ID` cookie lets one sign in on: a live session's (signing in again),
    or a handshake's started less than `HANDSHAKE_SECONDS` ago and not used by a session
    that has ended since. None: start a new handshake."""
    session = session_from_cookie(value)
    if session is not None:
        return session.pk
    session_id = _signed_id(value, HANDSHAKE_SECONDS)
    if session_id is None or EduBriteSession.objects.filter(pk=session_id).exists():
        return None
    return session_id


@transaction.atomic
def sign_in(*, session_id: uuid.UUID, user: User,
            now: dt.datetime | None = None) -> tuple[EduBriteSession, str]:
    """Bind `user` (already authenticated) to the session `session_id`, storing it (expired
    rows are swept); the signed `SESSION_INFO` value."""
    now = now or timezone.now()
    EduBriteSession.objects.filter(expires_at__lte=now).delete()
    session, _ = EduBriteSession.objects.update_or_create(pk=session_id, defaults={
        "user": user, "signed_in_at": now,
        "expires_at": now + dt.timedelta(seconds=SESSION_SECONDS)})
    info = _signer.sign_object({"s": str(session.pk), "u": str(user.pk),
                                "h": _fingerprint(user)})
    return session, info


def session_user(id_cookie: str | None, info_cookie: str | None) -> tuple[User, EduBriteSession]:
    """The user both cookies vouch for; `ValueError` saying why when they do not."""
    session = session_from_cookie(id_cookie)
    if session is None or session.user is None:
        raise ValueError("The EduBrite session has expired or was never signed in; "
                         "call connect.do again.")
    try:
        info = _signer.unsign_object(info_cookie or "", max_age=SESSION_SECONDS)
    except signing.BadSignature:
        raise ValueError("The SESSION_INFO cookie is not valid; call connect.do again.") from None
    user = session.user
    if (not isinstance(info, dict) or info.get("s") != str(session.pk)
            or info.get("u") != str(user.pk) or info.get("h") != _fingerprint(user)):
        raise ValueError("The SESSION_INFO cookie does not belong to this session; "
                         "call connect.do again.")
    if not user.is_active:
        raise ValueError("This account is disabled.")
    return user, session


def end_sessions(queryset) -> int:
    """End sessions now (the admin's action); their cookies stop working."""
    return queryset.update(expires_at=timezone.now())
