"""Staff admin for people, groups, tags and API keys.

A learner's page shows, read-only, everything they hold and why: what they may open now
(`catalog.selectors.holdings`, with what granted it and through which bundle), then the
history behind it — grants, redemptions, license seats, coupon usages — each the latest
`PANEL_ROWS` with a link to the full list; memberships and tags are the inlines below.
A learner who holds history is not deleted: the delete page says so and suggests
deactivating the account.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey as LibraryApiKey

from accounts import services
from accounts.models import ApiKey, LearnerGroup, Membership, User, UserTag
from catalog.selectors import holdings
from core.admin import HistoryProtectedAdmin, held

PANEL_ROWS = 50


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "—"


def _section(title, queryset, *, admin_name, headings, cells, user):
    """One table of the panel: the latest rows of `queryset` (a user's related rows)."""
    changelist = reverse(f"admin:{admin_name}_changelist")
    return {
        "title": title, "count": queryset.count(), "headings": headings,
        "all_url": f"{changelist}?user={user.pk}",
        "rows": [{"url": reverse(f"admin:{admin_name}_change", args=[row.pk]),
                  "cells": cells(row)} for row in queryset[:PANEL_ROWS]],
    }


def what_they_hold(user: User) -> str:
    """The read-only panel of the user's page (HTML)."""
    sections = [
        _section("Grants", user.entitlements.select_related("item").order_by("-created_at"),
                 admin_name="catalog_entitlement", user=user,
                 headings=["Item", "Source", "Reference", "From", "Until", "Revoked"],
                 cells=lambda e: [e.item.title, e.get_source_display(), e.source_ref or "—",
                                  _when(e.starts_at), _when(e.expires_at),
                                  _when(e.revoked_at)]),
        _section("Redemptions", user.redemptions.select_related("code", "code__group")
                 .order_by("-redeemed_at", "-id"), admin_name="redemptions_redemption",
                 user=user, headings=["Code", "Group", "Redeemed", "IP", "Rolled back"],
                 cells=lambda r: [r.code.code, r.code.group.label if r.code.group else "—",
                                  _when(r.redeemed_at), r.ip or "—",
                                  f"{_when(r.rolled_back_at)} {r.rolled_back_reason}"
                                  if r.rolled_back_at else "—"]),
        _section("License seats", user.seats.select_related("license")
                 .order_by("-assigned_at"), admin_name="licensing_seat", user=user,
                 headings=["License", "Assigned", "Until", "Revoked", "Source"],
                 cells=lambda s: [s.license.name, _when(s.assigned_at), _when(s.expires_at),
                                  f"{_when(s.revoked_at)} {s.revoked_reason}"
                                  if s.revoked_at else "—", s.source]),
        _section("Coupon usages", user.coupon_usages.select_related("coupon", "item")
                 .order_by("-created_at"), admin_name="coupons_couponusage", user=user,
                 headings=["Coupon", "Item", "Status", "Used", "Decided"],
                 cells=lambda u: [u.coupon.code, u.item.title, u.get_status_display(),
                                  _when(u.created_at), _when(u.decided_at)]),
    ]
    return render_to_string("admin/accounts/user/what_they_hold.html",
                            {"holdings": holdings(user), "sections": sections})


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["group", "user"]


class UserTagInline(admin.TabularInline):
    model = UserTag
    extra = 0


@admin.register(User)
class UserAdmin(HistoryProtectedAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["date_joined", "last_login", "updated_at", "holds"]
    inlines = [MembershipInline, UserTagInline]
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name")}),
        ("What they hold, and why", {"fields": ("holds",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("email", "full_name", "password1", "password2")}),)

    @admin.display(description="Access and history")
    def holds(self, user):
        return what_they_hold(user) if user.pk else "—"

    def history_refusal(self, user):
        history = held({"grant(s)": user.entitlements.count(),
                        "redemption(s)": user.redemptions.count(),
                        "seat(s)": user.seats.count(),
                        "coupon usage(s)": user.coupon_usages.count()})
        if not history:
            return None
        return (f"{user.email} has {history}: that history is kept, so the account is not "
                "deleted. Untick “Active” to stop them logging in, and revoke or roll back "
                "what they hold.")


class LearnerGroupForm(forms.ModelForm):
    class Meta:
        model = LearnerGroup
        fields = ["name", "code", "parent"]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        node, seen = parent, set()
        while node is not None and node.pk not in seen and self.instance.pk:
            if node.pk == self.instance.pk:
                raise ValidationError("A group cannot sit under itself or one of its "
                                      "subgroups.")
            seen.add(node.pk)
            node = node.parent
        return parent


@admin.register(LearnerGroup)
class LearnerGroupAdmin(HistoryProtectedAdmin):
    form = LearnerGroupForm
    list_display = ["name", "code", "parent", "created_at"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        services.set_group_parent(obj, form.cleaned_data.get("parent"))  # re-checked, locked

    def history_refusal(self, group):
        history = held({"subgroup(s)": group.children.count(),
                        "coupon(s)": group.entity_coupons.count() + group.owned_coupons.count()})
        if not history:
            return None
        return (f"Group “{group.name}” has {history}: move its subgroups and delete or move "
                "its coupons first.")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "expires_at", "is_admin", "created_at"]
    list_filter = ["is_admin"]
    list_select_related = ["user", "group"]
    search_fields = ["user__email", "group__name", "group__code"]
    autocomplete_fields = ["user", "group"]


@admin.register(UserTag)
class UserTagAdmin(admin.ModelAdmin):
    list_display = ["user", "tag", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "tag"]
    autocomplete_fields = ["user"]


# The library's own concrete key model is not used (ours adds `last_used_at`): one "API keys"
# page in the admin, not two.
if admin.site.is_registered(LibraryApiKey):
    admin.site.unregister(LibraryApiKey)


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "last_used_at"]
    readonly_fields = [*APIKeyModelAdmin.readonly_fields, "last_used_at"]
