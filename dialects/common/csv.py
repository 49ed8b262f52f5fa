"""`?format=csv` on the APIs that export codes (the rows: `redemptions.exports`).

`format` is DRF's content-negotiation override, so a view that exports lists `CSVRenderer`
among its renderers and streams its own rows. Errors on such a view still render as JSON in the
view's own envelope.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer, JSONRenderer

from redemptions.exports import codes_csv_response
from redemptions.models import CodeGroup


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data  # the view streams its own rows; only errors pass here (and go as JSON)


class CodeCsvExportMixin:
    """For a view with a codes list: `?format=csv` streams them; errors stay JSON."""

    def wants_csv(self) -> bool:
        renderer = getattr(self.request, "accepted_renderer", None)
        return isinstance(renderer, CSVRenderer)

    def csv_response(self, codes, group: CodeGroup | None) -> StreamingHttpResponse:
        return codes_csv_response(codes, group)

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "status_code", 200) >= 400 and self.wants_csv():
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
