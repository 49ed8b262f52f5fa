"""The one password check: Django's `ModelBackend` behind the login throttle.

Every entry point that takes a password calls `django.contrib.auth.authenticate()` — the
learner login page, `/admin/login/`, the OAuth password grant (`POST /oauth/token/`), Tizra's
HTTP Basic and EduBrite's `connect.do` — so the limit sits here, once: failures per account
tried and source address, and per address (`accounts.throttles.login_throttle`). A stranger
guessing from elsewhere cannot lock a victim out: their failures count against the pair
(victim, stranger's address) and the stranger's address, never against the victim's own.
Once used up, `TooManyAttempts` (429, `Retry-After`) is raised before any password is
checked; the dialects' tables render it, `accounts.middleware` answers it elsewhere.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.throttles import client_ip, login_throttle


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not username or password is None:
            return None
        ip = client_ip(request) if request is not None else None
        with login_throttle().attempt(user=username, ip=ip) as fail:
            user = super().authenticate(request, username=username, password=password,
                                        **kwargs)
            if user is None:
                fail()
        return user
