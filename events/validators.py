"""Field rules for webhook endpoints, written once: the services, the admin form and the API
call them.

`check_webhook_url` is the SSRF guard: a URL whose host resolves to a loopback, link-local,
private, multicast, reserved or unspecified address is refused (unless
`WEBHOOKS_ALLOW_PRIVATE` is on, as in development and the tests). Delivery checks again before
each send, since DNS may change after the endpoint was saved.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings

from events.errors import UnknownEventKind, WebhookUrlInvalid, WebhookUrlPrivate
from events.models import EventKind


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(info[4][0].split("%")[0])
                for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise WebhookUrlInvalid(message=f"The host {host!r} does not resolve.",
                                field="url") from exc


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not (address.is_loopback or address.is_link_local or address.is_private
                or address.is_multicast or address.is_reserved or address.is_unspecified)


def check_webhook_url(url: str) -> str:
    """The URL, stripped, if webhooks may be sent to it; else WebhookUrlInvalid or
    WebhookUrlPrivate (field `url`)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise WebhookUrlInvalid(field="url") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise WebhookUrlInvalid(field="url")
    if parts.username or parts.password:
        raise WebhookUrlInvalid(message="Put no user name or password in a webhook URL; "
                                        "receivers check the signature.", field="url")
    addresses = _addresses(parts.hostname, port)
    if not settings.WEBHOOKS_ALLOW_PRIVATE and not all(map(_is_public, addresses)):
        raise WebhookUrlPrivate(field="url")
    return url


def clean_kinds(kinds: Iterable[str] | None) -> list[str]:
    """The kinds an endpoint subscribes to, each known, in the catalogue's order (empty: all)."""
    if kinds is None:
        return []
    if isinstance(kinds, str) or not isinstance(kinds, Iterable):
        raise UnknownEventKind(message="Give the kinds as a list.", field="kinds")
    wanted = set()
    for kind in kinds:
        if kind not in EventKind.values:
            raise UnknownEventKind(
                message=f"Unknown event kind {str(kind)[:60]!r}; the kinds are "
                        f"{', '.join(EventKind.values)}.", field="kinds")
        wanted.add(kind)
    return [kind for kind in EventKind.values if kind in wanted]
