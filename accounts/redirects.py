"""Where a learner may be sent after a form: only to this site or another allowed host."""

from __future__ import annotations

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def safe_redirect_url(request, url: str | None) -> str | None:
    """`url` when it points to this host, an `ALLOWED_HOSTS` or a `REDIRECT_HOSTS` host (https
    when the request is), else None: `next` or `successUrl` never sends a learner elsewhere."""
    if not url:
        return None
    named = [*settings.ALLOWED_HOSTS, *getattr(settings, "REDIRECT_HOSTS", [])]
    hosts = {request.get_host(), *(h for h in named if h and "*" not in h)}
    hosts = {h.lstrip(".") for h in hosts}
    if url_has_allowed_host_and_scheme(url, allowed_hosts=hosts,
                                       require_https=request.is_secure()):
        return url
    return None
