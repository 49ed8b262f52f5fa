"""Staff admin for offers, code groups, codes and redemptions.

Every change goes through `redemptions.services`: a group is made by the generator (no cap on
the count here; batches of 10,000), codes are (de)activated and redemptions rolled back by the
services, counters and history are read-only, and nothing that was redeemed is deleted.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html

from core.errors import DomainError
from redemptions import services
from redemptions.codes import Alphabet, check_code_space, default_length, normalize_code
from redemptions.models import GENERATOR_BATCH, Code, CodeGroup, Offer, Redemption


def _as_validation_error(exc: DomainError) -> ValidationError:
    return ValidationError({exc.field: exc.message} if exc.field else exc.message)


class OfferForm(forms.ModelForm):
    class Meta:
        model = Offer
        fields = ["name", "action_type", "items", "licenses", "access_days",
                  "access_expiration_date", "user_tags", "match_specification"]

    def clean(self):
        data = super().clean()
        try:
            data["user_tags"] = services.clean_user_tags(data.get("user_tags") or [])
            data["match_specification"] = services.clean_match_specification(
                data.get("match_specification"))
            services.check_offer_terms(services.OfferTerms(
                name=data.get("name") or "", action_type=data.get("action_type") or "",
                access_days=data.get("access_days"),
                access_expiration_date=data.get("access_expiration_date"),
                user_tags=data["user_tags"], match_specification=data["match_specification"]))
        except DomainError as exc:
            raise _as_validation_error(exc) from exc
        return data


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    form = OfferForm
    list_display = ["name", "action_type", "access_days", "access_expiration_date",
                    "based_on", "created_at"]
    list_filter = ["action_type"]
    list_select_related = ["based_on"]
    search_fields = ["name"]
    autocomplete_fields = ["items"]
    filter_horizontal = ["licenses"]  # licensing's admin (with search) arrives with its issue
    readonly_fields = ["based_on", "created_at", "updated_at"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.sync_code_targets(form.instance)  # the codes follow the offer's one item


class CodeGroupAddForm(forms.ModelForm):
    count = forms.IntegerField(min_value=1, help_text=f"Codes to generate (made in batches of "
                                                      f"{GENERATOR_BATCH:,}; no upper limit "
                                                      f"here).")
    code_length = forms.IntegerField(min_value=1, max_value=64, required=False,
                                     help_text="Empty: 8, or more when the count needs it.")

    class Meta:
        model = CodeGroup
        fields = ["label", "offer", "client", "count", "code_length", "alphabet",
                  "redemptions_per_code", "starts_at", "expiration_date", "gift"]

    def clean(self):
        data = super().clean()
        count, alphabet = data.get("count"), data.get("alphabet") or Alphabet.UNAMBIGUOUS
        if count:
            data["code_length"] = data.get("code_length") or default_length(count, alphabet)
            try:
                check_code_space(count=count, length=data["code_length"], alphabet=alphabet)
            except DomainError as exc:
                raise ValidationError({"code_length": exc.message}) from exc
        return data


@admin.register(CodeGroup)
class CodeGroupAdmin(admin.ModelAdmin):
    list_display = ["label", "offer", "client", "total_codes_count", "redeemed",
                    "code_length", "alphabet", "expiration_date", "created_at"]
    list_filter = ["alphabet", "gift", "uploaded", "created_at"]
    list_select_related = ["offer", "client"]
    search_fields = ["label"]
    autocomplete_fields = ["offer", "client"]
    readonly_fields = ["offer", "code_length", "alphabet", "redemptions_per_code",
                       "total_codes_count", "uploaded", "codes_link", "created_at",
                       "updated_at"]
    fields = ["label", "client", "starts_at", "expiration_date", "gift", *readonly_fields]
    actions = ["deactivate_codes", "delete_unredeemed"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_redeemed_count()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CodeGroupAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return CodeGroupAddForm.Meta.fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # groups go only while unredeemed: the action below checks that

    @admin.display(description="redeemed codes", ordering="redeemed_codes_count")
    def redeemed(self, group):
        return group.redeemed_codes_count

    @admin.display(description="codes")
    def codes_link(self, group):
        url = reverse("admin:redemptions_code_changelist") + f"?group__id__exact={group.pk}"
        return format_html('<a href="{}">{} codes</a>', url, group.total_codes_count)

    def save_model(self, request, obj, form, change):
        if change:
            services.update_code_group(obj, **{name: form.cleaned_data[name]
                                               for name in form.changed_data})
            return
        data = form.cleaned_data
        batches = []
        created = services.create_code_group(
            label=data["label"], offer=data["offer"], client=data.get("client"),
            count=data["count"], code_length=data["code_length"], alphabet=data["alphabet"],
            redemptions_per_code=data["redemptions_per_code"], starts_at=data.get("starts_at"),
            expiration_date=data.get("expiration_date"), gift=data.get("gift", False),
            max_count=None, progress=lambda done, total: batches.append(done))
        for field in CodeGroup._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
        self.message_user(request, f"Generated {data['count']:,} codes in {len(batches)} "
                                   f"batch(es).", messages.SUCCESS)

    @admin.action(description="Deactivate every code of the selected groups")
    def deactivate_codes(self, request, queryset: QuerySet[CodeGroup]):
        count = services.set_codes_active(Code.objects.filter(group__in=queryset), False)
        self.message_user(request, f"Deactivated {count:,} code(s).", messages.SUCCESS)

    @admin.action(description="Delete the selected groups (only if no code was redeemed)")
    def delete_unredeemed(self, request, queryset: QuerySet[CodeGroup]):
        for group in queryset:
            try:
                services.delete_code_group(group)
            except DomainError as exc:
                self.message_user(request, f"{group.label}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Deleted {group.label}.", messages.SUCCESS)


class CodeForm(forms.ModelForm):
    class Meta:
        model = Code
        fields = ["is_active", "max_redemptions", "starts_at", "expiration_date",
                  "transaction_id"]

    def clean_max_redemptions(self):
        value = self.cleaned_data["max_redemptions"]
        if self.instance.pk and value < max(self.instance.redemptions_count, 1):
            raise ValidationError(f"This code has been used {self.instance.redemptions_count} "
                                  f"time(s); it cannot allow fewer.")
        return value


class CodeSearchMixin:
    """Search also finds a code as staff paste it (any case, dashes, spaces): one exact
    match on the unique index."""

    code_lookup = "code"

    def get_search_results(self, request, queryset, search_term):
        results, distinct = super().get_search_results(request, queryset, search_term)
        code = normalize_code(search_term)
        if code:
            results = results | queryset.filter(**{self.code_lookup: code})
        return results, distinct


@admin.register(Code)
class CodeAdmin(CodeSearchMixin, admin.ModelAdmin):
    form = CodeForm
    list_display = ["code", "group", "offer", "target_item", "redemptions_count",
                    "max_redemptions", "is_active", "expiration_date", "last_redeemed_at",
                    "created_at"]
    list_filter = ["is_active", "group__alphabet", "last_redeemed_at", "created_at"]
    list_select_related = ["group", "offer", "target_item"]
    search_fields = ["group__label", "transaction_id"]
    readonly_fields = ["code", "group", "offer", "target_item", "redemptions_count",
                       "first_redeemed_at", "last_redeemed_at", "created_at", "updated_at"]
    fields = [*readonly_fields[:4], "is_active", "max_redemptions", "starts_at",
              "expiration_date", "transaction_id", *readonly_fields[4:]]
    show_full_result_count = False  # counting millions of codes on every page is slow
    actions = ["deactivate", "activate"]

    def has_add_permission(self, request):
        return False  # codes come from a group's generator or the API

    def has_delete_permission(self, request, obj=None):
        return False  # history; deactivate instead

    def save_model(self, request, obj, form, change):
        services.update_code(obj, **{name: form.cleaned_data[name]
                                     for name in form.changed_data})

    @admin.action(description="Deactivate the selected codes")
    def deactivate(self, request, queryset):
        count = services.set_codes_active(queryset, False)
        self.message_user(request, f"Deactivated {count:,} code(s).", messages.SUCCESS)

    @admin.action(description="Reactivate the selected codes")
    def activate(self, request, queryset):
        count = services.set_codes_active(queryset, True)
        self.message_user(request, f"Reactivated {count:,} code(s).", messages.SUCCESS)


@admin.register(Redemption)
class RedemptionAdmin(CodeSearchMixin, admin.ModelAdmin):
    code_lookup = "code__code"
    list_display = ["id", "code", "user", "redeemed_at", "ip", "rolled_back_at"]
    list_filter = [("rolled_back_at", admin.EmptyFieldListFilter), "redeemed_at"]
    list_select_related = ["code", "user"]
    search_fields = ["user__email", "transaction_id"]
    date_hierarchy = "redeemed_at"
    readonly_fields = ["code", "user", "redeemed_at", "ip", "transaction_id", "rolled_back_at",
                       "rolled_back_by", "rolled_back_reason", "granted", "created_at",
                       "updated_at"]
    fields = readonly_fields
    show_full_result_count = False
    actions = ["roll_back"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="granted")
    def granted(self, redemption):
        items = [f"{e.item.title}{' (revoked)' if e.revoked_at else ''}"
                 for e in redemption.granted_entitlements()]
        return ", ".join(items) or "—"

    @admin.action(description="Roll back the selected redemptions (grants revoked, use given "
                              "back)")
    def roll_back(self, request, queryset):
        done = 0
        for redemption in queryset.filter(rolled_back_at__isnull=True):
            services.rollback(redemption, f"Rolled back in the admin by {request.user.email}",
                              by=request.user.email)
            done += 1
        self.message_user(request, f"Rolled back {done} redemption(s).", messages.SUCCESS)
