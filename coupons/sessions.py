"""EduBrite's session handshake (`/oltpublish/site/connect.do`), as its client libraries use it.

1. A call without a valid `SESSION_ID` cookie opens a session: a row in `EduBriteSession`
   that lives `HANDSHAKE_SECONDS`, and a `SESSION_ID` cookie carrying its id, signed.
2. A call with that cookie and a user's `username` (email) + `password` signs the session in:
   it now lives `SESSION_SECONDS`, and a `SESSION_INFO` cookie carries the session id, the
   user's id and a fingerprint of their password hash, signed and timestamped.
3. Later calls carrying both cookies are that user (`session_user`). A changed password, a
   deactivated user, an ended or expired session, or a cookie that was tampered with or
   belongs to another session: not authenticated.

Signatures use Django's `TimestampSigner` with this module's salt; the row is the state (it is
shared by every app server through the database, and staff can end it in the admin).
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


@transaction.atomic
def open_session(*, now: dt.datetime | None = None) -> tuple[EduBriteSession, str]:
    """A new session and its signed `SESSION_ID` cookie value (expired rows are swept)."""
    now = now or timezone.now()
    EduBriteSession.objects.filter(expires_at__lte=now).delete()
    session = EduBriteSession.objects.create(
        expires_at=now + dt.timedelta(seconds=HANDSHAKE_SECONDS))
    return session, _signer.sign(str(session.pk))


def session_from_cookie(value: str | None) -> EduBriteSession | None:
    """The live session a `SESSION_ID` cookie names, or None."""
    if not value:
        return None
    try:
        session_id = uuid.UUID(_signer.unsign(value, max_age=SESSION_SECONDS))
    except (signing.BadSignature, ValueError):
        return None
    return (EduBriteSession.objects.select_related("user")
            .filter(pk=session_id, expires_at__gt=timezone.now()).first())


@transaction.atomic
def sign_in(*, session: EduBriteSession, user: User,
            now: dt.datetime | None = None) -> tuple[EduBriteSession, str]:
    """Bind `user` (already authenticated) to the session; the signed `SESSION_INFO` value."""
    now = now or timezone.now()
    locked = EduBriteSession.objects.select_for_update().get(pk=session.pk)
    locked.user = user
    locked.signed_in_at = now
    locked.expires_at = now + dt.timedelta(seconds=SESSION_SECONDS)
    locked.save(update_fields=["user", "signed_in_at", "expires_at"])
    info = _signer.sign_object({"s": str(locked.pk), "u": str(user.pk), "h": _fingerprint(user)})
    return locked, info


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
