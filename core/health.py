"""Health checks for load balancers and orchestrators, unauthenticated and cheap.

- `GET /healthz`: the process answers (no database, no cache, no broker). A failing liveness
  probe restarts the process, so it must not fail because a dependency did.
- `GET /readyz`: this process can serve: PostgreSQL answers `SELECT 1`, the Redis cache (when
  CACHE_URL names one) and the Celery broker (when CELERY_BROKER_URL names one) answer a
  ping, and every migration this code knows is applied. 200 when all pass, else 503; the JSON
  names each check and the kind of failure (the details, which name hosts, go to the log).
  Redis is asked with half-second timeouts and no retries, and a stopped PostgreSQL refuses
  at once, so a dependency that stops turns the answer 503 within a second and back to 200
  when it returns.

The migrations are read from disk once per process and, once found applied, not asked again
(a process's code, and so its migrations, never change while it runs).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)
REDIS_TIMEOUT = 0.5
_migrations_applied = False
_redis_clients: dict[str, object] = {}


class NotReady(Exception):
    """A check's reason for failing (shown in the answer)."""


def _redis(url: str):
    """One client per URL, short timeouts, no retries (redis-py's default retries would
    make a stopped server slow to report)."""
    import redis

    client = _redis_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT,
                                      socket_connect_timeout=REDIS_TIMEOUT, retry=None,
                                      health_check_interval=0)
        _redis_clients[url] = client
    return client


def _ping_redis(url: str) -> None:
    import redis

    try:
        _redis(url).ping()
    except (redis.RedisError, OSError) as exc:
        raise NotReady(type(exc).__name__) from exc


def database():
    """The connection checked: the default one."""
    return connections[DEFAULT_DB_ALIAS]


def check_database() -> None:
    connection = database()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        connection.close()  # the next check connects afresh
        raise NotReady(type(exc).__name__) from exc


def check_migrations() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    connection = database()
    loader = MigrationLoader(connection)  # reads the applied ones from the database
    missing = sorted(f"{app}.{name}" for app, name in loader.graph.leaf_nodes()
                     if (app, name) not in loader.applied_migrations)
    if missing:
        raise NotReady(f"{len(missing)} not applied: {', '.join(missing[:10])}")
    _migrations_applied = True


def redis_cache_url() -> str | None:
    cache = settings.CACHES["default"]
    return cache["LOCATION"] if cache["BACKEND"].endswith("RedisCache") else None


def check_cache() -> None:
    _ping_redis(redis_cache_url())


def check_broker() -> None:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://", "unix://")):
        _ping_redis(url)
        return
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=REDIS_TIMEOUT) as conn:
            conn.ensure_connection(max_retries=1, timeout=REDIS_TIMEOUT)
    except Exception as exc:
        raise NotReady(type(exc).__name__) from exc


def checks() -> dict:
    """The checks that apply to this deployment, in the order they run."""
    found = {"database": check_database}
    if redis_cache_url():
        found["cache"] = check_cache
    if settings.CELERY_BROKER_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
        found["broker"] = check_broker
    found["migrations"] = check_migrations
    return found


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    results, ready = {}, True
    for name, check in checks().items():
        if name == "migrations" and not results["database"]["ok"]:
            results[name] = {"ok": False, "error": "The database did not answer."}
            ready = False
            continue
        started = time.perf_counter()
        try:
            check()
        except NotReady as exc:
            # The answer names the failure; the details (hosts, ports) go to the log only.
            logger.warning("Not ready: %s failed (%s)", name, exc.__cause__ or exc)
            results[name] = {"ok": False, "error": str(exc)}
            ready = False
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    response = JsonResponse({"status": "ok" if ready else "unavailable", "checks": results},
                            status=200 if ready else 503)
    # Logged above as a warning: not an error report (an email to ADMINS) per probe.
    response._has_been_logged = True
    return response
