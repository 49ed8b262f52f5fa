"""The bodies and query strings every API dialect reads: bounded and checked once, here.

Every DRF view parses bodies with these parsers (`DEFAULT_PARSER_CLASSES`; Tizra's lenient JSON
parser subclasses the JSON one), and every dialect's base view calls `check_request` before
content negotiation, credentials or throttles (`dialects.common.base.DialectMixin`). So, in the
dialect's own envelope and before a credential is looked up:

- a body over `DATA_UPLOAD_MAX_MEMORY_SIZE`, a form or query string over
  `DATA_UPLOAD_MAX_NUMBER_FIELDS` fields (Django's limits, which it answers with an HTML 400
  logged as a security error) and a JSON body nested deeper than `MAX_JSON_DEPTH` are 400s.
  The depth is counted on the text before `json.loads` sees it (strings skipped, linear, no
  recursion), so neither a thousand levels nor a hundred thousand reach the decoder;
- a NUL or a lone surrogate in any string — a JSON key or value at any depth, a form or query
  field or its name, a URL parameter — is a 400 naming where it is (`redemption_code.code`,
  `[2].access-code`). Nothing downstream meets one: PostgreSQL refuses NUL in text, a surrogate
  cannot be encoded for a cache key or a response, and messages echo what was sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import accumulate

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import QueryDict
from rest_framework import exceptions, parsers
from rest_framework.utils import json

from core.errors import BodyTooDeep, BodyTooLarge, TooManyFields, UnstorableText

MAX_JSON_DEPTH = 32  # Entitle's deepest body (a Tizra array of codes) nests 3 levels
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# A JSON string, possessive so it never backtracks; an unterminated one runs to the end.
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.?)*+"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")  # depth does not care which kind of bracket
_EMPTY_PAIRS = re.compile(rb"(?:\[\])++")
_PASSES = 4  # each pass drops the innermost pairs: one level of a balanced body
_STEP = [0] * 256
_STEP[ord("[")], _STEP[ord("]")] = 1, -1
_CHUNK = 65536


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects of JSON `text` nest deeper than `limit`.

    Only brackets outside strings count. A few passes drop the innermost empty pairs (`[]`,
    `{}`: the whole of a wide, shallow body), then the running depth of what is left is summed
    in C (`accumulate`) a chunk at a time, stopping at the first chunk that goes too deep — so
    megabytes take milliseconds and nothing recurses."""
    if text.count("[") + text.count("{") <= limit:
        return False
    outside = _JSON_STRING.sub("", text).encode("utf-8", "surrogatepass")
    brackets = outside.translate(_ONE_KIND, _NOT_BRACKETS)
    for _ in range(_PASSES):
        brackets = _EMPTY_PAIRS.sub(b"", brackets)
    depth = 0
    for start in range(0, len(brackets), _CHUNK):
        steps = list(accumulate(map(_STEP.__getitem__, brackets[start:start + _CHUNK]),
                                initial=depth))
        if max(steps) + _PASSES > limit:
            return True
        depth = steps[-1]
    return False


def _shown(name: str) -> str:
    """A field name safe to echo: its NULs and surrogates as `\\u` escapes."""
    return UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def _text_of(value: object) -> str:
    """A form value's text; an uploaded file (multipart: DRF puts files beside the fields)
    by its name, since its content is the upload's reader's to check."""
    return value if isinstance(value, str) else str(getattr(value, "name", "") or "")


def unstorable_field(value: object, path: str = "") -> str | None:
    """The path of the first key or string in `value` holding a NUL or a lone surrogate."""
    if isinstance(value, str):
        return path if UNSTORABLE.search(value) else None
    if isinstance(value, QueryDict):  # a form or query string: flat, names as sent
        for key, values in value.lists():
            if UNSTORABLE.search(key) or any(UNSTORABLE.search(_text_of(v)) for v in values):
                return key
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if UNSTORABLE.search(str(key)):
                return name
            found = unstorable_field(item, name)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = unstorable_field(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def refuse_unstorable(value: object) -> None:
    field = unstorable_field(value)
    if field is not None:
        field = _shown(field)
        raise UnstorableText(message=f"{field} cannot contain a NUL character or a lone "
                                     "surrogate.", field=field)


def _encoding(parser_context) -> str:
    return (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)


def load_json(text: str, *, strict: bool = True) -> object:
    """`json.loads` for text from outside: `BodyTooDeep` past `MAX_JSON_DEPTH` (before
    decoding), `ValueError` if malformed (NaN and Infinity too, when `strict`, as DRF's
    parser). Its strings are checked by the caller (`refuse_unstorable`)."""
    if json_too_deep(text):
        raise BodyTooDeep(message=f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
    return json.loads(text, parse_constant=json.strict_constant if strict else None)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded in depth (`load_json`)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return load_json(stream.read().decode(_encoding(parser_context)), strict=self.strict)
        except (ValueError, LookupError) as exc:  # UnicodeDecodeError is a ValueError
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None


class FormParser(parsers.FormParser):
    """Form bodies, with Django's field-count limit as a 400 in the dialect's envelope."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return QueryDict(stream.read(), encoding=_encoding(parser_context))
        except TooManyFieldsSent:
            raise TooManyFields(message="The form has more than "
                                        f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields.") \
                from None


class MultiPartParser(parsers.MultiPartParser):
    """Multipart forms, with Django's limits as 400s in the dialect's envelope."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except (TooManyFieldsSent, TooManyFilesSent):
            raise TooManyFields(message="The form has too many fields or files.") from None
        except RequestDataTooBig:
            raise _too_large() from None


def check_request(request, url_kwargs: Mapping[str, object]) -> None:
    """Refuse, before anything else looks at it, a request whose URL parameters, query string
    or body hold what no dialect can store or echo (see the module docstring)."""
    refuse_unstorable(dict(url_kwargs))
    try:
        query = request.query_params
    except TooManyFieldsSent:
        raise TooManyFields(message="The query string has more than "
                                    f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields.") from None
    refuse_unstorable(query)
    # Parse the body now, so the parsers above refuse first; a media type no parser reads is
    # left to the view, which may not read a body at all. The strings are checked once parsed
    # (not in the parsers), so a refusal still knows what was asked (EduBrite's `xml=true`).
    try:
        data = request.data
    except exceptions.UnsupportedMediaType:
        return
    except RequestDataTooBig:  # Django's own limit, met reading `request.body`
        raise _too_large() from None
    refuse_unstorable(data)
    refuse_unstorable(dict.fromkeys(request.FILES, ""))  # the files' field names


def _too_large() -> BodyTooLarge:
    return BodyTooLarge(message="The request body is larger than "
                                f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
