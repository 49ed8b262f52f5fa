"""Native API for jobs (long work): `GET /api/v1/jobs/{id}`, `POST /api/v1/jobs/{id}/cancel`,
and exports: `POST /api/v1/exports` (a job writing a group's codes to a file) and
`GET /api/v1/exports/{id}/file` (the file, once the job succeeded).

The endpoints that start jobs (`POST /api/v1/code-groups` with a count above 10,000) answer
202 with the job as `JobSerializer` shows it. API keys or staff, like their neighbours.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from dialects.native.base import NativeAPIView
from jobs import selectors, services
from jobs.errors import JobNotFound
from jobs.models import JobKind, JobStatus
from jobs.payloads import job_payload
from redemptions import services as redemption_services
from redemptions.models import CodeGroup

ERRORS = {401: None, 403: None, 404: None}


class JobProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class JobSerializer(serializers.Serializer):
    """A job (`jobs.payloads.job_payload`)."""

    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=JobKind.choices)
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = JobProgressSerializer()
    result = serializers.JSONField(allow_null=True, help_text="What the job made, once it "
                                                              "succeeded.")
    error = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return job_payload(instance)


class JobView(NativeAPIView):
    required_permissions = {"GET": ["jobs.view_job"]}

    @extend_schema(responses={200: JobSerializer, **ERRORS}, operation_id="jobs_retrieve")
    def get(self, request, pk):
        """A job: its status and progress; `result` once it succeeded, `error` if it failed."""
        return Response(job_payload(selectors.job(pk)))


class JobCancelView(NativeAPIView):
    required_permissions = {"POST": ["jobs.change_job"]}

    @extend_schema(request=None, responses={200: JobSerializer, **ERRORS, 409: None},
                   operation_id="jobs_cancel")
    def post(self, request, pk):
        """Cancel a job: a queued one at once, a running one at its next chunk, its partial
        work discarded (409 once it has finished)."""
        return Response(job_payload(services.cancel_job(selectors.job(pk))))


class ExportRequestSerializer(serializers.Serializer):
    code_group = serializers.PrimaryKeyRelatedField(queryset=CodeGroup.objects.all(),
                                                    help_text="The group whose codes to export.")


class ExportView(NativeAPIView):
    required_permissions = {"POST": ["redemptions.view_code", "jobs.add_job"]}

    @extend_schema(request=ExportRequestSerializer, responses={202: JobSerializer, **ERRORS,
                                                               400: None},
                   operation_id="exports_create")
    def post(self, request):
        """Export a group's codes (code, redeemed, redeemedBy, redeemedAt) to a CSV file, as
        a job (202); once it succeeded, `result.download_url` serves the file."""
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = redemption_services.start_code_export(serializer.validated_data["code_group"],
                                                    created_by=request.user)
        return Response(job_payload(job), status=status.HTTP_202_ACCEPTED)


class ExportFileView(NativeAPIView):
    required_permissions = {"GET": ["redemptions.view_code", "jobs.view_job"]}

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY, **ERRORS},
                   operation_id="exports_file")
    def get(self, request, pk):
        """The CSV file of a finished export job."""
        job = selectors.job(pk)
        if job.kind != JobKind.EXPORT_CODES or job.status != JobStatus.SUCCEEDED:
            raise JobNotFound(message="No finished export with this id.")
        return FileResponse(default_storage.open(job.params["file"], "rb"), as_attachment=True,
                            filename=f"codes-{job.pk}.csv", content_type="text/csv")
