"""JSON answers written out piece by piece, byte for byte as DRF's `JSONRenderer` writes them.

A list of 10,000 objects that differ in a few values (Zype's bulk create: ~50 MB) costs more
to build as dicts and encode than to write: `template` renders one object through DRF's own
renderer with a marker in place of each varying value and cuts it there, so separators,
escaping and the renderer's settings stay DRF's; the caller joins the pieces with values that
need no escaping. `written_json_response` answers the bytes when the request negotiated plain
JSON, and otherwise (the browsable API, `indent=`) renders them again as data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

_MARK = "\x00written-json-{}\x00"  # rendered as \u0000…\u0000: found once or refused
# values the pieces may be joined with as they are: nothing JSON escapes in a string (nor a
# URL quotes)
PLAIN = re.compile(r"[0-9A-Za-z_.~-]*")


def render(data: object) -> bytes:
    return JSONRenderer().render(data)


def template(data: object, names: Sequence[str]) -> list[bytes] | None:
    """`render(data)` cut at the marker `mark(name)` of each of `names`, in that order (each
    marker standing alone in, or inside, a string of `data`): len(names) + 1 pieces; None
    when a marker is not found exactly once in that order (data holding a NUL character)."""
    rendered = render(data)
    marks = [render(mark(name))[1:-1] for name in names]
    pieces, rest = [], rendered
    for marked in marks:
        if rendered.count(marked) != 1:
            return None
        before, found, rest = rest.partition(marked)
        if not found:
            return None
        pieces.append(before)
    pieces.append(rest)
    return pieces


def mark(name: str) -> str:
    return _MARK.format(name)


def list_envelope(key: str) -> tuple[bytes, bytes, bytes]:
    """`{key: [...]}` as the renderer writes it: (opening, separator, closing)."""
    opening, separator, closing = render({key: [None, None]}).split(b"null")
    return opening, separator, closing


class PiecesResponse(HttpResponse):
    """An answer whose body is `pieces` joined, joined a group at a time as the server sends
    it (50 MB need not be joined before the first byte goes out), its Content-Length
    counted from them; `content` joins them all (the test client, a middleware)."""

    GROUP = 1_000  # pieces joined into one write

    def __init__(self, pieces: list[bytes], **kwargs):
        super().__init__(**kwargs)
        self.pieces = pieces
        self.headers["Content-Length"] = str(sum(map(len, pieces)))

    @property
    def content(self) -> bytes:
        return b"".join(self.pieces)

    @content.setter
    def content(self, value) -> None:
        self.pieces = [self.make_bytes(value)]

    def __iter__(self):
        for start in range(0, len(self.pieces), self.GROUP):
            yield b"".join(self.pieces[start:start + self.GROUP])


def written_json_response(request, pieces: list[bytes], status: int) -> HttpResponse | Response:
    """`pieces` joined (what `JSONRenderer().render(data)` writes) as the answer DRF would
    give for `data`: as they are when the request negotiated plain JSON, else rendered
    again."""
    renderer = getattr(request, "accepted_renderer", None)
    media_type = getattr(request, "accepted_media_type", None)
    if type(renderer) is JSONRenderer and renderer.get_indent(media_type, {}) is None:
        return PiecesResponse(pieces, status=status, content_type=renderer.media_type)
    return Response(json.loads(b"".join(pieces)), status=status)
