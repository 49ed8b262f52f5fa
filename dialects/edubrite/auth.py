"""EduBrite's credentials: `authCode` (an API key), or the `SESSION_ID` + `SESSION_INFO`
cookies of the connect.do / home.do handshake (`coupons.sessions`)."""

from __future__ import annotations

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.authentication import AuthCodeAuthentication
from accounts.permissions import Authorised
from coupons import sessions
from dialects.common.base import DialectMixin

SESSION_COOKIES = ("SESSION_ID", "SESSION_INFO")


def session_cookies(request) -> dict[str, str]:
    """`SESSION_ID` and `SESSION_INFO` from the Cookie header, as EduBrite's clients send them.

    EduBrite's Java client (commons-httpclient) sends each cookie in its own header, led by
    RFC 2109's `$Version` (others add `$Path`/`$Domain` after a value), and a WSGI server
    joins repeated headers with a comma: `$Version=0; SESSION_ID=a, $Version=0; SESSION_INFO=b`.
    Django's cookie parser splits on `;` only (SESSION_ID would be `a, $Version=0`), so these
    two are read here: pairs split on `;` and `,`, `$` attributes skipped, quotes dropped, the
    first of a name kept. Our values are signed tokens without either separator; other cookies
    (and Django's `request.COOKIES`) are left as Django reads them.
    """
    found: dict[str, str] = {}
    for pair in re.split(r"[;,]", request.META.get("HTTP_COOKIE", "")):
        name, _, value = pair.partition("=")
        name = name.strip()
        if name in SESSION_COOKIES and name not in found:
            found[name] = value.strip().strip('"')
    return found


class EduBriteSessionAuthentication(authentication.BaseAuthentication):
    """The `SESSION_ID` + `SESSION_INFO` cookies that `connect.do` sets (`coupons.sessions`)."""

    def authenticate(self, request):
        cookies = session_cookies(request)
        id_cookie, info_cookie = cookies.get("SESSION_ID"), cookies.get("SESSION_INFO")
        if not (id_cookie and info_cookie):
            return None
        try:
            return sessions.session_user(id_cookie, info_cookie)
        except ValueError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None

    def authenticate_header(self, request):
        return 'EduBrite realm="entitle"'


class EduBriteSessionScheme(OpenApiAuthenticationExtension):
    target_class = "dialects.edubrite.auth.EduBriteSessionAuthentication"
    name = "EduBriteSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "SESSION_INFO",
                "description": "EduBrite's handshake: /oltpublish/site/connect.do sets "
                               "SESSION_ID, then (called with username + password) "
                               "SESSION_INFO; send both cookies."}


class EduBriteView(DialectMixin):
    """EduBrite's `authCode`; the views add the connect.do session
    (`EduBriteSessionAuthentication`)."""

    authentication_classes = [AuthCodeAuthentication, authentication.SessionAuthentication]
    permission_classes = [Authorised]
