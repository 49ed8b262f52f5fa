"""A redemption an anonymous learner started, kept in their session while they log in or register.

The redeem page (redemptions) calls `remember_pending_redemption` when an anonymous learner
submits a code, then sends them to `/accounts/login/?next=<resume_url>`. The login and
register pages show which code is waiting and, once the learner is in, go to `next` (or, when
it was lost on the way, to the pending `resume_url`). There the redeem page calls
`pop_pending_redemption` and completes the redemption without the code being typed again.

Only a POST that passed the CSRF check should store a pending redemption: completing it on
the GET after login is then safe, because nobody else can plant one in this session. Django's
`login()` keeps session data when an anonymous session becomes a learner's, so it survives.
A pending redemption is forgotten after `PENDING_REDEMPTION_SECONDS` (default an hour).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from django.conf import settings

from accounts.redirects import safe_redirect_url

SESSION_KEY = "entitle.pending_redemption"


@dataclass(frozen=True)
class PendingRedemption:
    code: str
    success_url: str = ""
    resume_url: str = ""
    stored_at: float = 0.0

    def is_stale(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return now - self.stored_at > settings.PENDING_REDEMPTION_SECONDS


def remember_pending_redemption(request, code: str, success_url: str = "", *,
                                resume_url: str = "") -> PendingRedemption:
    """Keep `code` for after login. URLs not on an allowed host are dropped, never stored."""
    pending = PendingRedemption(
        code=code.strip(),
        success_url=safe_redirect_url(request, success_url) or "",
        resume_url=safe_redirect_url(request, resume_url) or "",
        stored_at=time.time(),
    )
    request.session[SESSION_KEY] = asdict(pending)
    return pending


def peek_pending_redemption(request) -> PendingRedemption | None:
    """The pending redemption, left in place (for the login page to show it)."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        pending = PendingRedemption(**data)
    except TypeError:  # written by another version: drop it
        request.session.pop(SESSION_KEY, None)
        return None
    if not pending.code or pending.is_stale():
        request.session.pop(SESSION_KEY, None)
        return None
    return pending


def pop_pending_redemption(request) -> PendingRedemption | None:
    """The pending redemption, removed from the session so it completes at most once."""
    pending = peek_pending_redemption(request)
    request.session.pop(SESSION_KEY, None)
    return pending
