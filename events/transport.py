"""Posting webhooks: one kept-alive HTTP connection per receiver and worker thread, kept
across drains for up to CONNECTION_MAX_AGE seconds (a new TCP connection per delivery costs
both sides more than the post).

Redirects are answers (failures), never followed: they could lead past the SSRF guard, which
is checked again each time a connection is opened (DNS may have changed since the endpoint was
saved; hence the connections' age limit). No proxy from the environment is used.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from core.errors import DomainError
from events.validators import check_webhook_url

EXCERPT = 300
_READ_LIMIT = 64 * 1024  # a longer answer is cut off, and its connection not kept
CONNECTION_MAX_AGE = 60.0


@dataclass(frozen=True)
class Answer:
    code: int | None
    excerpt: str
    latency_ms: int

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


class Poster:
    """Posts to receivers over connections it keeps (by scheme, host and port) until
    `close()`; use one per drain, in one thread."""

    def __init__(self) -> None:
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self._opened: dict[tuple[str, str, int], float] = {}

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        started = time.monotonic()
        try:
            code, text = self._post(url, body, headers)
        except DomainError as refusal:
            code, text = None, refusal.message.encode()
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # refused, reset, timed out, unreachable, not HTTP
            code, text = None, f"{type(exc).__name__}: {exc}".encode()
        latency = int((time.monotonic() - started) * 1000)
        return Answer(code, text.decode("utf-8", "replace")[:EXCERPT], latency)

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port or 0)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if time.monotonic() - self._opened.get(key, 0) > CONNECTION_MAX_AGE:
            self._drop(key)
        connection = self._connections.get(key)
        if connection is not None:
            try:
                return self._send(key, connection, path, body, headers)
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                pass  # the receiver closed the idle connection: once more on a new one
        connection = self._open(url)
        self._connections[key], self._opened[key] = connection, time.monotonic()
        return self._send(key, connection, path, body, headers)

    def _open(self, url: str) -> http.client.HTTPConnection:
        check_webhook_url(url)  # again, for each new connection
        parts = urlsplit(url)
        timeout = settings.WEBHOOK_TIMEOUT_SECONDS
        if parts.scheme == "https":
            return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)

    def _send(self, key, connection: http.client.HTTPConnection, path: str, body: bytes,
              headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read(_READ_LIMIT)
            if response.will_close or not response.isclosed():  # closed: read to its end
                self._drop(key)
            return response.status, text[:EXCERPT]
        except BaseException:
            self._drop(key)
            raise

    def _drop(self, key) -> None:
        self._opened.pop(key, None)
        connection = self._connections.pop(key, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for key in list(self._connections):
            self._drop(key)


_kept = threading.local()


def kept_poster() -> Poster:
    """This thread's Poster, kept from one drain to the next."""
    if not hasattr(_kept, "poster"):
        _kept.poster = Poster()
    return _kept.poster
