"""What the redemption APIs (and the admin) share that is not a dialect: the streamed CSV
export of codes (each code as stored, and as learners see it with its redemption link).

`?format=csv` goes through DRF's content negotiation (`format` is its override parameter), so a
view that exports lists `CSVRenderer` among its renderers; the rows themselves are streamed
from a chunked iterator, never built in memory. Errors on such a view still render as JSON in
the view's own envelope.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils.text import slugify
from rest_framework.renderers import BaseRenderer, JSONRenderer

from core.time import iso_millis_z
from redemptions.codes import nice_code
from redemptions.models import Code, CodeGroup
from redemptions.selectors import redemption_url

CSV_COLUMNS = ["code", "redeemed", "redeemedBy", "redeemedAt", "niceCode", "redemptionUrl"]
CSV_CHUNK = 2000


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data  # the view streams its own rows; only errors pass here (and go as JSON)


class _Echo:
    def write(self, value: str) -> str:
        return value


def redeemed_by(code: Code) -> list[str]:
    """Emails of the learners holding a standing redemption of `code` (prefetched)."""
    return [r.user.email for r in getattr(code, "standing_redemptions", [])]


def code_csv_rows(codes) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for code in codes.iterator(chunk_size=CSV_CHUNK):
        yield writer.writerow([
            code.display_code(),
            "true" if code.redemptions_count else "false",
            ";".join(redeemed_by(code)),
            iso_millis_z(code.last_redeemed_at) or "",
            nice_code(code.display_code()),
            redemption_url(code),
        ])


def codes_csv_response(codes, group: CodeGroup | None) -> StreamingHttpResponse:
    """`codes` (with their redeemers: `selectors.codes_with_redeemers`) as a streamed CSV
    download named after the group (the APIs and the admin)."""
    name = slugify(group.label)[:50] if group is not None else ""
    response = StreamingHttpResponse(code_csv_rows(codes), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name or "codes"}-codes.csv"'
    return response


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
