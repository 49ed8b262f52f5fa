"""Authentication for every credential form API.md accepts.

- API keys: `Authorization: Bearer <key>` (Thought Industries, Tizra, v1), `api_key=` in the
  query or body (Zype), `authCode=` (EduBrite). An API key authenticates an `ApiClient`.
- Learners: OAuth2 access tokens issued by django-oauth-toolkit, as `Authorization: Bearer`
  or Zype's `access_token=` parameter.
- Staff: the session (admin, browsable API) or HTTP Basic (Tizra's admin-api).

Django's session is a browser's cookie, sent with any request the browser makes, from any
site: a state change it signs needs POST and a CSRF token, in every dialect. DRF's
`SessionAuthentication` checks the token on unsafe methods; a dialect that changes state over
GET as well (EduBrite's `dispatch=`) refuses the session there (`refuse_session_change_over_get`).

A credential that is present but wrong is a 401; no credential at all leaves the request
anonymous, and the view's permissions answer 401 for it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from rest_framework import authentication, exceptions

from accounts.models import ApiKey, User
from accounts.roles import role_allows


@dataclass(eq=False)
class ApiClient:
    """The principal behind an API key: a back-office system, not a person."""

    api_key: ApiKey
    is_api_client: bool = True
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_staff: bool = False
    is_active: bool = True
    pk: None = None
    id: None = None
    groups: tuple = field(default_factory=tuple)

    def __str__(self) -> str:
        return f"API key {self.api_key.name}"

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return role_allows(self.api_key.role, perm)


# Verified API keys this process remembers for API_KEY_CACHE_SECONDS: sha256 of the key text
# → (the key as read, when it was read). Verifying costs a query and a hash per request; a key
# revoked, changed or deleted here is forgotten at once (`forget_api_key`), one changed by
# another process within the bound.
_verified_keys: dict[str, tuple[ApiKey, float]] = {}
_KEYS_REMEMBERED = 1024
_clock = time.monotonic


def _verified_key(raw: str) -> ApiKey:
    """The usable (unrevoked) key for `raw`, remembered briefly; ApiKey.DoesNotExist else."""
    seconds = settings.API_KEY_CACHE_SECONDS
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    remembered = _verified_keys.get(digest)
    if remembered is not None and _clock() - remembered[1] < seconds:
        return remembered[0]
    read_at = _clock()
    key = ApiKey.objects.get_from_key(raw)
    if seconds > 0:
        if len(_verified_keys) >= _KEYS_REMEMBERED:
            _verified_keys.clear()
        _verified_keys[digest] = (key, read_at)
    return key


def forget_api_key(key_id: object) -> None:
    """Stop remembering the key `key_id` (it was revoked, changed or deleted)."""
    for digest, (key, _) in list(_verified_keys.items()):
        if key.pk == key_id:
            _verified_keys.pop(digest, None)


@receiver([post_save, post_delete], sender=ApiKey)
def _forget_changed_key(sender, instance, **kwargs) -> None:
    forget_api_key(instance.pk)
    # a request between this save and its commit may read the old row again: forget twice
    transaction.on_commit(lambda: forget_api_key(instance.pk))


def api_key_from_text(raw: str) -> ApiKey:
    """The usable key for `raw`, or AuthenticationFailed; touches `last_used_at` sparingly."""
    if "\x00" in raw:  # PostgreSQL refuses NUL in text: never let it reach the query
        raise exceptions.AuthenticationFailed("Invalid API key.")
    try:
        key = _verified_key(raw.strip())
    except ApiKey.DoesNotExist:
        raise exceptions.AuthenticationFailed("Invalid API key.") from None
    if key.has_expired:
        raise exceptions.AuthenticationFailed("This API key has expired.")
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(
        seconds=settings.API_KEY_TOUCH_SECONDS
    ):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def user_from_access_token(raw: str) -> User:
    """The learner behind an OAuth2 access token, or AuthenticationFailed."""
    checksum = hashlib.sha256(raw.strip().encode("utf-8")).hexdigest()
    token = (get_access_token_model().objects.select_related("user")
             .filter(token_checksum=checksum).first())
    if token is None or token.is_expired() or token.user is None:
        raise exceptions.AuthenticationFailed("Invalid or expired access token.")
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed("This account is disabled.")
    # the token acts only within its scopes (`accounts.permissions`)
    token.user.token_scopes = frozenset(token.scope.split())
    return token.user


def refuse_session_change_over_get(request) -> None:
    """A state change signed by Django's session cookie must come as POST, where DRF's
    `SessionAuthentication` has checked the CSRF token; over GET (which carries no token and
    which a link or an image makes a browser send) it is refused. Other credentials (API keys,
    tokens, EduBrite's own connect.do cookies, which are SameSite=Strict) are not a browser's
    ambient cookie and keep every method their vendor documents."""
    if (isinstance(request.successful_authenticator, authentication.SessionAuthentication)
            and request.method != "POST"):
        raise exceptions.PermissionDenied(
            "A change signed in with the browser session needs POST and a CSRF token.",
            code="session_needs_post")


def looks_like_api_key(raw: str) -> bool:
    # djangorestframework-api-key keys are "<8-char prefix>.<secret>"; OAuth2 tokens have no dot.
    prefix, dot, secret = raw.partition(".")
    return bool(dot) and len(prefix) == 8 and bool(secret)


def _param(request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value:
        return value
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE") and not request.body:
        return None
    try:
        data = request.data
    except (exceptions.ParseError, exceptions.UnsupportedMediaType):
        return None
    if hasattr(data, "get"):
        value = data.get(name)
        if isinstance(value, str) and value:
            return value
    return None


class BearerAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <API key or learner access token>`."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization: Bearer takes exactly one token.")
        raw = header[1]
        if looks_like_api_key(raw):
            key = api_key_from_text(raw)
            return ApiClient(key), key
        user = user_from_access_token(raw)
        return user, raw

    def authenticate_header(self, request):
        return 'Bearer realm="entitle"'


class ParameterApiKeyAuthentication(authentication.BaseAuthentication):
    """An API key in a query or body parameter (`api_key` for Zype, `authCode` for EduBrite)."""

    param = "api_key"

    def authenticate(self, request):
        raw = _param(request, self.param)
        if not raw:
            return None
        key = api_key_from_text(raw)
        return ApiClient(key), key

    def authenticate_header(self, request):
        return f'{self.param} realm="entitle"'


class ZypeApiKeyAuthentication(ParameterApiKeyAuthentication):
    param = "api_key"


class AuthCodeAuthentication(ParameterApiKeyAuthentication):
    param = "authCode"


class AccessTokenParameterAuthentication(authentication.BaseAuthentication):
    """A learner's OAuth2 token as Zype's `access_token` query or body parameter."""

    def authenticate(self, request):
        raw = _param(request, "access_token")
        if not raw:
            return None
        return user_from_access_token(raw), raw

    def authenticate_header(self, request):
        return 'Bearer realm="entitle"'


class StaffBasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic for staff users only (Tizra's admin-api)."""

    def authenticate_credentials(self, userid, password, request=None):
        user, auth = super().authenticate_credentials(userid, password, request)
        if not user.is_staff:
            raise exceptions.AuthenticationFailed("Only staff may use HTTP Basic here.")
        return user, auth
