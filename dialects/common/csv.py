"""`?format=csv` on the APIs that export codes (the rows: `redemptions.exports`).

`format` is DRF's content-negotiation override, so a view that exports lists `CSVRenderer`
among its renderers and streams its own rows. Errors on such a view still render as JSON in the
view's own envelope.

A download is complete or visibly not given: a whole group above `CSV_STREAM_MAX_CODES` codes
is answered 202 with the export job that writes it to a file (each dialect renders the job in
its own envelope: `csv_job_response`; credentials that may not start jobs get a 403), and a
filtered list matching more than that is a 400
asking for narrower filters or the whole group's export — never a stream cut off by a timeout
after its 200.
"""

from __future__ import annotations

from django.conf import settings
from django.http import StreamingHttpResponse
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from accounts.permissions import holds
from jobs.models import Job
from redemptions import services
from redemptions.exports import codes_csv_response, exports_by_job, more_than
from redemptions.models import CodeGroup

EXPORT_JOB_PERMISSIONS = ["jobs.add_job"]  # as POST /api/v1/exports asks (with view_code)


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data  # the view streams its own rows; only errors pass here (and go as JSON)


class CodeCsvExportMixin:
    """For a view with a codes list: `?format=csv` streams them, or answers with the export
    job when there are too many to stream; errors stay JSON."""

    def wants_csv(self) -> bool:
        renderer = getattr(self.request, "accepted_renderer", None)
        return isinstance(renderer, CSVRenderer)

    def csv_response(self, codes, group: CodeGroup, *,
                     filtered: bool = False) -> StreamingHttpResponse | Response:
        """The codes streamed; for a whole group too big to stream, 202 with its export job;
        for filtered codes too many to stream, a 400."""
        if not filtered:
            if exports_by_job(group):
                if not holds(self.request.user, EXPORT_JOB_PERMISSIONS):
                    raise PermissionDenied(
                        f"More than {settings.CSV_STREAM_MAX_CODES:,} codes: too many to "
                        "download at once, and these credentials may not start the export "
                        "job that writes them to a file.")
                job = services.start_code_export(group, created_by=self.request.user)
                self.request.accepted_renderer = JSONRenderer()
                self.request.accepted_media_type = JSONRenderer.media_type
                return self.csv_job_response(job)
        elif more_than(codes, settings.CSV_STREAM_MAX_CODES):
            raise ValidationError({"format": [
                f"More than {settings.CSV_STREAM_MAX_CODES:,} codes match: too many to "
                "download at once. Narrow the filters, or export the whole group (without "
                "filters: the export job writes it to a file)."]})
        return codes_csv_response(codes, group)

    def csv_job_response(self, job: Job) -> Response:
        """202 with the export job, as this dialect shows it."""
        raise NotImplementedError

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "status_code", 200) >= 400 and self.wants_csv():
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
