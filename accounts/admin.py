"""Staff admin for people, groups, tags and API keys.

A learner's page shows everything they hold and why: the panels the apps above accounts
register (`accounts.panels`) — what they may open now and through what, then the history
behind it (grants, redemptions, license seats, coupon usages), each the latest rows with a
link to the full list and the support tools the viewer's permissions allow (each a page of
its app's admin: `core.admin.support_tool`); memberships and tags are the inlines below.
Clearing the learner's failed redemption attempts is accounts' own tool. A learner who
holds history (what the panels count) is not deleted: the delete page says so and suggests
deactivating the account. A group that rows of other apps protect is not deleted either.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import path, reverse
from oauth2_provider.admin import ApplicationAdmin as LibraryApplicationAdmin
from oauth2_provider.models import get_application_model
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey as LibraryApiKey

from accounts import services
from accounts.models import ApiKey, LearnerGroup, Membership, StaffScopeGrant, User, UserTag
from accounts.panels import history_held, what_they_hold
from accounts.throttles import clear_redeem_throttle
from core.admin import DATE_RANGE, HistoryProtectedAdmin, held, is_new, support_tool
from core.relations import count_references, references_to


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
    readonly_fields = ["date_joined", "last_login", "updated_at"]
    inlines = [MembershipInline, UserTagInline]
    change_form_template = "admin/accounts/user/change_form.html"  # + what they hold
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("email", "full_name", "password1", "password2")}),)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, unquote(object_id))
        if user is not None:  # the panels, with the tools this viewer may use
            extra_context = {**(extra_context or {}),
                             "what_they_hold": what_they_hold(user, viewer=request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [path("<path:object_id>/clear-redeem-throttle/",
                     self.admin_site.admin_view(self.clear_redeem_throttle_view),
                     name="accounts_user_clear_redeem_throttle"), *super().get_urls()]

    def clear_redeem_throttle_view(self, request, object_id):
        """Support tool: forget the learner's failed redemption attempts."""
        learner = self.get_object(request, unquote(object_id))
        if learner is None:
            raise Http404("No such learner.")

        def apply(data):
            counted = clear_redeem_throttle(user=learner)
            return learner, (f"Cleared the failed redemption attempts of {learner.email} "
                             f"({counted} were counted).")

        return support_tool(
            self, request, permission="accounts.clear_redeem_throttle", form_class=forms.Form,
            title=f"Clear the failed redemption attempts of {learner.email}",
            intro="Their failed attempts are forgotten, so they may try codes again at once. "
                  "What their IP address counted stays (others may share it).",
            submit="Clear the failed attempts", apply=apply,
            back_to=reverse("admin:accounts_user_change", args=[learner.pk]))

    def history_refusal(self, user):
        history = held(history_held(user))
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
        while node is not None and node.pk not in seen and not is_new(self.instance):
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

    def delete_object(self, group):
        services.delete_group(group)

    def history_refusal(self, group):
        # Whatever protects it, from any app (subgroups, coupons…), found through `_meta`.
        history = held(count_references(group, references_to(
            LearnerGroup, protect_only=True,
            labels={(LearnerGroup, "parent"): "subgroup(s)"})))
        if not history:
            return None
        return (f"Group “{group.name}” has {history}: move or delete those first.")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "expires_at", "is_admin", "created_at"]
    list_filter = ["is_admin", ("expires_at", DATE_RANGE)]
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
    list_display = [*APIKeyModelAdmin.list_display, "role", "last_used_at"]
    list_filter = ["role", ("created", DATE_RANGE), ("expiry_date", DATE_RANGE),
                   ("last_used_at", DATE_RANGE)]
    readonly_fields = [*APIKeyModelAdmin.readonly_fields, "last_used_at"]


GRANT_STAFF_SCOPE = "accounts.grant_staff_scope"
Application = get_application_model()
admin.site.unregister(Application)


class StaffScopeForm(forms.ModelForm):
    """The application's form with its staff-scope checkbox (ticked when it holds the grant)."""

    staff_scope = forms.BooleanField(
        required=False, label="Staff scope",
        help_text="Its tokens may carry the staff scope: they act as the staff member who "
                  "signs in, within that member's permissions.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff_scope"].initial = bool(self.instance.pk) and (
            StaffScopeGrant.objects.filter(application=self.instance).exists())


@admin.register(Application)
class ApplicationAdmin(LibraryApplicationAdmin):
    """The OAuth provider's application admin, plus the choice to let an application's tokens
    carry the `staff` scope (`accounts.oauth`): a checkbox that only staff holding
    `accounts.grant_staff_scope` see and change."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        if request.user.has_perm(GRANT_STAFF_SCOPE):
            kwargs["form"] = StaffScopeForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != "staff_scope"]
        if request.user.has_perm(GRANT_STAFF_SCOPE):
            fields.append("staff_scope")
        return fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "staff_scope" not in form.cleaned_data:
            return
        if form.cleaned_data["staff_scope"]:
            StaffScopeGrant.objects.get_or_create(
                application=obj, defaults={"granted_by": str(request.user)[:200]})
        else:
            StaffScopeGrant.objects.filter(application=obj).delete()
