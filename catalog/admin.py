"""Staff admin for the catalog, clients and entitlements.

A learner's page (`catalog.panels`) links the grant tools here: grant an item, extend a
grant's end, revoke it — each a page of its own behind `add_entitlement`/`change_entitlement`,
one service call, logged in the admin's history (`core.admin.support_tool`).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminSplitDateTime, AutocompleteSelect
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import path, reverse

from accounts.models import User
from accounts.panels import when
from catalog import services
from catalog.errors import IncludesCycle
from catalog.models import CatalogItem, Client, Entitlement, EntitlementSource
from core.admin import (
    DATE_RANGE,
    CentsField,
    HistoryProtectedAdmin,
    NewEndForm,
    ReasonForm,
    is_new,
    money,
    support_tool,
)
from core.filters import is_uuid


class CatalogItemForm(forms.ModelForm):
    # The model field's rule, with Django 6's default scheme for a URL typed without one.
    url = CatalogItem._meta.get_field("url").formfield(assume_scheme="https")
    price_cents = CentsField(label="Price", required=False)

    class Meta:
        model = CatalogItem
        fields = ["kind", "title", "slug", "external_id", "url", "price_cents", "is_active",
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


class GrantForm(forms.Form):
    item = forms.ModelChoiceField(
        queryset=CatalogItem.objects.all(),
        widget=AutocompleteSelect(Entitlement._meta.get_field("item"), admin.site))
    until = forms.SplitDateTimeField(label="Until", required=False, widget=AdminSplitDateTime,
                                     help_text="Date and time (UTC); empty: no end.")


def _learner_page(user_id) -> str:
    return reverse("admin:accounts_user_change", args=[user_id])


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

    def get_urls(self):
        tool = self.admin_site.admin_view
        return [path("grant/", tool(self.grant_view), name="catalog_entitlement_grant"),
                path("<path:object_id>/extend/", tool(self.extend_view),
                     name="catalog_entitlement_extend"),
                path("<path:object_id>/revoke/", tool(self.revoke_view),
                     name="catalog_entitlement_revoke"),
                *super().get_urls()]

    def _entitlement(self, request, object_id) -> Entitlement:
        entitlement = self.get_object(request, unquote(object_id))
        if entitlement is None:
            raise Http404("No such grant.")
        return entitlement

    def grant_view(self, request):
        """Support tool: grant the learner `?user=` an item, until an optional end."""
        wanted = request.GET.get("user", "")
        learner = User.objects.filter(pk=wanted).first() if is_uuid(wanted) else None
        if learner is None:
            raise Http404("No such learner.")

        def apply(data):
            granted = services.grant_entitlement(
                user=learner, item=data["item"], expires_at=data["until"],
                source=EntitlementSource.MANUAL, granted_by=request.user.email)
            return granted, (f"Granted “{granted.item.title}” to {learner.email} until "
                             f"{when(granted.expires_at) if granted.expires_at else 'no end'}.")

        return support_tool(
            self, request, permission="catalog.add_entitlement", form_class=GrantForm,
            title=f"Grant an item to {learner.email}",
            intro="A staff grant: access to the item (and what it includes) from now.",
            submit="Grant", apply=apply, back_to=_learner_page(learner.pk), adds=True)

    def extend_view(self, request, object_id):
        """Support tool: move a grant's end later."""
        entitlement = self._entitlement(request, object_id)

        def apply(data):
            extended = services.extend_entitlement(entitlement, expires_at=data["until"])
            return extended, (f"Extended “{entitlement.item.title}” for "
                              f"{entitlement.user.email} to {when(extended.expires_at)}.")

        return support_tool(
            self, request, permission="catalog.change_entitlement", form_class=NewEndForm,
            title=f"Extend “{entitlement.item.title}” for {entitlement.user.email}",
            intro=f"The grant ends {when(entitlement.expires_at)}.", submit="Extend",
            apply=apply, back_to=_learner_page(entitlement.user_id))

    def revoke_view(self, request, object_id):
        """Support tool: end a grant now (the confirmation page)."""
        entitlement = self._entitlement(request, object_id)

        def apply(data):
            reason = data["reason"] or f"Revoked by {request.user.email}"
            revoked = services.revoke_entitlement(entitlement, reason=reason)
            return revoked, (f"Revoked “{entitlement.item.title}” for "
                             f"{entitlement.user.email}: {revoked.revoked_reason}")

        return support_tool(
            self, request, permission="catalog.change_entitlement", form_class=ReasonForm,
            title=f"Revoke “{entitlement.item.title}” for {entitlement.user.email}",
            intro="Access through this grant ends now; the grant stays, as history. (A grant "
                  "a redemption made is better undone by rolling the redemption back.)",
            submit="Revoke", apply=apply, back_to=_learner_page(entitlement.user_id))

    @admin.action(description="Revoke the selected grants now")
    def revoke_selected(self, request, queryset):
        count = 0
        for entitlement in queryset.filter(revoked_at__isnull=True):
            services.revoke_entitlement(entitlement, reason=f"Revoked by {request.user.email}")
            count += 1
        self.message_user(request, f"Revoked {count} grant(s).", messages.SUCCESS)
