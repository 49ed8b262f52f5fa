"""Jobs in the admin: the list, and each job's page with a live progress bar (it asks
`<id>/progress.json` every second; no page reload), its ETA and a cancel button. Jobs are
started by the work they do (generating, importing, exporting), never added here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from jobs import services
from jobs.models import Job
from jobs.payloads import job_payload


def eta_seconds(job: Job) -> float | None:
    """Seconds left at the pace so far (None before the first chunk or once finished)."""
    if job.is_finished or not job.done or job.started_at is None:
        return None
    elapsed = (timezone.now() - job.started_at).total_seconds()
    return round(elapsed * (job.total - job.done) / job.done, 1)


def progress_body(job: Job) -> dict:
    return {**job_payload(job), "eta_seconds": eta_seconds(job),
            "cancel_requested": job.cancel_requested}


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "status", "progress", "created_by", "created_at",
                    "finished_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in Job._meta.fields]

    @admin.display(description="progress")
    def progress(self, job):
        return format_html("{} / {}", f"{job.done:,}", f"{job.total:,}")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/progress.json", view(self.progress_view),
                 name="jobs_job_progress"),
            path("<uuid:object_id>/cancel/", view(require_POST(self.cancel_view)),
                 name="jobs_job_cancel"),
            *super().get_urls(),
        ]

    def _job(self, request, object_id) -> Job:
        job = self.get_object(request, str(object_id))
        if job is None:
            raise Http404("No such job.")
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return job

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)
        return TemplateResponse(request, "admin/jobs/job/progress.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "job": job,
            "title": f"{job.get_kind_display()} job", "body": progress_body(job),
            "progress_url": reverse("admin:jobs_job_progress", args=[job.pk]),
            "cancel_url": reverse("admin:jobs_job_cancel", args=[job.pk]),
            "result_url": self._result_url(job),
        })

    def progress_view(self, request, object_id):
        job = self._job(request, object_id)
        return JsonResponse({**progress_body(job), "result_url": self._result_url(job)})

    def cancel_view(self, request, object_id):
        job = self._job(request, object_id)
        try:
            services.cancel_job(job)
            self.message_user(request, "Cancelling: the job stops at its next chunk and its "
                                       "partial work is removed.", messages.SUCCESS)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        return redirect("admin:jobs_job_change", job.pk)

    @staticmethod
    def _result_url(job: Job) -> str | None:
        """Where the job's work is, once it succeeded (its code group, its file)."""
        result = job.result or {}
        if job.status != "succeeded":
            return None
        if result.get("code_group"):
            return reverse("admin:redemptions_codegroup_change", args=[result["code_group"]])
        return result.get("download_url")
