"""Jobs in the admin: read-only (a job is started by the work it does)."""

from django.contrib import admin

from jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["kind", "status", "done", "total", "created_by", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False  # jobs are started by what they do (generate, import, export)

    def has_change_permission(self, request, obj=None):
        return False
