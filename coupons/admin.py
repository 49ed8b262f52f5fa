"""Staff admin for coupons, their usages (read-only history), group offerings and EduBrite
API sessions. Actions call the services; a used coupon cannot be deleted (its usages are
protected history): the admin says so and offers deactivation instead."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q

from core.admin import (
    DATE_RANGE,
    CentsField,
    HistoryProtectedAdmin,
    confirmation,
    count,
    is_new,
    money,
)
from core.sites import INTEGRATIONS
from coupons import services, sessions
from coupons.errors import CouponError
from coupons.models import (
    HOLDING,
    Coupon,
    CouponStatus,
    CouponUsage,
    EduBriteSession,
    GroupOffering,
    UsageStatus,
)
from coupons.validators import clean_coupon_code

MONEY = ("price_cents", "discount_cents", "final_price_cents")  # shown in the currency


class CouponForm(forms.ModelForm):
    value_amount_cents = CentsField(
        label="Value amount", required=False,
        help_text="AMOUNT: off each seat; TOTAL_AMOUNT: the balance to draw down.")

    class Meta:
        model = Coupon
        fields = ["code", "type", "entity_type", "item", "group", "value_count",
                  "value_amount_cents", "value_percent", "start_date", "exp_date",
                  "owner_group", "set_membership_expiration", "add_user_to_coupons_group",
                  "require_approval", "preview_access_only", "status", "comment"]

    def clean_code(self):
        """Stored canonical (`clean_coupon_code`), so the unique check sees `spring-10` and
        `SPRING 10` as one code; the text as written is kept to show."""
        try:
            code, self.instance.display_code = clean_coupon_code(self.cleaned_data["code"])
        except CouponError as exc:
            raise forms.ValidationError(exc.message) from None
        return code

    def clean(self):
        """The service's checks, as form errors (read-only fields keep the stored value)."""
        data = super().clean()
        draft = Coupon()
        for field in Coupon._meta.fields:
            if not field.primary_key:
                name = field.name
                setattr(draft, name, data[name] if name in data else getattr(self.instance, name))
        try:
            services.check_terms(draft)
        except CouponError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        if not is_new(self.instance) and data.get("value_count") is not None:
            uses = self.instance.uses()
            if data["value_count"] < uses:
                self.add_error("value_count", f"It has been used {uses} times already.")
        return data


@admin.register(Coupon)
class CouponAdmin(HistoryProtectedAdmin):
    form = CouponForm
    list_display = ["display_code", "type", "entity_type", "status", "uses_allowed", "used",
                    "start_date", "exp_date", "owner_group", "require_approval", "created_at"]
    list_filter = ["status", "type", "entity_type", "require_approval", "preview_access_only",
                   "add_user_to_coupons_group", ("start_date", DATE_RANGE),
                   ("exp_date", DATE_RANGE), ("created_at", DATE_RANGE)]
    list_select_related = ["owner_group", "item", "group"]
    search_fields = ["code", "display_code", "comment", "owner_group__name", "owner_group__code"]
    autocomplete_fields = ["item", "group", "owner_group"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["deactivate", "activate"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _used=Count("usages", filter=Q(usages__status__in=HOLDING)))

    @admin.display(description="Used", ordering="_used")
    def used(self, obj):
        return count(obj._used)

    @admin.display(description="Uses allowed", ordering="value_count")
    def uses_allowed(self, obj):
        return count(obj.value_count)

    def get_readonly_fields(self, request, obj=None):
        fixed = [] if is_new(obj) else ["display_code", "code", "type", "entity_type", "item",
                                        "group"]
        return [*fixed, *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:  # under the coupon's lock, re-checking the uses so far
            services.update_coupon(obj, **{f: getattr(obj, f) for f in services.UPDATABLE})
            return
        obj.created_by = request.user.email
        super().save_model(request, obj, form, change)

    def history_refusal(self, coupon):
        used = coupon.usages.count()
        if not used:
            return None
        return (f"{coupon.display_code}: used {used} time(s), so it is kept as history. Set it "
                "Inactive (the “Deactivate” action) instead.")

    def delete_object(self, coupon):
        services.delete_coupon(coupon)

    @admin.action(description="Deactivate the selected coupons (they can no longer be used)…")
    def deactivate(self, request, queryset):
        asking = confirmation(
            self, request, action="deactivate", submit="Deactivate them",
            title=f"Deactivate {count(queryset.count())} coupon(s)?",
            intro=f"{count(queryset.count())} coupon(s) will be set Inactive: learners can no "
                  "longer use them (usages already made keep what they granted). “Activate” "
                  "turns them on again.")
        if asking:
            return asking
        for coupon in queryset:
            services.update_coupon(coupon, status=CouponStatus.INACTIVE)
        self.message_user(request, f"Deactivated {queryset.count()} coupon(s).",
                          messages.SUCCESS)

    @admin.action(description="Activate the selected coupons")
    def activate(self, request, queryset):
        for coupon in queryset:
            services.update_coupon(coupon, status=CouponStatus.ACTIVE)
        self.message_user(request, f"Activated {queryset.count()} coupon(s).", messages.SUCCESS)


@admin.register(CouponUsage)
class CouponUsageAdmin(HistoryProtectedAdmin):
    """History: nothing is edited or deleted here; pending usages are approved or rejected."""

    list_display = ["coupon", "user", "item", "status", "price", "discount", "final_price",
                    "created_at", "decided_at", "decided_by"]
    list_filter = ["status", "coupon__type", "coupon__entity_type", ("created_at", DATE_RANGE),
                   ("decided_at", DATE_RANGE)]
    list_select_related = ["coupon", "user", "item"]
    search_fields = ["coupon__code", "user__email", "item__title", "decided_by"]
    date_hierarchy = "created_at"
    actions = ["approve", "reject"]

    def get_readonly_fields(self, request, obj=None):
        return [*(f.name for f in self.model._meta.fields if f.name not in MONEY),
                "price", "discount", "final_price"]

    def get_fields(self, request, obj=None):
        return [name for name in super().get_fields(request, obj) if name not in MONEY]

    @admin.display(description="price", ordering="price_cents")
    def price(self, usage):
        return money(usage.price_cents)

    @admin.display(description="discount", ordering="discount_cents")
    def discount(self, usage):
        return money(usage.discount_cents)

    @admin.display(description="final price", ordering="final_price_cents")
    def final_price(self, usage):
        return money(usage.final_price_cents)

    always_history = ("A coupon usage is history and is never deleted. Reject it while it "
                      "is pending (the “Reject” action); an approved one is undone by revoking "
                      "the grant it made (Entitlements).")

    def has_add_permission(self, request):
        return False

    def _decide(self, request, queryset, decide, verb):
        done, refused = 0, []
        for usage in queryset.filter(status=UsageStatus.PENDING):
            try:
                decide(usage)
                done += 1
            except CouponError as exc:
                refused.append(f"{usage}: {exc.message}")
        skipped = queryset.exclude(status=UsageStatus.PENDING).count()
        self.message_user(request, f"{verb} {done} usage(s)." + (
            f" {skipped} were not pending and stay as they are." if skipped else ""),
            messages.SUCCESS if done else messages.WARNING)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description="Approve the selected pending usages (grants access)")
    def approve(self, request, queryset):
        self._decide(request, queryset,
                     lambda u: services.approve_usage(usage=u, by=request.user), "Approved")

    @admin.action(description="Reject the selected pending usages")
    def reject(self, request, queryset):
        self._decide(request, queryset, lambda u: services.reject_usage(
            usage=u, by=request.user, reason=f"Rejected by {request.user.email}"), "Rejected")


@admin.register(GroupOffering)
class GroupOfferingAdmin(admin.ModelAdmin):
    list_display = ["group", "item", "created_at"]
    list_select_related = ["group", "item"]
    list_filter = ["item__kind"]
    search_fields = ["group__name", "group__code", "item__title", "item__external_id"]
    autocomplete_fields = ["group", "item"]


@admin.register(EduBriteSession)
class EduBriteSessionAdmin(admin.ModelAdmin):
    admin_section = INTEGRATIONS  # with the OAuth tables on the admin home (core.sites)
    list_display = ["id", "user", "created_at", "signed_in_at", "expires_at"]
    list_select_related = ["user"]
    list_filter = [("user", admin.EmptyFieldListFilter), ("created_at", DATE_RANGE),
                   ("expires_at", DATE_RANGE)]
    search_fields = ["user__email"]
    readonly_fields = ["id", "user", "created_at", "signed_in_at", "expires_at"]
    actions = ["end"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="End the selected sessions now")
    def end(self, request, queryset):
        count = sessions.end_sessions(queryset)
        self.message_user(request, f"Ended {count} session(s).", messages.SUCCESS)
