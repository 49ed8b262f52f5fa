"""Entitle's own middleware.

- `RequestMiddleware`, the first of every request: its id, its access log line and its two
  metrics. The id is the caller's sane `X-Request-ID` or a new one; it is answered in
  `X-Request-ID`, set for the request's log lines and carried into the Celery tasks it queues
  (`core.logs`). One JSON line per request on the `entitle.request` logger: method, path
  (credentials and codes masked), status, duration, view, request id. It costs a few
  microseconds: no database, no cache, one log record and two metric updates.
- `NoStoreMiddleware`: `Cache-Control: no-store` on every API answer: they carry learners'
  data, codes and credentials, which no browser or shared cache should keep. Which paths are
  API paths is a setting (`API_PATH_PREFIXES`: every dialect's, the native API's and OAuth's).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.utils.cache import patch_cache_control

from core import logs
from core.metrics import REQUEST_DURATION, RESPONSES

access_log = logging.getLogger("entitle.request")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The metrics' children by label values (prometheus_client's `labels()` takes a lock and
# checks its arguments on every call); views, methods and statuses are few.
_timers: dict[tuple[str, str], object] = {}
_counters: dict[tuple[str, str, int], object] = {}


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"
    return match.view_name or match._func_path


class RequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        rid = logs.accepted_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = rid
        token = logs.request_id.set(rid)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            self._record(request, response.status_code, time.perf_counter() - started)
            return response
        finally:
            logs.request_id.reset(token)

    def _record(self, request, status: int, seconds: float) -> None:
        view = _view_name(request)
        method = request.method if request.method in METHODS else "other"
        timer = _timers.get((view, method))
        if timer is None:
            timer = _timers[view, method] = REQUEST_DURATION.labels(view, method)
        timer.observe(seconds)
        counter = _counters.get((view, method, status))
        if counter is None:
            counter = _counters[view, method, status] = RESPONSES.labels(view, method,
                                                                         str(status))
        counter.inc()
        if access_log.isEnabledFor(logging.INFO):
            path = logs.masked_full_path(request)
            # `handle` a record made here: `info()` would walk the stack for its caller.
            access_log.handle(access_log.makeRecord(
                access_log.name, logging.INFO, __file__, 0, "%s %s %s",
                (method, path, status), None, extra={
                    "method": method, "path": path, "status": status,
                    "duration_ms": round(seconds * 1000, 2), "view": view}))


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(settings.API_PATH_PREFIXES)

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.prefixes):
            patch_cache_control(response, no_store=True)
        return response
