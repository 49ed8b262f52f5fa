"""Staff admin for the catalog, clients and entitlements."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from catalog import services
from catalog.errors import IncludesCycle
from catalog.models import CatalogItem, Client, Entitlement
from core.admin import DATE_RANGE, CentsField, HistoryProtectedAdmin, is_new, money


class CatalogItemForm(forms.ModelForm):
    price_cents = CentsField(label="Price", required=False)

    class Meta:
        model = CatalogItem
        fields = ["kind", "title", "slug", "external_id", "price_cents", "is_active",
                  "excluded_from_site_coupons", "includes"]

    def clean_price_cents(self):
        return self.cleaned_data.get("price_cents") or 0  # empty: free

    def clean_kind(self):
        kind = self.cleaned_data.get("kind")
        if not is_new(self.instance):
            stored = CatalogItem.objects.get(pk=self.instance.pk)
            refusal = services.kind_change_refusal(stored, kind)
            if refusal:
                raise ValidationError(refusal.message)
        return kind

    def clean_includes(self):
        included = self.cleaned_data.get("includes") or []
        if not is_new(self.instance):
            try:
                services.check_includes(self.instance, list(included))
            except IncludesCycle as exc:
                raise ValidationError(exc.message) from exc
        return included


@admin.register(CatalogItem)
class CatalogItemAdmin(HistoryProtectedAdmin):
    form = CatalogItemForm
    list_display = ["title", "kind", "external_id", "price", "is_active", "created_at"]
    list_filter = ["kind", "is_active", "excluded_from_site_coupons", ("created_at", DATE_RANGE)]
    search_fields = ["title", "slug", "external_id"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["includes"]

    @admin.display(description="price", ordering="price_cents")
    def price(self, item):
        return money(item.price_cents)

    def history_refusal(self, item):
        refusal = services.deletion_refusal(item)  # whatever points at it, from any app
        return refusal.message if refusal else None

    def delete_object(self, item):
        services.delete_item(item)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # The service re-checks a kind change under the item's lock.
        changed = {name: form.cleaned_data[name] for name in form.changed_data
                   if name != "includes"}
        services.update_item(obj, **changed)

    def save_related(self, request, form, formsets, change):
        # Re-check under the includes-graph lock: the form's check ran without it.
        included = list(form.cleaned_data.get("includes") or [])
        form.cleaned_data["includes"] = included
        super().save_related(request, form, formsets, change)
        services.set_includes(form.instance, included)


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "school_name", "created_at"]
    search_fields = ["name", "school_name"]
    autocomplete_fields = ["courses", "learning_paths", "course_tags"]


@admin.register(Entitlement)
class EntitlementAdmin(HistoryProtectedAdmin):
    list_display = ["user", "item", "source", "starts_at", "expires_at", "revoked_at",
                    "preview_only"]
    list_filter = ["source", "preview_only", ("starts_at", DATE_RANGE),
                   ("expires_at", DATE_RANGE), ("revoked_at", DATE_RANGE)]
    list_select_related = ["user", "item"]
    search_fields = ["user__email", "item__title", "source_ref"]
    autocomplete_fields = ["user", "item"]
    readonly_fields = ["source", "source_ref", "revoked_at", "revoked_reason", "granted_by",
                       "created_at", "updated_at"]
    actions = ["revoke_selected"]

    always_history = ("A grant is history and is never deleted. Revoke it instead (the "
                      "“Revoke” action): access ends at once and the record stays.")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user.email
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke the selected grants now")
    def revoke_selected(self, request, queryset):
        count = 0
        for entitlement in queryset.filter(revoked_at__isnull=True):
            services.revoke_entitlement(entitlement, reason=f"Revoked by {request.user.email}")
            count += 1
        self.message_user(request, f"Revoked {count} grant(s).", messages.SUCCESS)
