"""The throttles are exact under concurrency: parallel guesses never pass the limit."""

import os
import threading
import uuid

import pytest
import redis
from django.test import override_settings

from accounts.throttles import TooManyAttempts, redeem_throttle
from core.errors import NotFound

pytestmark = pytest.mark.django_db

GUESSES = 40


def _redis_url() -> str | None:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/10")
    try:
        return url if redis.Redis.from_url(url, socket_connect_timeout=1).ping() else None
    except redis.RedisError:
        return None


def _caches(backend: str) -> dict:
    if backend == "locmem":
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                            "LOCATION": f"race-{uuid.uuid4().hex}"}}
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis answers at TEST_REDIS_URL")
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": url, "KEY_PREFIX": f"race-{uuid.uuid4().hex}"}}


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_forty_parallel_wrong_guesses_by_one_learner_let_at_most_the_limit_through(
        settings, learner, backend):
    settings.REDEEM_FAILURES_PER_LEARNER = 10
    settings.REDEEM_FAILURES_PER_IP = 1000
    lock, everyone_decided = threading.Lock(), threading.Event()
    start = threading.Barrier(GUESSES)
    outcome = {"tried": 0, "refused": 0}

    def note(what):
        with lock:
            outcome[what] += 1
            if outcome["tried"] + outcome["refused"] == GUESSES:
                everyone_decided.set()

    def guess():
        start.wait()
        try:
            with redeem_throttle().guard(user=learner, ip="198.51.100.7"):
                note("tried")
                # Every guess is in flight before any of them fails: the worst interleaving.
                everyone_decided.wait()
                raise NotFound("not_found", "No such code.")
        except TooManyAttempts:
            note("refused")
        except NotFound:
            pass

    with override_settings(CACHES=_caches(backend)):
        threads = [threading.Thread(target=guess) for _ in range(GUESSES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert outcome == {"tried": 10, "refused": 30}
        with pytest.raises(TooManyAttempts):
            redeem_throttle().check(user=learner)


def test_a_successful_attempt_is_not_counted(settings, learner):
    settings.REDEEM_FAILURES_PER_LEARNER = 2
    throttle = redeem_throttle()
    for _ in range(5):
        with throttle.guard(user=learner):
            pass
    assert throttle.failures(user=learner) == 0
