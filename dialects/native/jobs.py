"""Native API for jobs (long work): `GET /api/v1/jobs/{id}` and `POST /api/v1/jobs/{id}/cancel`.

The endpoints that start jobs (`POST /api/v1/code-groups` with a count above 10,000) answer
202 with the job as `JobSerializer` shows it. API keys or staff, like their neighbours.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from dialects.native.base import NativeAPIView
from jobs import selectors, services
from jobs.models import JobKind, JobStatus
from jobs.payloads import job_payload

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
    @extend_schema(responses={200: JobSerializer, **ERRORS}, operation_id="jobs_retrieve")
    def get(self, request, pk):
        """A job: its status and progress; `result` once it succeeded, `error` if it failed."""
        return Response(job_payload(selectors.job(pk)))


class JobCancelView(NativeAPIView):
    @extend_schema(request=None, responses={200: JobSerializer, **ERRORS, 409: None},
                   operation_id="jobs_cancel")
    def post(self, request, pk):
        """Cancel a job: a queued one at once, a running one at its next chunk, its partial
        work discarded (409 once it has finished)."""
        return Response(job_payload(services.cancel_job(selectors.job(pk))))
