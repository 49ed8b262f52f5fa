"""Staff admin for licenses (hierarchy, seats at a glance) and seats (history, read-only).

Saving a license, assigning seats and revoking them go through `licensing.services`, so the
admin keeps the same rules (and locks) as the APIs. A learner's page (`licensing.panels`)
links the seat tools here — extend a seat's end, revoke it — each behind `change_seat`,
one service call, logged in the admin's history (`core.admin.support_tool`).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.panels import when
from core.admin import (
    DATE_RANGE,
    HistoryProtectedAdmin,
    NewEndForm,
    ReadOnlyInline,
    ReasonForm,
    action_form_page,
    count,
    held,
    is_new,
    support_tool,
)
from core.errors import DomainError
from licensing import selectors, services
from licensing.models import License, Seat

REFS = [f"ref{i}" for i in range(1, 11)]
CONTENT = ["courses", "learning_paths", "course_tags"]


class LicenseForm(forms.ModelForm):
    class Meta:
        model = License
        fields = ["client", "name", "label", "sku", "parent", "seats_limit", "access_days",
                  "expiration_date", "enable_branding", "is_default", *REFS, *CONTENT]

    def _get_validation_exclusions(self):
        # One default per client is the service's rule (it clears the other default), so
        # the model's partial unique constraint on `client` is not a form error here.
        return {*super()._get_validation_exclusions(), "client"}

    def clean(self):
        data = super().clean()
        client = data.get("client") or getattr(self.instance, "client", None)
        if client is None:
            return data
        try:
            services.check_license_change(
                license=None if is_new(self.instance) else self.instance, client=client,
                parent=data.get("parent"), seats_limit=data.get("seats_limit"))
        except DomainError as exc:
            field = exc.field if exc.field in self.fields else None
            raise ValidationError({field: exc.message} if field else exc.message) from exc
        return data


class ChildLicenseInline(ReadOnlyInline):
    model = License
    fk_name = "parent"
    verbose_name = "child license"
    verbose_name_plural = "child licenses"
    fields = ["name", "seats_limit", "expiration_date", "effective_expires_at"]


class SeatInline(ReadOnlyInline):
    """Seats in force on this license (read-only; revoke from the seat list)."""

    model = Seat
    verbose_name_plural = "seats in force"
    fields = ["user", "assigned_at", "expires_at", "source", "source_ref"]

    def get_queryset(self, request):
        return super().get_queryset(request).active().select_related("user")


class LicenseChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        used = selectors.seats_used(self.result_list)  # two queries for the whole page
        for license in self.result_list:
            license.seats_used = used.get(license.pk, 0)


class AssignSeatsForm(forms.Form):
    emails = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "cols": 60}),
        help_text="One email per line (or separated by commas or spaces).")

    def clean_emails(self):
        emails = [e for e in self.cleaned_data["emails"].replace(",", " ").split() if e]
        if not emails:
            raise ValidationError("Give at least one email.")
        return emails


@admin.register(License)
class LicenseAdmin(HistoryProtectedAdmin):
    form = LicenseForm
    list_display = ["name", "client", "parent", "seats", "children_count",
                    "effective_expires_at", "is_default", "created_at"]
    list_filter = ["is_default", "enable_branding", ("parent", admin.EmptyFieldListFilter),
                   ("effective_expires_at", DATE_RANGE)]
    list_select_related = ["client", "parent"]
    search_fields = ["name", "label", "sku", "client__name", *REFS]
    autocomplete_fields = ["client", "parent", *CONTENT]
    readonly_fields = ["hierarchy", "seats", "assign_link", "seat_list",
                       "effective_expires_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["client", "name", "label", "sku", "parent", "hierarchy"]}),
        ("Seats and expiry", {"fields": ["seats_limit", "seats", "assign_link", "seat_list",
                                         "access_days", "expiration_date",
                                         "effective_expires_at"]}),
        ("Content", {"fields": CONTENT}),
        ("Options", {"fields": ["enable_branding", "is_default"]}),
        ("References", {"classes": ["collapse"], "fields": REFS}),
        ("Dates", {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [ChildLicenseInline, SeatInline]
    actions = ["assign_seats"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_children=Count("children",
                                                                       distinct=True))

    def get_changelist(self, request, **kwargs):
        return LicenseChangeList

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if is_new(obj) else [*fields, "client"]

    @admin.display(description="Seats used / limit")
    def seats(self, obj):
        used = getattr(obj, "seats_used", None)
        if used is None:
            used = selectors.seats_used([obj]).get(obj.pk, 0) if not is_new(obj) else 0
        return f"{count(used)} / {count(obj.seats_limit) if obj.seats_limit is not None else '∞'}"

    @admin.display(description="Children", ordering="n_children")
    def children_count(self, obj):
        return getattr(obj, "n_children", 0)

    @admin.display(description="Hierarchy (root first)")
    def hierarchy(self, obj):
        if is_new(obj):
            return "-"
        return format_html_join(" › ", '<a href="{}">{}</a>', (
            (reverse("admin:licensing_license_change", args=[lic.pk]), lic.name)
            for lic in selectors.license_chain(obj)))

    @admin.display(description="All seats")
    def seat_list(self, obj):
        if is_new(obj):
            return "-"
        url = reverse("admin:licensing_seat_changelist") + f"?license__id__exact={obj.pk}"
        return format_html('<a href="{}">Every seat of this license, with history</a>', url)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {name: data[name] for name in form.Meta.fields
                  if name in data and name not in ("client", "parent", "is_default", *CONTENT)}
        content = {name: list(data.get(name) or []) for name in CONTENT}
        if change:
            license = services.update_license(license=License.objects.get(pk=obj.pk),
                                              parent=data.get("parent"),
                                              is_default=data.get("is_default", False),
                                              **content, **fields)
        else:
            fields.pop("name", None)
            license = services.create_license(client=data["client"], name=data["name"],
                                              parent=data.get("parent"),
                                              is_default=data.get("is_default", False),
                                              **content, **fields)
        obj.pk = license.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The content was set by the service; the inlines are read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def history_refusal(self, obj):
        history = held({"child license(s)": obj.children.count(),
                        "seat(s), held or past": obj.seats.count()})
        if not history:
            return None
        return (f"License “{obj.name}” has {history}: seats are "
                "history, so it is kept. Revoke its seats and set an expiration date to end "
                "it; move or delete its children first.")

    def delete_object(self, obj):
        services.delete_license(license=obj)

    def get_urls(self):
        return [path("<path:object_id>/assign-seats/",
                     self.admin_site.admin_view(self.assign_seats_view),
                     name="licensing_license_assign_seats"), *super().get_urls()]

    @admin.display(description="Assign")
    def assign_link(self, obj):
        if is_new(obj):
            return "-"
        url = reverse("admin:licensing_license_assign_seats", args=[obj.pk])
        return format_html('<a href="{}">Assign seats by email…</a>', url)

    def assign_seats_view(self, request, object_id):
        """Seat learners by email on one license (each email its own transaction)."""
        license = self.get_object(request, object_id)
        if license is None:
            raise Http404("No such license.")
        if not self.has_change_permission(request, license):
            raise PermissionDenied
        form = AssignSeatsForm(request.POST or None)
        if form.is_bound and form.is_valid():
            self.report_assignments(request, services.assign_seats_by_email(
                license=license, emails=form.cleaned_data["emails"], source="manual",
                source_ref=f"admin:{request.user.pk}"[:64]))
            return redirect("admin:licensing_license_change", license.pk)
        return action_form_page(
            self, request, action="", form=form, submit="Assign seats",
            title=f"Assign seats on {license}",
            intro=f"Seats used / limit on “{license.name}” (with the licenses under it): "
                  f"{self.seats(license)}. Each email is seated on its own: the others go on "
                  "when one has no seat left or no account.")

    def report_assignments(self, request, outcomes) -> None:
        by_outcome: dict[str, list[str]] = {}
        for outcome in outcomes:
            by_outcome.setdefault(outcome.outcome, []).append(outcome.email)
        for outcome, emails in by_outcome.items():
            level = messages.SUCCESS if outcome == services.ASSIGNED else messages.WARNING
            self.message_user(request, f"{outcome.replace('_', ' ')}: {', '.join(emails)}",
                              level)

    @admin.action(description="Assign seats by email…")
    def assign_seats(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one license to assign seats on.",
                              messages.WARNING)
            return None
        return redirect("admin:licensing_license_assign_seats", queryset.get().pk)


@admin.register(Seat)
class SeatAdmin(HistoryProtectedAdmin):
    """Seats are history: read-only here, revoked by the action, never deleted."""

    list_display = ["user", "license", "assigned_at", "expires_at", "revoked_at", "source",
                    "in_force"]
    list_filter = ["source", ("assigned_at", DATE_RANGE), ("expires_at", DATE_RANGE),
                   ("revoked_at", DATE_RANGE)]
    list_select_related = ["user", "license"]
    search_fields = ["user__email", "license__name", "source_ref"]
    autocomplete_fields = ["user", "license"]
    readonly_fields = ["license", "user", "assigned_at", "expires_at", "ends_by", "revoked_at",
                       "revoked_reason", "source", "source_ref", "created_at", "updated_at"]
    actions = ["revoke_selected"]

    @admin.display(boolean=True, description="In force")
    def in_force(self, obj):
        return obj.is_active()

    always_history = ("A seat is history and is never deleted. Revoke it instead (the "
                      "“Revoke” action): the learner loses what it opens at once, and the "
                      "record stays, with when and why.")

    def has_add_permission(self, request):
        return False  # assign from the license ("Assign seats by email…")

    def get_urls(self):
        tool = self.admin_site.admin_view
        return [path("<path:object_id>/extend/", tool(self.extend_view),
                     name="licensing_seat_extend"),
                path("<path:object_id>/revoke/", tool(self.revoke_view),
                     name="licensing_seat_revoke"),
                *super().get_urls()]

    def _seat(self, request, object_id) -> Seat:
        seat = self.get_object(request, unquote(object_id))
        if seat is None:
            raise Http404("No such seat.")
        return seat

    def extend_view(self, request, object_id):
        """Support tool: let a seat run later (as far as its license allows)."""
        seat = self._seat(request, object_id)

        def apply(data):
            extended = services.extend_seat(seat=seat, until=data["until"])
            return extended, (f"Extended the seat of {seat.user.email} on “{seat.license.name}” "
                              f"to {when(extended.expires_at)}.")

        return support_tool(
            self, request, permission="licensing.change_seat", form_class=NewEndForm,
            title=f"Extend the seat of {seat.user.email} on “{seat.license.name}”",
            intro=f"The seat ends {when(seat.expires_at)}. It can run no later than its "
                  "license allows (its access days, its expiry and its parents').",
            submit="Extend", apply=apply,
            back_to=reverse("admin:accounts_user_change", args=[seat.user_id]))

    def revoke_view(self, request, object_id):
        """Support tool: end a seat now (the confirmation page)."""
        seat = self._seat(request, object_id)

        def apply(data):
            revoked = services.revoke_seat(
                seat=seat, reason=data["reason"] or f"Revoked by {request.user.email}")
            return revoked, (f"Revoked the seat of {seat.user.email} on “{seat.license.name}”: "
                             f"{revoked.revoked_reason}")

        return support_tool(
            self, request, permission="licensing.change_seat", form_class=ReasonForm,
            title=f"Revoke the seat of {seat.user.email} on “{seat.license.name}”",
            intro="The learner loses what the seat opens now and the seat is free for "
                  "another; it stays, as history.",
            submit="Revoke", apply=apply,
            back_to=reverse("admin:accounts_user_change", args=[seat.user_id]))

    @admin.action(description="Revoke the selected seats now")
    def revoke_selected(self, request, queryset):
        count = 0
        for seat in queryset.filter(revoked_at__isnull=True):
            services.revoke_seat(seat=seat, reason=f"Revoked by {request.user.email}")
            count += 1
        self.message_user(request, f"Revoked {count} seat(s).", messages.SUCCESS)
