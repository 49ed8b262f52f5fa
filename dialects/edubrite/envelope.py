"""EduBrite's envelope: `code` 0 or -1, coded `msgs`, then the payload, as XML with `xml=true`
(CDATA messages, escaped attributes, characters XML cannot carry dropped) or as JSON."""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from dialects.edubrite.params import form_params


def ok(code: str | None = None, message: str | None = None, *, extra_msgs=(),
       **payload) -> Response:
    """A success envelope: code 0, the messages, then the payload elements in order."""
    msgs = [{"code": code, "value": message}] if code and message else []
    msgs += [{"code": c, "value": v} for c, v in extra_msgs]
    return Response({"code": 0, "msgs": msgs, **payload})


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def cdata(value: object) -> str:
    """Text as CDATA; a `]]>` inside is split across two sections so it cannot end it."""
    return "<![CDATA[" + _clean(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _attrs(values: dict) -> str:
    out = []
    for key, value in values.items():
        if value is None or isinstance(value, dict | list):
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else _clean(value)
        out.append(f" {key}={quoteattr(text)}")
    return "".join(out)


def to_xml(envelope: dict) -> str:
    """The envelope as EduBrite's XML (no declaration, no whitespace: byte-stable)."""
    parts = [f'<response code="{int(envelope.get("code", 0))}">']
    msgs = envelope.get("msgs") or []
    if msgs:
        parts.append("<msgs>")
        for msg in msgs:
            parts.append(f"<msg><code>{_clean(msg['code'])}</code>"
                         f"<value>{cdata(msg['value'])}</value></msg>")
        parts.append("</msgs>")
    else:
        parts.append("<msgs/>")
    for key, value in envelope.items():
        if key in ("code", "msgs"):
            continue
        if isinstance(value, list):
            child = key[:-1] if key.endswith("s") else "item"
            parts.append(f"<{key}>")
            parts.extend(f"<{child}{_attrs(row)}/>" for row in value)
            parts.append(f"</{key}>")
        elif isinstance(value, dict):
            parts.append(f"<{key}{_attrs(value)}/>")
    parts.append("</response>")
    return "".join(parts)


class EduBriteXMLRenderer(BaseRenderer):
    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return to_xml(data).encode(self.charset)


def _wants_xml(request) -> bool:
    return (form_params(request).get("xml") or "").strip().lower() == "true"


class EduBriteNegotiation(DefaultContentNegotiation):
    """XML when `xml=true`, JSON otherwise, whatever the Accept header says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = EduBriteXMLRenderer if _wants_xml(request) else JSONRenderer
        for renderer in renderers:
            if isinstance(renderer, wanted):
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)
