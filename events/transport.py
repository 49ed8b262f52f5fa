"""Posting webhooks: one kept-alive HTTP connection per receiver and worker thread, kept
across drains for up to CONNECTION_MAX_AGE seconds (a new TCP connection per delivery costs
both sides more than the post).

Redirects are answers (failures), never followed: they could lead past the SSRF guard, which
is checked again each time a connection is opened (DNS may have changed since the endpoint was
saved; hence the connections' age limit). No proxy from the environment is used.
"""

from __future__ import annotations

import http.client
import socket
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
_HEAD_LIMIT = 64 * 1024  # an answer's status line and headers
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
        self._connections: dict[tuple[str, str, int], _Connection] = {}
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

    def _open(self, url: str) -> _Connection:
        check_webhook_url(url)  # again, for each new connection
        parts = urlsplit(url)
        return _Connection(parts.scheme, parts.hostname, parts.port,
                           settings.WEBHOOK_TIMEOUT_SECONDS)

    def _send(self, key, connection: _Connection, path: str, body: bytes,
              headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            code, text, keep = connection.post(path, body, headers)
        except BaseException:
            self._drop(key)
            raise
        if not keep:
            self._drop(key)
        return code, text[:EXCERPT]

    def _drop(self, key) -> None:
        self._opened.pop(key, None)
        connection = self._connections.pop(key, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for key in list(self._connections):
            self._drop(key)


class _Connection:
    """One HTTP/1.1 connection to a receiver: a POST written in one send, its answer read with
    just the parsing a webhook needs (the status, the body by Content-Length, chunked or up to
    the close, at most _READ_LIMIT of it). `http.client` cost more CPU per post than the
    rest of a delivery together (its header parsing goes through the email package).
    `post` says whether the connection can be kept: the answer read to its end, HTTP/1.1,
    no `Connection: close`."""

    def __init__(self, scheme: str, host: str, port: int | None, timeout: float) -> None:
        default = 443 if scheme == "https" else 80
        port = port or default
        self.host = host if port == default else f"{host}:{port}"
        if ":" in host and not host.startswith("["):  # an IPv6 literal
            self.host = f"[{host}]" if port == default else f"[{host}]:{port}"
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.buffer = bytearray()

    def close(self) -> None:
        self.sock.close()

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, bool]:
        lines = [f"POST {path} HTTP/1.1", f"Host: {self.host}",
                 f"Content-Length: {len(body)}", "Accept-Encoding: identity"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        for line in lines:
            if "\r" in line or "\n" in line:
                raise ValueError("A header may not hold a line break.")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        version, code, answer = self._head()
        interim = 0
        while 100 <= code < 200:  # 100 Continue and the like: the answer follows
            interim += 1
            if interim > 5:
                raise http.client.HTTPException("No answer after five interim ones.")
            version, code, answer = self._head()
        if code in (204, 304):
            text, framed = b"", True
        elif b"chunked" in answer.get(b"transfer-encoding", b"").lower():
            text, framed = self._chunked()
        elif b"content-length" in answer:
            length = int(answer[b"content-length"])
            if length < 0:
                raise ValueError(f"Content-Length {length}")
            text, framed = self._exactly(min(length, _READ_LIMIT)), length <= _READ_LIMIT
        else:  # the body ends when the receiver closes
            text, framed = self._until_close(), False
        keep = (framed and version == b"HTTP/1.1" and not self.buffer
                and answer.get(b"connection", b"").lower() != b"close")
        return code, text, keep

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def _head(self) -> tuple[bytes, int, dict[bytes, bytes]]:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            if len(self.buffer) > _HEAD_LIMIT:
                raise http.client.LineTooLong("the answer's header")
            if not self._fill():
                if self.buffer:
                    raise http.client.IncompleteRead(bytes(self.buffer))
                raise http.client.RemoteDisconnected("The receiver closed the connection "
                                                     "without answering")
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        del self.buffer[:end + 4]
        version, _, rest = lines[0].partition(b" ")
        code = rest[:3]
        if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise http.client.BadStatusLine(lines[0][:100].decode("latin-1"))
        answer = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            answer[name.strip().lower()] = value.strip()
        return version, int(code), answer

    def _exactly(self, length: int) -> bytes:
        while len(self.buffer) < length:
            if not self._fill():
                raise http.client.IncompleteRead(bytes(self.buffer), length - len(self.buffer))
        text = bytes(self.buffer[:length])
        del self.buffer[:length]
        return text

    def _line(self) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            if len(self.buffer) > _HEAD_LIMIT:
                raise http.client.LineTooLong("a chunk's size")
            if not self._fill():
                raise http.client.IncompleteRead(bytes(self.buffer))
        line = bytes(self.buffer[:end])
        del self.buffer[:end + 2]
        return line

    def _chunked(self) -> tuple[bytes, bool]:
        text = bytearray()
        while True:
            size = int(self._line().split(b";")[0], 16)
            if size == 0:
                while self._line():  # trailers, up to the empty line
                    pass
                return bytes(text), True
            if len(text) + size > _READ_LIMIT:
                text += self._exactly(min(size, len(self.buffer)))
                return bytes(text[:_READ_LIMIT]), False
            text += self._exactly(size)
            if self._exactly(2) != b"\r\n":
                raise ValueError("A chunk did not end where its size said.")

    def _until_close(self) -> bytes:
        while len(self.buffer) < _READ_LIMIT and self._fill():
            pass
        text = bytes(self.buffer[:_READ_LIMIT])
        self.buffer.clear()
        return text


_kept = threading.local()


def kept_poster() -> Poster:
    """This thread's Poster, kept from one drain to the next."""
    if not hasattr(_kept, "poster"):
        _kept.poster = Poster()
    return _kept.poster
