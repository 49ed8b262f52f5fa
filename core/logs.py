"""Structured logs: one JSON object per line, each carrying the id of the request (or of the
request that queued the Celery task) it belongs to, and never a credential or a whole code.

- `request_id` is a context variable: `core.middleware.RequestMiddleware` sets it for each
  request (from a sane incoming `X-Request-ID`, or a new one), Celery carries it in a task
  header (`connect_celery`), and `RequestIdFilter` stamps it on every log record.
- `masked_query` and `masked_path` hide credentials and codes before anything is logged: a
  query parameter whose name looks secret (`api_key`, `authCode`, `access_token`,
  `password`, any `…code`, `…token`, `…key`, `…secret`) keeps its name and loses its value; a
  URL part that names an object by its text (a coupon's or a Tizra code, a reset token) is
  masked, ids (integers, UUIDs) are kept. The error reports use the same rule
  (`core.reporting`).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import json
import logging
import os
import re
from urllib.parse import unquote_plus

MASK = "********"
# Names of query parameters, form fields and variables whose values are never shown.
SENSITIVE_NAME = re.compile(
    r"key|token|secret|pass|auth|code|signature|session|credential|cookie|csrf", re.I)
# A query string that may hold one (names may be percent-encoded: `%` passes too).
_MAYBE_SENSITIVE = re.compile(SENSITIVE_NAME.pattern + "|%", re.I)
_PARAMETER = re.compile(r"([^&;=]*)=([^&;]*)")
# A caller's own request id is kept when it looks like one (a UUID, a proxy's hex id…).
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# URL arguments that are names rather than secrets (kept in logged paths).
PLAIN_URL_ARGUMENTS = frozenset({"site", "service", "batch"})
_ID = re.compile(r"\d{1,19}|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                 r"[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def new_request_id() -> str:
    return os.urandom(16).hex()


def accepted_request_id(incoming: str | None) -> str:
    """The caller's `X-Request-ID` when it is sane, else a new one."""
    if incoming and SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return new_request_id()


def _mask_parameter(match: re.Match) -> str:
    name = match[1]
    if "%" in name or "+" in name:  # `api%5Fkey` is api_key to the server
        name = unquote_plus(name)
    return match[0] if not SENSITIVE_NAME.search(name) else f"{match[1]}={MASK}"


def masked_query(query_string: str) -> str:
    """The query string as sent, with the value of every parameter whose name looks secret
    replaced by `MASK`."""
    if not query_string or not _MAYBE_SENSITIVE.search(query_string):
        return query_string
    return _PARAMETER.sub(_mask_parameter, query_string)


def masked_path(request) -> str:
    """`request.path` with each URL argument that is not an id or a plain name masked."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is None or not match.kwargs:
        return path
    hidden = {str(value) for name, value in match.kwargs.items()
              if name not in PLAIN_URL_ARGUMENTS and not _ID.fullmatch(str(value))}
    if not hidden:
        return path
    return "/".join(MASK if part in hidden else part for part in path.split("/"))


def masked_full_path(request) -> str:
    query = masked_query(request.META.get("QUERY_STRING", ""))
    return masked_path(request) + (f"?{query}" if query else "")


class RequestIdFilter(logging.Filter):
    """Stamps `request_id` (the request's, or the queuing request's in a task) on records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id.get()
        return True


class MaskedRequestPathFilter(logging.Filter):
    """Django's own request log lines (`django.request`: "Internal Server Error: /path")
    name the path; mask it the way the access log does."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and isinstance(record.args, tuple) and len(record.args) == 2:
            record.args = (record.args[0], masked_path(request))
        return True


# LogRecord attributes that are not extra fields.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "request_id", "request", "server_time", "status_code"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request id, the
    record's extra fields, and the traceback when there is one."""

    encoder = json.JSONEncoder(default=str, ensure_ascii=False)  # made once, not per line

    def format(self, record: logging.LogRecord) -> str:
        seconds = int(record.created)
        line = {
            "time": f"{_utc_second(seconds)}.{int((record.created - seconds) * 1000):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", "") or request_id.get()
        if rid:
            line["request_id"] = rid
        for name in record.__dict__.keys() - _STANDARD:
            if not name.startswith("_"):
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return self.encoder.encode(line)


@functools.lru_cache(maxsize=4)
def _utc_second(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


# --- Celery: the request id travels with the task --------------------------------------------

HEADER = "request_id"


def _publish_with_request_id(headers=None, **_kwargs) -> None:
    rid = request_id.get()
    if rid and headers is not None and HEADER not in headers:
        headers[HEADER] = rid


def _task_started(task=None, **_kwargs) -> None:
    rid = getattr(task.request, HEADER, None) if task is not None else None
    if rid is None and task is not None:  # older message protocols nest custom headers
        rid = (getattr(task.request, "headers", None) or {}).get(HEADER)
    task.request._entitle_request_token = request_id.set(rid or "")


def _task_finished(task=None, **_kwargs) -> None:
    token = getattr(task.request, "_entitle_request_token", None) if task else None
    if token is not None:
        request_id.reset(token)
        task.request._entitle_request_token = None


def connect_celery() -> None:
    """Carry the request id from the request that queues a task into the task's log lines
    (a message header read back when the task starts)."""
    from celery import signals

    signals.before_task_publish.connect(_publish_with_request_id, weak=False)
    signals.task_prerun.connect(_task_started, weak=False)
    signals.task_postrun.connect(_task_finished, weak=False)
