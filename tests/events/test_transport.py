"""Posting a webhook (`events.transport`): the answer read by Content-Length, chunked or up to
the close, and the connection kept only when that answer ended cleanly, against a receiver on
loopback that answers with the bytes each test gives."""

import socket
import threading

import pytest

from bench.webhooks import free_port
from events import transport
from events.transport import Poster

HEADERS = {"content-type": "application/json", "webhook-id": "msg_1"}


class Scripted:
    """Answers the n-th request with `answers[n]` (bytes; ("close", bytes): then close;
    None: close without answering), counting the connections it accepted and keeping each
    request's head and body."""

    def __init__(self, answers: list) -> None:
        self.answers, self.requests, self.connections = list(answers), [], 0
        self.port = free_port()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?x=1"

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        data = b""
        with sock:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                while len(data) < length:
                    data += sock.recv(65536)
                self.requests.append((head, data[:length]))
                data = data[length:]
                answer = self.answers.pop(0) if self.answers else None
                if answer is None:
                    return
                if isinstance(answer, tuple):
                    sock.sendall(answer[1])
                    return
                sock.sendall(answer)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def scripted():
    made = []

    def make(*answers):
        made.append(Scripted(list(answers)))
        return made[-1]

    yield make
    for one in made:
        one.close()


def ok(body: bytes = b"{}", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def test_a_post_is_one_request_with_its_path_host_length_and_headers(scripted):
    receiver = scripted(ok())
    answer = Poster().post(receiver.url, b'{"a":1}', HEADERS)
    head, body = receiver.requests[0]
    lines = head.split(b"\r\n")
    assert (answer.code, answer.ok, body) == (200, True, b'{"a":1}')
    assert lines[0] == b"POST /hook?x=1 HTTP/1.1"
    assert {b"Host: 127.0.0.1:%d" % receiver.port, b"Content-Length: 7",
            b"webhook-id: msg_1"} <= set(lines)


def test_a_connection_is_kept_for_the_next_post_after_a_clean_answer(scripted):
    receiver = scripted(ok(), ok(b'{"b":2}'))
    poster = Poster()
    assert poster.post(receiver.url, b"1", HEADERS).code == 200
    second = poster.post(receiver.url, b"2", HEADERS)
    assert (second.code, second.excerpt, receiver.connections) == (200, '{"b":2}', 1)


def test_a_chunked_answer_is_read_to_its_end_and_the_connection_kept(scripted):
    chunked = (b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"4\r\nfail\r\n3;x=y\r\ned!\r\n0\r\nTrailer: z\r\n\r\n")
    receiver = scripted(chunked, ok())
    poster = Poster()
    answer = poster.post(receiver.url, b"1", HEADERS)
    assert (answer.code, answer.ok, answer.excerpt) == (500, False, "failed!")
    assert poster.post(receiver.url, b"2", HEADERS).code == 200
    assert receiver.connections == 1


def test_an_answer_asking_to_close_is_not_kept(scripted):
    receiver = scripted(ok(extra=b"Connection: close\r\n"), ok())
    poster = Poster()
    assert poster.post(receiver.url, b"1", HEADERS).code == 200
    assert poster.post(receiver.url, b"2", HEADERS).code == 200
    assert receiver.connections == 2


def test_an_answer_without_a_length_is_read_up_to_the_close(scripted):
    receiver = scripted(("close", b"HTTP/1.0 404 Not Found\r\n\r\nno such hook"))
    poster = Poster()
    answer = poster.post(receiver.url, b"1", HEADERS)
    assert (answer.code, answer.excerpt) == (404, "no such hook")
    assert poster._connections == {}


def test_an_answer_longer_than_the_read_limit_is_cut_and_its_connection_dropped(
        scripted, monkeypatch):
    monkeypatch.setattr(transport, "_READ_LIMIT", 10)
    receiver = scripted(ok(b"x" * 50), ok())
    poster = Poster()
    answer = poster.post(receiver.url, b"1", HEADERS)
    assert (answer.code, answer.excerpt) == (200, "x" * 10)
    assert poster.post(receiver.url, b"2", HEADERS).code == 200
    assert receiver.connections == 2


def test_an_interim_answer_is_skipped_for_the_final_one(scripted):
    receiver = scripted(b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"done"))
    assert Poster().post(receiver.url, b"1", HEADERS).excerpt == "done"


def test_a_kept_connection_the_receiver_closed_is_posted_again_on_a_new_one(scripted):
    receiver = scripted(ok(extra=b""), None, ok(b"again"))
    poster = Poster()
    assert poster.post(receiver.url, b"1", HEADERS).code == 200
    # the second request finds the connection closed unanswered: sent again on a new one
    answer = poster.post(receiver.url, b"2", HEADERS)
    assert (answer.code, answer.excerpt, receiver.connections) == (200, "again", 2)
    assert [body for _, body in receiver.requests] == [b"1", b"2", b"2"]


def test_an_answer_that_is_not_http_is_a_failure_without_a_code(scripted):
    receiver = scripted(b"SSH-2.0-OpenSSH\r\n\r\n")
    answer = Poster().post(receiver.url, b"1", HEADERS)
    assert (answer.code, answer.ok) == (None, False)
    assert "BadStatusLine" in answer.excerpt


def test_a_receiver_that_closes_without_answering_is_a_failure_without_a_code(scripted):
    receiver = scripted(None)
    answer = Poster().post(receiver.url, b"1", HEADERS)
    assert answer.code is None and "RemoteDisconnected" in answer.excerpt


def test_a_header_with_a_line_break_is_refused_unsent(scripted):
    receiver = scripted(ok())
    answer = Poster().post(receiver.url, b"1", {"webhook-id": "msg_1\r\nX-Evil: 1"})
    assert answer.code is None and receiver.requests == []
