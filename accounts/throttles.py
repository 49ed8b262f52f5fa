"""Brute-force protection: too many FAILED attempts per learner and per IP are refused for a while.

Failures are counted in Django's cache (Redis when `CACHE_URL` names one, so every app server
shares the counts; local memory otherwise). A `FailureThrottle` keeps one counter per
(scope, learner) and per (scope, IP); the first failure opens a window of
`window_seconds`, and once a counter reaches its limit every attempt is refused with
`TooManyAttempts` (HTTP 429, `retry_after` seconds until the window closes) until it does.
Successes are not counted, so an honest learner redeeming many codes is never slowed down.

Use it around any attempt that guesses a secret; every redeem entry point (the web page, the
native API, each dialect) does:

    with redeem_guard(request, user=learner):   # = redeem_throttle().guard(user=, ip=)
        redeem(code_text, learner, ip=client_ip(request))   # a refusal counts as a failure

or call `check_redeem_allowed(user=, ip=)` before and `record_redeem_failure(user=, ip=)`
after a refusal. `guard`/`attempt` count the attempt atomically before it is made and take
it back on success, so parallel guesses never pass the limit (checking first and counting
after would let every guess in flight through). The envelopes render `TooManyAttempts` as
429 with a `Retry-After` header.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from accounts.errors import TooManyAttempts
from accounts.permissions import is_api_client
from core.errors import DomainError, HeldAlready
from core.metrics import REDEMPTION_REFUSALS


def _wait_in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _digest(text: str) -> str:
    """Keys stay short and safe for every cache backend, and hold no email in clear."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _identity(user) -> str | None:
    """A learner (by primary key) or, where none is known yet, the account name tried."""
    if isinstance(user, str):
        return _digest(user.strip().lower()) if user.strip() else None
    pk = getattr(user, "pk", None)
    return str(pk) if pk else None


@dataclass(frozen=True)
class FailureThrottle:
    """Counts failures of one kind of attempt (its `scope`) per learner and per IP.

    `user` is a `User`, or a string naming the account tried (an email at login) when there
    is no learner yet; `ip` may be None (then only the learner is counted).
    """

    scope: str
    per_user: int
    per_ip: int
    window_seconds: int
    what: str = "attempts"
    # Refusal classes that are not guesses (and so never count): see `redeem_throttle`.
    not_failures: tuple[type[DomainError], ...] = ()
    # False for a throttle that counts every attempt, not only the failed ones (resets).
    counts_failures: bool = True
    # True: the account is counted per (account, address) — the address's own counter still
    # applies — so a stranger's failures never lock the account's owner out (the login).
    account_per_address: bool = False

    def _keys(self, *, user, ip: str | None) -> list[tuple[str, int]]:
        keys = []
        ident = _identity(user)
        if ident and self.account_per_address and ip:
            ident = _digest(f"{ident}|{ip}")
        if ident:
            keys.append((f"throttle:{self.scope}:user:{ident}", self.per_user))
        if ip:
            keys.append((f"throttle:{self.scope}:ip:{_digest(ip)}", self.per_ip))
        return keys

    def check(self, *, user=None, ip: str | None = None) -> None:
        """Raise `TooManyAttempts` when the learner or the IP has used up its failures."""
        keys = self._keys(user=user, ip=ip)
        if not keys:
            return
        counts = cache.get_many([f"{key}:count" for key, _ in keys] +
                                [f"{key}:since" for key, _ in keys])
        now = time.time()
        waits = []
        for key, limit in keys:
            if int(counts.get(f"{key}:count") or 0) >= limit:
                since = float(counts.get(f"{key}:since") or now)
                waits.append(max(1, math.ceil(since + self.window_seconds - now)))
        if waits:
            wait = max(waits)
            raise TooManyAttempts(
                message=(f"Too many {'failed ' if self.counts_failures else ''}{self.what}. "
                         f"Please wait {_wait_in_words(wait)} and try again."),
                retry_after=wait,
            )

    def record_failure(self, *, user=None, ip: str | None = None) -> None:
        """Count one failed attempt for the learner and for the IP."""
        for key, _ in self._keys(user=user, ip=ip):
            self._count(key)

    def _count(self, key: str) -> int:
        """Add one to `key`'s counter and return the new count, atomically: the window's first
        count is an `add` of 1 (one caller alone can add it; that caller notes when the window
        opened), any later one an `incr` (one Redis INCR, or one locked step in locmem) that
        keeps the expiry. Both keys expire with the window."""
        count, since = f"{key}:count", f"{key}:since"
        while True:
            if cache.add(count, 1, timeout=self.window_seconds):
                cache.set(since, time.time(), timeout=self.window_seconds)
                return 1
            with contextlib.suppress(ValueError):  # expired since the add: open a new window
                return cache.incr(count)

    def _uncount(self, keys: list[tuple[str, int]]) -> None:
        for key, _ in keys:
            # ValueError: the window closed meanwhile, nothing is left to take back.
            with contextlib.suppress(ValueError):
                cache.decr(f"{key}:count")

    def _reserve(self, *, user, ip: str | None) -> list[tuple[str, int]]:
        """Count the attempt before it is made, then decide: with N attempts in flight, the
        (limit+1)-th sees a count above the limit and is refused (its count taken back).
        Checking first and counting after would let every parallel guess through."""
        keys = self._keys(user=user, ip=ip)
        counted = []
        for key, limit in keys:
            counted.append((key, limit))
            if self._count(key) > limit:
                self._uncount(counted)
                self.check(user=user, ip=ip)  # raises, with the wait
                raise TooManyAttempts(message=f"Too many {self.what}.",
                                      retry_after=self.window_seconds)
        return counted

    @contextmanager
    def attempt(self, *, user=None, ip: str | None = None) -> Iterator[Callable[..., bool]]:
        """One attempt, counted atomically before it is made (`TooManyAttempts` once the
        limit is reached, however many run in parallel). A `DomainError` raised inside, or
        the yielded function called (with a refusal returned rather than raised, or with
        nothing), makes it a failure; otherwise it is taken back (a success never counts,
        unless `counts_failures` is False)."""
        counted = self._reserve(user=user, ip=ip)
        failed = False

        def fail(refusal: DomainError | None = None) -> bool:
            nonlocal failed
            if refusal is not None and isinstance(refusal, self.not_failures):
                return False
            failed = True
            return True

        try:
            yield fail
        except DomainError as refusal:
            fail(refusal)
            raise
        finally:
            if not failed and self.counts_failures:
                self._uncount(counted)

    def reset(self, *, user=None, ip: str | None = None) -> None:
        """Forget the counts (staff unlocking a learner, tests)."""
        cache.delete_many([f"{key}:{part}" for key, _ in self._keys(user=user, ip=ip)
                           for part in ("count", "since")])

    def failures(self, *, user=None, ip: str | None = None) -> int:
        """The failures counted in the open window: the highest of the learner's and the
        IP's counts (0 when none is open)."""
        counts = cache.get_many([f"{key}:count" for key, _ in self._keys(user=user, ip=ip)])
        return max((int(value or 0) for value in counts.values()), default=0)

    def record_refusal(self, refusal: DomainError, *, user=None,
                       ip: str | None = None) -> bool:
        """Count `refusal` as a failure unless it is one of `not_failures`; True when it
        counted (for a caller that gets the refusal back instead of raised: a check)."""
        if isinstance(refusal, self.not_failures):
            return False
        self.record_failure(user=user, ip=ip)
        return True

    @contextmanager
    def guard(self, *, user=None, ip: str | None = None) -> Iterator[Callable[..., bool]]:
        """`attempt`: a `DomainError` raised inside counts as one failure (unless it is one
        of `not_failures`)."""
        with self.attempt(user=user, ip=ip) as fail:
            yield fail


def redeem_throttle() -> FailureThrottle:
    """The throttle every redeem entry point shares (limits from settings, read each call).

    Every refusal counts — an unknown code, and also an expired, used-up or deactivated one
    (a guesser learns nothing useful from those, but is still guessing) — except
    `HeldAlready` (a code's `AlreadyRedeemed`, a coupon's `CouponAlreadyUsed`): only a learner
    who holds the code can get it (a reload, a double click, the vendor's app retrying), so it
    says nothing about guessing and must not lock an honest learner out. Coupon codes (EduBrite's
    subscribeByAuthCode, `/api/v1/coupons/{code}/quote|apply`) share this throttle.
    """
    return FailureThrottle(
        scope="redeem",
        per_user=settings.REDEEM_FAILURES_PER_LEARNER,
        per_ip=settings.REDEEM_FAILURES_PER_IP,
        window_seconds=settings.REDEEM_FAILURE_WINDOW_SECONDS,
        what="redemption attempts",
        not_failures=(HeldAlready,),
    )


@contextmanager
def redeem_guard(request, *, user) -> Iterator[Callable[[DomainError], bool]]:
    """`redeem_throttle().guard(...)` for one request redeeming (or checking) for `user`.

    The learner is counted always; the IP when the learner themselves is calling (the web
    page, a learner's token or session). A server calling with an API key redeems for many
    learners from one address, and can list every code anyway: its IP is not counted, or one
    vendor backend would lock out all its learners after a few typos among them.
    It yields a function that counts a refusal returned rather than raised (a check).
    """
    throttle = redeem_throttle()
    ip = None if is_api_client(getattr(request, "user", None)) else client_ip(request)
    with contextlib.ExitStack() as stack:
        try:
            fail = stack.enter_context(throttle.attempt(user=user, ip=ip))
        except TooManyAttempts as refusal:  # refused before trying: counted as `throttled`
            REDEMPTION_REFUSALS.labels(refusal.code).inc()
            raise
        yield fail


def login_throttle() -> FailureThrottle:
    """Failed password checks, wherever the password was typed (`accounts.backends`): per
    (account tried, address) and per address."""
    return FailureThrottle(
        scope="login",
        per_user=settings.LOGIN_FAILURES_PER_ACCOUNT,
        per_ip=settings.LOGIN_FAILURES_PER_IP,
        window_seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS,
        what="login attempts",
        account_per_address=True,
    )


def _request_throttle(scope: str, what: str, per_address: int, per_ip: int,
                      window_seconds: int) -> FailureThrottle:
    """Requests that send an email to the address asked for (a reset link, a registration
    link), per address and per IP. Every request counts, whether or not the address has an
    account, so being refused tells nobody which addresses are registered."""
    return FailureThrottle(scope=scope, per_user=per_address, per_ip=per_ip,
                           window_seconds=window_seconds, what=what, counts_failures=False)


def password_reset_throttle() -> FailureThrottle:
    return _request_throttle("password_reset", "password reset requests",
                             settings.PASSWORD_RESETS_PER_ACCOUNT,
                             settings.PASSWORD_RESETS_PER_IP,
                             settings.PASSWORD_RESET_WINDOW_SECONDS)


def registration_throttle() -> FailureThrottle:
    return _request_throttle("registration", "registrations",
                             settings.REGISTRATIONS_PER_ADDRESS, settings.REGISTRATIONS_PER_IP,
                             settings.REGISTRATION_WINDOW_SECONDS)


def check_redeem_allowed(*, user=None, ip: str | None = None) -> None:
    """Raise `TooManyAttempts` (429, `retry_after`) when redeeming is throttled for them."""
    redeem_throttle().check(user=user, ip=ip)


def record_redeem_failure(*, user=None, ip: str | None = None) -> None:
    """Count one refused redemption against the learner and the IP."""
    redeem_throttle().record_failure(user=user, ip=ip)


def clear_redeem_throttle(*, user) -> int:
    """Forget the learner's failed redemption attempts (staff unlocking them); the number
    that were counted. What their IP address counted stays: others may share it."""
    throttle = redeem_throttle()
    counted = throttle.failures(user=user)
    throttle.reset(user=user)
    return counted


def client_ip(request) -> str | None:
    """The caller's IP: `REMOTE_ADDR`, or with `NUM_PROXIES` trusted proxies in front, the
    address the outermost of them saw (`X-Forwarded-For` is only believed that far)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = int(getattr(settings, "NUM_PROXIES", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return remote
