"""Staff admin for events (read-only), webhook endpoints and their deliveries.

An endpoint is made, changed and given a new secret through `events.services`, so the admin
keeps the API's rules (the SSRF guard, known kinds); its secret is shown once, in the message
after saving or rotating. Deliveries are read-only history with every attempt; staff retry
one, a selection, or all failed ones of an endpoint.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from core.admin import HistoryProtectedAdmin, ReadOnlyAdmin, ReadOnlyInline, held
from core.errors import DomainError
from events import services
from events.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Event,
    EventKind,
    WebhookEndpoint,
)
from events.validators import check_webhook_url


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "occurred_at", "user", "object_type", "object_id"]
    list_filter = ["kind"]
    search_fields = ["=id", "object_id", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["id", "kind", "occurred_at", "user", "object_type", "object_id",
                       "group_id", "data"]
    date_hierarchy = "occurred_at"


EDITABLE = ["url", "description", "kinds", "is_active"]


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    kinds = forms.MultipleChoiceField(choices=EventKind.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple,
                                      help_text="None ticked: every kind.")

    class Meta:
        model = WebhookEndpoint
        fields = EDITABLE

    def clean_url(self):
        try:
            return check_webhook_url(self.cleaned_data["url"])
        except DomainError as exc:
            raise ValidationError(exc.message) from exc


class AttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ["attempted_at", "succeeded", "response_code", "latency_ms", "excerpt"]


def _show_secret(admin_view, request, endpoint) -> None:
    admin_view.message_user(
        request, f"Signing secret for {endpoint.url} (shown this once; keep it): "
                 f"{endpoint.secret}", messages.WARNING)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(HistoryProtectedAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "is_active", "kinds", "failing_since", "deactivated_reason"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    readonly_fields = ["failing_since", "deactivated_at", "deactivated_reason", "created_at",
                       "updated_at"]
    actions = ["rotate_secrets", "retry_failed_deliveries"]

    def history_refusal(self, obj) -> str | None:
        count = obj.deliveries.count()
        if not count:
            return None
        return (f"{obj} holds {held({'delivery(ies)': count})}: switch it off (untick "
                "“is active”) instead.")

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in EDITABLE if name in form.cleaned_data}
        if change:
            services.update_endpoint(obj, **fields)
            return
        made = services.create_endpoint(**fields)
        obj.pk = made.pk
        _show_secret(self, request, made)

    @admin.action(description="Rotate the signing secret (shown once)")
    def rotate_secrets(self, request, queryset):
        for endpoint in queryset:
            _show_secret(self, request, services.rotate_secret(endpoint))

    @admin.action(description="Retry every failed delivery")
    def retry_failed_deliveries(self, request, queryset):
        count = sum(services.retry_failed(endpoint) for endpoint in queryset)
        self.message_user(request, f"{count} failed deliveries will be sent again now.")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "endpoint", "event", "status", "attempts", "last_response_code",
                    "next_attempt_at", "delivered_at"]
    list_filter = ["status", "endpoint"]
    list_select_related = ["endpoint", "event"]
    search_fields = ["=event__id", "endpoint__url"]
    readonly_fields = ["endpoint", "event", "status", "attempts", "next_attempt_at",
                       "leased_until", "last_response_code", "last_error", "delivered_at",
                       "created_at", "updated_at"]
    inlines = [AttemptInline]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry now")
    def retry(self, request, queryset):
        retried = 0
        for delivery in queryset.exclude(status=DeliveryStatus.SUCCEEDED):
            services.retry_delivery(delivery)
            retried += 1
        self.message_user(request, f"{retried} deliveries will be sent again now.")
