"""What every app's admin shares: deleting what holds history is refused, with the reason.

A `ModelAdmin` mixes in `HistoryProtectedAdmin` and says, per object, why it may not be
deleted (`history_refusal`). The delete page and the "Delete selected" action then show
Django's "Cannot delete" page with those sentences (what the object holds, what to do
instead) and delete nothing; objects without a refusal are deleted through `delete_object`
(the app's service). Models that are history through and through (redemptions, seats,
coupon usages, grants) set `always_history`: no Delete button, no "Delete selected", and
the delete URL explains instead of a bare 403. A `ProtectedError` that races past the check
is shown as a message, never a 500.

`support_tool` is one tool of a learner's page (roll back, revoke, grant, extend…): a page
of its own with a form (the confirmation where it destroys something), behind a Django
permission, calling one service and leaving an entry in the admin's history.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.db.models import Model, ProtectedError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from rangefilter.filters import DateRangeQuickSelectListFilter

from core.errors import DomainError
from core.relations import in_words

held = in_words  # "2 grant(s), 1 seat(s)": the start of a `history_refusal`


# A date filter with its presets and a from/to range (both days included), as
# `list_filter = [("expires_at", DATE_RANGE)]`; its parameters are
# `<field>__range__gte=YYYY-MM-DD` and `<field>__range__lte=YYYY-MM-DD`.
DATE_RANGE = DateRangeQuickSelectListFilter


def count(number: int | None) -> str:
    """A count as staff read it: thousands separated ("1,250,000"); "—" for none."""
    return "—" if number is None else f"{number:,}"


def money(cents: int | None) -> str:
    """Stored cents in the currency ("1,249.50 USD"); "—" for none."""
    return "—" if cents is None else f"{Decimal(cents) / 100:,.2f} {settings.CURRENCY}"


class CentsField(forms.DecimalField):
    """A form field for a price stored in integer cents, typed and shown in the currency
    ("49.90"); more than two decimals are refused, not rounded."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("help_text", f"In {settings.CURRENCY}, e.g. 49.90.")
        super().__init__(max_digits=15, decimal_places=2, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return (Decimal(value) / 100).quantize(Decimal("0.01"))
        return super().prepare_value(value)

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else int(amount * 100)

    def has_changed(self, initial, data):
        return super().has_changed(self.prepare_value(initial), data)


def is_new(obj) -> bool:
    """Whether `obj` is not saved yet (an add form's instance, or none at all).

    Not `obj.pk`: a model with a UUID key gets its key when it is built, so a new instance
    already has a pk. Django's own flag says whether the row exists.
    """
    return obj is None or obj._state.adding


class HistoryProtectedAdmin(admin.ModelAdmin):
    always_history: str = ""  # the explanation, for models that are never deleted

    def history_refusal(self, obj) -> str | None:
        """Why `obj` may not be deleted (a plain sentence naming it), or None."""
        return self.always_history or None

    def delete_object(self, obj) -> None:
        """Delete one object that has no refusal (override to call the app's service)."""
        obj.delete()

    def has_delete_permission(self, request, obj=None):
        if self.always_history:
            # The delete URL is allowed so it can explain; no button leads there.
            return request.user.is_active and request.user.is_staff
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.always_history:
            actions.pop("delete_selected", None)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if self.always_history:
            extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def deletion_summary(self, objs, request):
        """What the confirmation page lists (Django's collector: every related row)."""
        return super().get_deleted_objects(objs, request)

    def get_deleted_objects(self, objs, request):
        # Refusals first, without the collector (which would list every related row: a
        # million codes under one offer). Shown as "Cannot delete"; nothing is deleted.
        refusals = [reason for reason in map(self.history_refusal, objs) if reason]
        if refusals:
            return [], {}, set(), refusals
        return self.deletion_summary(objs, request)

    def delete_model(self, request, obj):
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            try:
                self.delete_object(obj)
            except (DomainError, ProtectedError) as exc:  # a use that raced past the check
                reason = exc.message if isinstance(exc, DomainError) else (
                    "it is referred to by history that must be kept")
                self.message_user(request, f"{obj} was not deleted: {reason}",
                                  messages.ERROR)
                request.history_kept = True

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "history_kept", False):  # back to it, without "deleted"
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", obj_id)
        return super().response_delete(request, obj_display, obj_id)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record written only by the services (an event, a job): shown, never added, changed
    or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown for reading (with a link to each); changed elsewhere, through services."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


def confirmation(modeladmin, request, *, action: str, title: str, intro: str,
                 submit: str) -> TemplateResponse | None:
    """None once the staff user confirmed a bulk action on its page; until then, the page
    (what will happen, to how many) with the same selection, a button and Cancel."""
    if "apply" in request.POST:
        return None
    return action_form_page(modeladmin, request, action=action, form=forms.Form(),
                            title=title, intro=intro, submit=submit)


def action_form_page(modeladmin, request, *, action: str, form, title: str, intro: str,
                     submit: str, cancel_url: str = "") -> TemplateResponse:
    """The page of an admin action that needs input (a date, emails): `form` posts back to
    the changelist with the same selection, and `"apply" in request.POST` tells the action
    it came from here. With `action=""` the form posts to the page's own URL (a view)."""
    return TemplateResponse(request, "admin/action_form.html", {
        **modeladmin.admin_site.each_context(request),
        "title": title, "intro": intro, "form": form, "submit": submit, "action": action,
        "cancel_url": cancel_url,
        "opts": modeladmin.model._meta, "media": modeladmin.media + form.media,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
    })


class ReasonForm(forms.Form):
    """A support tool's confirmation that ends something (a grant, a seat)."""

    reason = forms.CharField(required=False, max_length=300,
                             help_text="Recorded with it (optional).")


class NewEndForm(forms.Form):
    """A support tool's new end date (a grant, a seat)."""

    until = forms.SplitDateTimeField(label="New end", widget=AdminSplitDateTime,
                                     help_text="Date and time (UTC); later than the current "
                                               "end.")


def support_tool(modeladmin, request, *, permission: str, form_class: type[forms.Form],
                 title: str, intro: str, submit: str,
                 apply: Callable[[dict], tuple[Model, str]], back_to: str,
                 adds: bool = False) -> HttpResponse:
    """One support tool of a learner's page, as a view of `modeladmin`.

    Without `permission` ("app.codename") it is a 403, shown or posted alike. A GET (or a
    form with errors) shows `form_class` with a `submit` button; a valid POST (CSRF-checked
    by the admin) calls `apply(cleaned_data)` — one service call, which takes its own locks
    — and gets back (the object changed or made, what was done in words). That sentence
    goes into the admin's history of the object (an addition when `adds`) and the message,
    and the page returns to `back_to` (the learner's). A refusal of the service is shown on
    the form, on its field when it names one.
    """
    if not request.user.has_perm(permission):
        raise PermissionDenied
    form = form_class(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            changed, done = apply(form.cleaned_data)
        except DomainError as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None,
                           refusal.message)
        else:
            log = modeladmin.log_addition if adds else modeladmin.log_change
            log(request, changed, done)
            modeladmin.message_user(request, done, messages.SUCCESS)
            return redirect(back_to)
    return action_form_page(modeladmin, request, action="", form=form, title=title,
                            intro=intro, submit=submit, cancel_url=back_to)
