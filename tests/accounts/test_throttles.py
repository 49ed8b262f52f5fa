"""Failed attempts are throttled per learner and per IP, in Django's cache."""

import uuid

import pytest
from django.core.cache import caches
from django.test import RequestFactory, override_settings
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.throttles import (
    FailureThrottle,
    TooManyAttempts,
    check_redeem_allowed,
    clear_redeem_throttle,
    client_ip,
    record_redeem_failure,
    redeem_throttle,
)
from core.errors import NotFound, RuleRefused
from dialects.native.errors import native_exception_handler
from dialects.zype.errors import zype_exception_handler
from redemptions.errors import AlreadyRedeemed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limits(settings):
    settings.REDEEM_FAILURES_PER_LEARNER = 3
    settings.REDEEM_FAILURES_PER_IP = 5
    settings.REDEEM_FAILURE_WINDOW_SECONDS = 600


def fail(times, *, user=None, ip=None):
    for _ in range(times):
        record_redeem_failure(user=user, ip=ip)


def test_failures_below_the_learner_limit_are_allowed(small_limits, learner):
    fail(2, user=learner, ip="10.0.0.1")
    check_redeem_allowed(user=learner, ip="10.0.0.1")


def test_the_learner_limit_refuses_with_429_and_a_wait(small_limits, learner):
    fail(3, user=learner, ip="10.0.0.1")
    with pytest.raises(TooManyAttempts) as refused:
        check_redeem_allowed(user=learner, ip="10.0.0.9")
    assert refused.value.http_status == 429
    assert refused.value.code == "throttled"
    assert 1 <= refused.value.retry_after <= 600
    assert "Too many failed redemption attempts" in refused.value.message
    assert "minutes" in refused.value.message


def test_another_learner_on_another_ip_is_not_affected(small_limits, learner):
    fail(3, user=learner, ip="10.0.0.1")
    check_redeem_allowed(user=UserFactory(), ip="10.0.0.2")


def test_the_ip_limit_covers_every_learner_on_that_ip(small_limits):
    for _ in range(5):
        record_redeem_failure(user=UserFactory(), ip="10.0.0.7")
    with pytest.raises(TooManyAttempts):
        check_redeem_allowed(user=UserFactory(), ip="10.0.0.7")
    check_redeem_allowed(user=UserFactory(), ip="10.0.0.8")


def test_an_anonymous_attempt_is_counted_by_ip_alone(small_limits):
    fail(5, ip="10.0.0.3")
    with pytest.raises(TooManyAttempts):
        check_redeem_allowed(user=None, ip="10.0.0.3")


def test_nothing_to_count_by_is_never_throttled(small_limits):
    fail(10)
    check_redeem_allowed()


def test_the_window_closes_and_attempts_are_allowed_again(small_limits, learner, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr("time.time", lambda: clock[0])
    fail(3, user=learner)
    with pytest.raises(TooManyAttempts) as refused:
        check_redeem_allowed(user=learner)
    assert refused.value.retry_after == 600
    clock[0] += 540
    with pytest.raises(TooManyAttempts) as refused:
        check_redeem_allowed(user=learner)
    assert refused.value.retry_after == 60
    clock[0] += 61  # the clock locmem reads too: the counters expire with the window
    check_redeem_allowed(user=learner)
    record_redeem_failure(user=learner)  # and a new window starts from zero
    check_redeem_allowed(user=learner)


def test_reset_forgets_the_failures(small_limits, learner):
    fail(3, user=learner, ip="10.0.0.6")
    redeem_throttle().reset(user=learner, ip="10.0.0.6")
    check_redeem_allowed(user=learner, ip="10.0.0.6")


def test_the_guard_counts_a_domain_error_and_lets_it_through(small_limits, learner):
    throttle = redeem_throttle()
    for _ in range(3):
        with pytest.raises(NotFound), throttle.guard(user=learner, ip="10.0.0.4"):
            raise NotFound("unknown_code", "No such code.")
    with pytest.raises(TooManyAttempts), throttle.guard(user=learner, ip="10.0.0.4"):
        pytest.fail("a throttled attempt must not run")


def test_the_guard_does_not_count_a_success(small_limits, learner):
    throttle = redeem_throttle()
    for _ in range(10):
        with throttle.guard(user=learner, ip="10.0.0.5"):
            pass
    check_redeem_allowed(user=learner, ip="10.0.0.5")


def test_a_throttle_scope_counts_only_its_own_failures(learner):
    login = FailureThrottle(scope="login-test", per_user=1, per_ip=1, window_seconds=60)
    other = FailureThrottle(scope="other-test", per_user=1, per_ip=1, window_seconds=60)
    login.record_failure(user=learner)
    other.check(user=learner)
    with pytest.raises(TooManyAttempts):
        login.check(user=learner)


def test_an_account_name_string_is_counted_case_insensitively():
    throttle = FailureThrottle(scope="login-test", per_user=2, per_ip=99, window_seconds=60)
    throttle.record_failure(user="Someone@Example.com")
    throttle.record_failure(user="someone@example.com ")
    with pytest.raises(TooManyAttempts):
        throttle.check(user="SOMEONE@example.com")


def test_a_throttled_refusal_sets_retry_after_in_every_envelope():
    exc = TooManyAttempts(message="Too many.", retry_after=42.2)
    for handler in (native_exception_handler, zype_exception_handler):
        response = handler(exc, {})
        assert response.status_code == 429
        assert response["Retry-After"] == "43"


def test_other_domain_errors_set_no_retry_after():
    response = native_exception_handler(RuleRefused("expired", "This code has expired."), {})
    assert response.status_code == 422
    assert not response.has_header("Retry-After")


def test_a_drf_view_answers_429_with_retry_after(small_limits, learner):
    fail(3, user=learner)

    class Redeem(APIView):
        authentication_classes = []
        permission_classes = []

        def post(self, request):
            check_redeem_allowed(user=learner, ip=client_ip(request))

    response = Redeem.as_view()(APIRequestFactory().post("/api/v1/redeem"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.data["errors"][0]["code"] == "throttled"


def test_client_ip_is_remote_addr_without_trusted_proxies(settings):
    settings.NUM_PROXIES = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.1.1",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "10.1.1.1"


def test_client_ip_believes_forwarded_for_only_as_far_as_the_trusted_proxies(settings):
    settings.NUM_PROXIES = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.254",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "203.0.113.9"


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis answers at 127.0.0.1:6379")
def test_failures_are_shared_through_redis(small_limits, learner):
    prefix = f"entitle-test-{uuid.uuid4().hex}"
    redis_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": "redis://127.0.0.1:6379/0", "KEY_PREFIX": prefix}}
    with override_settings(CACHES=redis_cache):
        throttle = redeem_throttle()
        try:
            fail(3, user=learner, ip="10.9.9.9")
            with pytest.raises(TooManyAttempts) as refused:
                check_redeem_allowed(user=learner, ip="10.9.9.8")
            assert 1 <= refused.value.retry_after <= 600
            # Redis keeps the window on the keys, so they vanish by themselves.
            client = caches["default"]._cache.get_client(write=False)
            ttls = [client.ttl(key) for key in client.keys(f"{prefix}:*")]
            assert ttls and all(0 < ttl <= 600 for ttl in ttls)
        finally:
            throttle.reset(user=learner, ip="10.9.9.9")


def test_the_redeem_guard_does_not_count_already_redeemed(small_limits, learner):
    throttle = redeem_throttle()
    for _ in range(5):
        with pytest.raises(AlreadyRedeemed), throttle.guard(user=learner, ip="10.0.0.4"):
            raise AlreadyRedeemed()
    check_redeem_allowed(user=learner, ip="10.0.0.4")


def test_record_refusal_says_whether_it_counted(small_limits, learner):
    throttle = redeem_throttle()
    assert throttle.record_refusal(NotFound("not_found", "No."), user=learner) is True
    assert throttle.record_refusal(AlreadyRedeemed(), user=learner) is False


def test_clearing_a_learners_failures_unlocks_them_and_keeps_what_the_ip_counted(small_limits):
    learner = UserFactory()
    for _ in range(3):
        record_redeem_failure(user=learner, ip="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        check_redeem_allowed(user=learner)
    assert clear_redeem_throttle(user=learner) == 3
    check_redeem_allowed(user=learner)
    assert redeem_throttle().failures(user=learner) == 0
    assert redeem_throttle().failures(ip="203.0.113.9") == 3


def test_a_counter_that_expires_between_its_add_and_incr_opens_a_new_window(
        small_limits, learner, monkeypatch):
    throttle = redeem_throttle()
    fail(1, user=learner)  # the counter exists: the next failure increments it
    cache = caches["default"]
    incr = cache.incr

    def expired_first(key, *args, **kwargs):  # the window closes just before the INCR lands
        monkeypatch.setattr(cache, "incr", incr)
        cache.delete_many([key, key.replace(":count", ":since")])
        return incr(key, *args, **kwargs)

    monkeypatch.setattr(cache, "incr", expired_first)
    record_redeem_failure(user=learner)

    assert throttle.failures(user=learner) == 1
    assert cache.get(f"throttle:redeem:user:{learner.pk}:since") is not None
