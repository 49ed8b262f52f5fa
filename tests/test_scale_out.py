"""Beyond one machine: two gunicorn app servers (on their own loopback ports) and two Celery
workers share one PostgreSQL database (the suite's) and one Redis (TEST_REDIS_URL: the cache,
so the throttles, and the broker). Requests are spread over both servers from real threads.

The servers and workers start once for this module (a few seconds each, in parallel) and run
as production does: DEBUG off, the Redis cache, Django's psycopg pool (DB_POOL_MAX_SIZE).
"""

from __future__ import annotations

import http.cookiejar
import itertools
import json
import re
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from bench.stack import Gunicorn, free_ports
from bench.webhooks import CeleryWorker, Receiver, wait_for
from events.models import Delivery, DeliveryStatus, EventKind
from jobs.models import Job, JobStatus
from redemptions import services
from redemptions.models import Code, Redemption
from tests.events.conftest import worker_env
from tests.events.factories import WebhookEndpointFactory
from tests.factories import ApiKeyFactory, UserFactory
from tests.redemptions.factories import CodeFactory, OfferFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # UserFactory's
LIMIT = 10  # REDEEM_FAILURES_PER_LEARNER and LOGIN_FAILURES_PER_ACCOUNT on the servers
CLUSTER_ENV = {
    "REDEEM_FAILURES_PER_LEARNER": str(LIMIT), "LOGIN_FAILURES_PER_ACCOUNT": str(LIMIT),
    # every request comes from 127.0.0.1: the per-address limits are not what is tested here
    "REDEEM_FAILURES_PER_IP": "100000", "LOGIN_FAILURES_PER_IP": "100000",
    "DB_POOL_MAX_SIZE": "2", "LOG_LEVEL": "ERROR",
    # jobs: small chunks with a pause, so a job is still running when the next is taken
    "JOB_CHUNK_SIZE": "50", "JOB_CHUNK_PAUSE_SECONDS": "0.05",
}


class Cluster:
    def __init__(self, servers: list[Gunicorn], workers: list[CeleryWorker]) -> None:
        self.servers, self.workers = servers, workers
        self._next = itertools.cycle(range(len(servers)))
        self._lock = threading.Lock()

    def url(self, path: str, server: int | None = None) -> str:
        """`path` on the given server, or on each in turn."""
        if server is None:
            with self._lock:
                server = next(self._next)
        return self.servers[server].url(path)


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker):
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("the servers share the test database: PostgreSQL only")
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    with django_db_blocker.unblock():
        env = {**worker_env(), **CLUSTER_ENV, "CACHE_URL": settings.CELERY_BROKER_URL}
    workdir = Path(tempfile.mkdtemp(prefix="scale-out-"))
    servers = [Gunicorn(env, workers=2, port=port, log_path=workdir / f"server-{n}.log")
               for n, port in enumerate(free_ports(2), 1)]
    # One worker runs the beat (the sweeps), as a deployment runs one; one job each at a time.
    workers = [CeleryWorker(env, workdir, concurrency=1, prefetch=1, beat=n == 1,
                            name=f"worker{n}") for n in (1, 2)]
    with ThreadPoolExecutor(4) as pool:
        started = [pool.submit(s.start) for s in servers] + \
                  [pool.submit(w.start) for w in workers]
    try:
        for future in started:
            future.result()
        yield Cluster(servers, workers)
    finally:
        with ThreadPoolExecutor(4) as pool:  # workers wait for their tasks: stop all at once
            list(pool.map(lambda process: process.stop(), servers + workers))


def call(url: str, *, body: dict | None = None, form: dict | None = None,
         token: str | None = None) -> tuple[int, dict]:
    """One request: (status, parsed JSON answer)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=headers,
                                     method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def at_once(calls: list) -> list[int]:
    """Run the calls (each returning (status, body)) from as many threads, released together:
    their statuses."""
    barrier = threading.Barrier(len(calls))

    def run(one):
        barrier.wait()
        return one()[0]

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def redeem_on_behalf(cluster: Cluster, key: str, code: str, learner) -> callable:
    return lambda: call(cluster.url("/api/v1/redeem"), token=key,
                        body={"code": code, "user": learner.email})


def test_a_single_use_code_redeemed_through_both_servers_at_once_succeeds_once(cluster):
    _, key = ApiKeyFactory.create_with_key()
    code = CodeFactory(max_redemptions=1)
    learners = UserFactory.create_batch(16)
    statuses = at_once([redeem_on_behalf(cluster, key, code.code, one) for one in learners])
    assert statuses.count(201) == 1, statuses
    assert Redemption.objects.filter(code=code).count() == 1
    assert Code.objects.get(pk=code.pk).redemptions_count == 1


def test_a_five_use_code_redeemed_through_both_servers_at_once_succeeds_five_times(cluster):
    _, key = ApiKeyFactory.create_with_key()
    code = CodeFactory(max_redemptions=5)
    learners = UserFactory.create_batch(20)
    statuses = at_once([redeem_on_behalf(cluster, key, code.code, one) for one in learners])
    assert statuses.count(201) == 5, statuses
    assert Redemption.objects.filter(code=code).count() == 5
    assert Code.objects.get(pk=code.pk).redemptions_count == 5


def test_wrong_codes_spread_over_both_servers_share_one_redeem_limit(cluster):
    learner = UserFactory()
    app = Application.objects.create(name="web", client_type="confidential",
                                     authorization_grant_type="password")
    token = f"scale-out-{learner.pk}"
    AccessToken.objects.create(user=learner, application=app, token=token,
                               scope="redeem read:own",
                               expires=timezone.now() + timezone.timedelta(hours=1))
    guesses = [lambda n=n: call(cluster.url("/api/v1/redeem"), token=token,
                                body={"code": f"WRONGCODE{n:04d}"}) for n in range(3 * LIMIT)]
    statuses = at_once(guesses)
    assert sorted(statuses) == [404] * LIMIT + [429] * (2 * LIMIT)


def test_password_guesses_spread_over_both_servers_share_one_login_limit(cluster):
    learner = UserFactory()
    Application.objects.create(name="Host platform", client_type=Application.CLIENT_PUBLIC,
                               authorization_grant_type=Application.GRANT_PASSWORD,
                               client_id="scale-out-host")
    form = {"grant_type": "password", "username": learner.email, "password": "not-it",
            "client_id": "scale-out-host"}
    statuses = at_once([lambda: call(cluster.url("/oauth/token/"), form=form)
                        for _ in range(3 * LIMIT)])
    assert sorted(statuses) == [400] * LIMIT + [429] * (2 * LIMIT)


def test_a_session_started_on_one_server_works_on_the_other(cluster):
    learner = UserFactory()
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = browser.open(cluster.url("/accounts/login/", 0)).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    browser.open(cluster.url("/accounts/login/", 0), data=urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf, "username": learner.email,
         "password": PASSWORD}).encode()).read()
    answer = browser.open(cluster.url("/account/access/", 1))
    assert answer.status == 200
    assert urllib.parse.urlparse(answer.url).path == "/account/access/"  # not the login page
    assert learner.email in answer.read().decode()


def test_two_workers_deliver_each_event_once(cluster):
    receiver = Receiver().start()
    try:
        endpoint = WebhookEndpointFactory(url=receiver.url, kinds=[EventKind.CODE_REDEEMED])
        _, key = ApiKeyFactory.create_with_key()
        offer = OfferFactory()
        codes = [CodeFactory(offer=offer) for _ in range(12)]
        statuses = at_once([redeem_on_behalf(cluster, key, c.code, UserFactory())
                            for c in codes])
        assert statuses == [201] * len(codes)
        wait_for(lambda: Delivery.objects.filter(endpoint=endpoint,
                                                 status=DeliveryStatus.SUCCEEDED).count()
                 == len(codes), "every delivery to succeed")
        sent = [r["headers"]["webhook-id"] for r in receiver.requests]
        expected = {d.webhook_id for d in Delivery.objects.filter(endpoint=endpoint)}
    finally:
        receiver.stop()
    assert sorted(sent) == sorted(expected) and len(expected) == len(codes)


def test_jobs_are_taken_by_either_worker(cluster):
    groups = [services.start_code_group_generation(
        label=f"Scale-out {n}", offer=OfferFactory(), count=500, code_length=12,
        max_count=None) for n in range(4)]
    jobs = [wait_for(lambda g=g: (j := Job.objects.get(pk=g.job_id)).is_finished and j,
                     "the job to finish", 60) for g in groups]
    assert [(j.status, j.done) for j in jobs] == [(JobStatus.SUCCEEDED, 500)] * 4
    assert [Code.objects.filter(group=g).count() for g in groups] == [500] * 4
    took = [w.log.read_text().count("redemptions.run_generation") for w in cluster.workers]
    assert all(took), f"jobs taken per worker: {took}"
