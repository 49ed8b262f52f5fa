"""Reads of accounts shared by the APIs: resolving a learner group from an id or a path.

Group paths (EduBrite's syntax, seed 004)::

    path    = segment ("/" segment)*
    segment = "*" | "{" key ":" value "}"
    key     = "name" | "code"
    value   = '"' text '"' | "'" text "'" | bare text up to "}"

Spaces around segments, keys, colons and values are ignored, so `{name:"Training"}/{name:
"Corporate"}/*` and `{ name : "Training" } / * ` are the same path. Inside quotes a backslash
escapes the next character and `/` or `}` are plain text. A path is anchored at the top: its
first segment matches groups without a parent, each next segment the children of the groups the
previous one matched. `*` matches any group at that level; `name` and `code` match
case-insensitively. A path must resolve to exactly one group.

`resolve_group_path` also takes a plain group id (a UUID), so every parameter that names a group
("ID or path of the group") goes through it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.errors import GroupNotFound, GroupPathAmbiguous, GroupPathInvalid
from accounts.models import LearnerGroup, Membership

MAX_DEPTH = 20
_KEYS = ("name", "code")


@dataclass(frozen=True)
class Segment:
    """One level of a group path: `key` is "name", "code" or None for `*`."""

    key: str | None
    value: str = ""

    def __str__(self) -> str:
        if self.key is None:
            return "*"
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{{{self.key}: "{escaped}"}}'


def parse_group_path(text: str) -> list[Segment]:
    """The segments of a group path, or `GroupPathInvalid` saying where it went wrong."""
    parser = _Parser(str(text))
    segments = parser.parse()
    if len(segments) > MAX_DEPTH:
        raise GroupPathInvalid(message=f"A group path has at most {MAX_DEPTH} segments.")
    return segments


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str):
        raise GroupPathInvalid(
            message=f"Invalid group path {self.text!r}: {what} at character {self.pos + 1}. "
                    'Write segments like {name: "Training"}, {code: "CORP"} or *, joined by /.')

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> list[Segment]:
        segments = [self.segment()]
        self.skip_spaces()
        while self.peek() == "/":
            self.pos += 1
            segments.append(self.segment())
            self.skip_spaces()
        if self.pos != len(self.text):
            self.fail(f"unexpected {self.peek()!r}")
        return segments

    def segment(self) -> Segment:
        self.skip_spaces()
        char = self.peek()
        if char == "*":
            self.pos += 1
            return Segment(None)
        if char != "{":
            self.fail("expected * or {" if char else "expected a segment")
        self.pos += 1
        self.skip_spaces()
        start = self.pos
        while self.peek().isalpha():
            self.pos += 1
        key = self.text[start:self.pos].lower()
        if key not in _KEYS:
            self.pos = start
            self.fail("expected name or code")
        self.skip_spaces()
        if self.peek() != ":":
            self.fail("expected :")
        self.pos += 1
        self.skip_spaces()
        value = self.quoted() if self.peek() in ('"', "'") else self.bare()
        self.skip_spaces()
        if self.peek() != "}":
            self.fail("expected }")
        self.pos += 1
        if not value.strip():
            self.fail(f"empty {key}")
        return Segment(key, value.strip())

    def quoted(self) -> str:
        quote = self.peek()
        self.pos += 1
        out = []
        while True:
            char = self.peek()
            if not char:
                self.fail("unterminated quote")
            self.pos += 1
            if char == "\\" and self.peek():
                out.append(self.peek())
                self.pos += 1
            elif char == quote:
                return "".join(out)
            else:
                out.append(char)

    def bare(self) -> str:
        start = self.pos
        while self.peek() and self.peek() not in "}/":
            self.pos += 1
        return self.text[start:self.pos]


def groups_matching(segments: list[Segment]) -> QuerySet[LearnerGroup]:
    """The groups a parsed path matches, in one query (joins up the parent chain)."""
    depth = len(segments)
    lookups: dict[str, object] = {}
    for level, segment in enumerate(reversed(segments)):
        prefix = "parent__" * level
        if segment.key is not None:
            lookups[f"{prefix}{segment.key}__iexact"] = segment.value
    lookups["parent__" * (depth - 1) + "parent__isnull"] = True
    return LearnerGroup.objects.filter(**lookups)


def resolve_group_path(ref: object) -> LearnerGroup:
    """The one group named by an id or a path; `GroupNotFound` / `GroupPathAmbiguous` if not."""
    text = str(ref if ref is not None else "").strip()
    if not text:
        raise GroupPathInvalid(message="Give a group id or a group path.")
    if "\x00" in text:
        raise GroupPathInvalid(message="A group path cannot contain NUL characters.")
    try:
        group_id = uuid.UUID(text)
    except ValueError:
        group_id = None
    if group_id is not None:
        group = LearnerGroup.objects.filter(pk=group_id).first()
        if group is None:
            raise GroupNotFound(message=f"No group has the id {text}.")
        return group
    segments = parse_group_path(text)
    shown = "/".join(str(s) for s in segments)
    found = list(groups_matching(segments)[:2])
    if not found:
        raise GroupNotFound(message=f"No group matches {shown}.")
    if len(found) > 1:
        count = groups_matching(segments).count()
        raise GroupPathAmbiguous(
            message=f"{count} groups match {shown}; a path must name exactly one group.")
    return found[0]


def memberships_expiring(since, until) -> QuerySet[Membership]:
    """Memberships ending in the window, soonest first (the staff dashboard)."""
    return Membership.objects.filter(expires_at__gte=since, expires_at__lte=until)\
        .select_related("user", "group").order_by("expires_at", "pk")
