"""Staff admin for offers, code groups, codes and redemptions.

Every change goes through `redemptions.services`. A group is made by the generator from the
add form — for an existing offer, or for items the form names (an offer is made for it) —
with the API's rules (code length from the count, the guessing odds, at least one use per
code): up to MAX_CODES_PER_CALL codes at once, more by a generation job on the workers (the
form then lands on the job's page: a live progress bar, its ETA, cancel), and the group
page shows its generation status. Codes are imported from CSV the same way (the "Import
codes" page, an import job). A group's codes download as a streamed CSV (each code also
dashed, as learners see it, with its redemption link). The add form carries a token
(`GenerationRequest`): submitting it twice makes one group (or one job), and both submits
land on its page; the form estimates how long the count takes, from this server's recent
generations. Codes are deactivated, reactivated or given a new expiry in bulk;
redemptions are rolled back (from the list, or one with its reason from the learner's page:
`rollback_redemption` permission). History is read-only, and nothing that was redeemed is deleted:
the delete pages say why (`core.admin.HistoryProtectedAdmin`).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.widgets import AdminSplitDateTime, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet, Sum
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from catalog.models import CatalogItem
from core.admin import (
    DATE_RANGE,
    HistoryProtectedAdmin,
    ReadOnlyInline,
    action_form_page,
    confirmation,
    count,
    is_new,
    support_tool,
)
from core.admin_pagination import BoundedPaginator
from core.errors import DomainError
from redemptions import selectors, services
from redemptions.codes import Alphabet, check_code_space, default_length
from redemptions.exports import codes_csv_response, exports_by_job
from redemptions.models import (
    GENERATOR_BATCH,
    MAX_CODES_PER_CALL,
    MAX_CODES_PER_JOB,
    Code,
    CodeGroup,
    Offer,
    Redemption,
)
from redemptions.validators import clean_match_specification, clean_max_uses, clean_user_tags

ADMIN_MAX_CODES = MAX_CODES_PER_JOB


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
            data["user_tags"] = clean_user_tags(data.get("user_tags") or [])
            data["match_specification"] = clean_match_specification(
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
class OfferAdmin(HistoryProtectedAdmin):
    form = OfferForm
    list_display = ["name", "action_type", "access_days", "access_expiration_date",
                    "based_on", "created_at"]
    list_filter = ["action_type", ("access_expiration_date", DATE_RANGE),
                   ("created_at", DATE_RANGE)]
    list_select_related = ["based_on"]
    search_fields = ["name"]
    autocomplete_fields = ["items", "licenses"]
    readonly_fields = ["based_on", "created_at", "updated_at"]

    def history_refusal(self, offer):
        groups, codes = offer.code_groups.count(), offer.codes.count()
        if not (groups or codes):
            return None
        return (f"Offer “{offer.name}” is what {groups:,} code group(s) and {codes:,} code(s) "
                "grant, so it is kept. Change its terms instead (codes already redeemed keep "
                "what they granted), or delete those groups first while none of their codes "
                "was redeemed.")

    def save_model(self, request, obj, form, change):
        """Through the services (the same checks as the API); the M2Ms are set there."""
        data = form.cleaned_data
        terms = {name: data.get(name) for name in (
            "name", "action_type", "access_days", "access_expiration_date", "user_tags",
            "match_specification")}
        content = {"items": list(data.get("items") or []),
                   "licenses": list(data.get("licenses") or [])}
        saved = (services.update_offer(obj, **terms, **content) if change else
                 services.create_offer(services.OfferTerms(**terms, **content)))
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the offer's items and licenses were set by the service
            self.save_formset(request, form, formset, change=change)


def _estimate_in_words(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


class CodeGroupAddForm(forms.ModelForm):
    # Issued with the form, claimed on submit: one form makes one group, however often sent.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)
    items = forms.ModelMultipleChoiceField(
        queryset=CatalogItem.objects.all(), required=False,
        widget=AutocompleteSelectMultiple(Offer._meta.get_field("items"), admin.site),
        help_text="Or, instead of an offer: the items the codes grant (an offer is made).")
    access_days = forms.IntegerField(
        required=False, min_value=1, max_value=services.MAX_ACCESS_DAYS,
        help_text="With items: access lasts this many days from redemption (empty: no end).")
    count = forms.IntegerField(
        min_value=1, max_value=ADMIN_MAX_CODES,
        help_text=f"Codes to generate: up to {MAX_CODES_PER_CALL:,} at once; more (up to "
                  f"{ADMIN_MAX_CODES:,}) by a job with a progress page.")
    code_length = forms.IntegerField(min_value=1, max_value=64, required=False,
                                     help_text="Empty: 8, or more when the count needs it.")

    class Meta:
        model = CodeGroup
        fields = ["label", "offer", "items", "access_days", "client", "count", "code_length",
                  "alphabet", "redemptions_per_code", "starts_at", "expiration_date", "gift",
                  "token"]

    class Media:
        js = ["entitle/generate-estimate.js"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rate = selectors.generation_seconds_per_code()
        count = self.fields["count"]
        count.help_text += (
            f" Takes about {_estimate_in_words(rate * 100_000)} per 100,000 codes on this "
            f"server (an estimate from its latest generations).")
        count.widget.attrs.update({"data-seconds-per-code": f"{rate:.9f}",
                                   "data-sync-limit": str(MAX_CODES_PER_CALL)})
        self.fields["offer"].required = False
        self.fields["offer"].help_text = "What the codes grant (or name items below)."
        self.fields["count"].error_messages["max_value"] = (
            f"At most {ADMIN_MAX_CODES:,} codes are made in one group.")

    def clean(self):
        data = super().clean()
        if not data.get("token"):  # a form this page did not issue (or an old copy)
            raise ValidationError("This form was not issued by this page: reload it and "
                                  "submit again.")
        offer, items = data.get("offer"), list(data.get("items") or [])
        if bool(offer) == bool(items):
            raise ValidationError({"offer": "Choose an offer, or items for a new one (not "
                                            "both)."})
        if offer and data.get("access_days"):
            self.add_error("access_days", "Access days are for a new offer made from items; "
                                          "the chosen offer has its own terms.")
        if items:
            data["offer_terms"] = services.OfferTerms(
                name=data.get("label") or "Codes", items=items,
                access_days=data.get("access_days"))
        try:
            clean_max_uses(data.get("redemptions_per_code"), field="redemptions_per_code")
        except DomainError as exc:
            self.add_error("redemptions_per_code", exc.message)
        count, alphabet = data.get("count"), data.get("alphabet") or Alphabet.UNAMBIGUOUS
        if count:
            data["code_length"] = data.get("code_length") or default_length(count, alphabet)
            try:
                check_code_space(count=count, length=data["code_length"], alphabet=alphabet)
            except DomainError as exc:
                raise ValidationError({"code_length": exc.message}) from exc
        return data


class CodeImportForm(forms.Form):
    """An upload of existing codes (`redemptions.imports`)."""

    file = forms.FileField(help_text="CSV, one code per line: code[,max uses[,expiry]] (a "
                                     "first line `code,max_uses,expires` is a header). All "
                                     "or nothing: any bad or duplicate line, and nothing is "
                                     "imported; the job page lists each by line number.")
    label = forms.CharField(max_length=200)
    offer = forms.ModelChoiceField(queryset=Offer.objects.order_by("name"))
    redemptions_per_code = forms.IntegerField(
        min_value=0, initial=1, help_text="Uses of a code whose line gives none.")


class NewExpiryForm(forms.Form):
    expiration_date = forms.SplitDateTimeField(
        label="New expiry", widget=AdminSplitDateTime,
        help_text="Date and time (UTC) until which the codes can be redeemed.")

    def clean_expiration_date(self):
        value = self.cleaned_data["expiration_date"]
        if value <= timezone.now():
            raise ValidationError("Choose a time in the future (to end codes now, deactivate "
                                  "them).")
        return value


def _new_expiry(modeladmin, request, *, action: str, what: str, apply):
    """An action asking for a new expiry, then calling `apply(date)` → message."""
    form = NewExpiryForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        modeladmin.message_user(request, apply(form.cleaned_data["expiration_date"]),
                                messages.SUCCESS)
        return None
    return action_form_page(
        modeladmin, request, action=action, form=form, submit="Set the new expiry",
        title=f"New expiry for {what}",
        intro=f"A new expiry for {what}. Codes past their old expiry can be redeemed again "
              "until the new one (unless deactivated or used up).")


class GroupAlphabetFilter(admin.SimpleListFilter):
    """Codes by their group's alphabet: the (few) groups first, then their codes through the
    (group, id) index — a join would walk every code in id order looking for a match."""

    title = "group's alphabet"
    parameter_name = "group__alphabet"

    def lookups(self, request, model_admin):
        return Alphabet.choices

    def queryset(self, request, queryset):
        if self.value() not in Alphabet.values:
            return queryset
        return queryset.filter(group_id__in=list(
            CodeGroup.objects.filter(alphabet=self.value()).values_list("pk", flat=True)))


class CodeSearchMixin:
    """Search also finds codes as staff paste or remember them — whole or a part, any case,
    dashes and spaces ignored (`selectors.codes_matching`) — and what they belong to: the
    rows whose `code_match` field is in the matching codes' `code_column`. A whole code or
    the start of codes lists just those (the unique index: fast on millions of codes); the
    other fields are searched through their own indexes (`keyword_match`); a part from the
    middle of codes, which no index serves, is looked for only when nothing else matched."""

    code_match, code_column = "pk", "pk"

    def keyword_match(self, word: str) -> Q | None:
        """What one word of a search that is not a code finds, written so that an index
        serves it (`0009_search_indexes`); None: Django's search over `search_fields`."""
        return None

    def get_search_results(self, request, queryset, search_term):
        match = selectors.codes_matching(search_term) if search_term else None
        by_code = match and queryset.filter(
            **{f"{self.code_match}__in": match.codes.values(self.code_column)})
        if match is not None and match.certain:
            return by_code, False
        words = search_term.split()[:10]
        if words and self.keyword_match(words[0]) is not None:
            results, distinct = queryset, False
            for word in words:  # each word somewhere, as Django's own search
                results = results.filter(self.keyword_match(word))
        else:
            results, distinct = super().get_search_results(request, queryset, search_term)
        if match is None or results.exists():
            return results, distinct
        # A part from the middle of codes, and nothing else matched: no index serves that
        # (it reads every code), so it is the last resort, not a part of every search.
        return by_code, distinct


def _transaction_id_contains(word: str, path: str = "transaction_id") -> Q:
    """A part of a transaction id, through the partial trigram index of the rows that have
    one (the `<> ''` condition lets the planner use it)."""
    return Q(**{f"{path}__icontains": word}) & ~Q(**{path: ""})


@admin.register(CodeGroup)
class CodeGroupAdmin(CodeSearchMixin, HistoryProtectedAdmin):
    code_column = "group_id"  # a code found by the search shows its group
    list_display = ["label", "offer", "client", "codes_total", "redeemed", "active",
                    "code_length", "alphabet", "expiration_date", "csv", "created_at"]
    list_filter = ["alphabet", "gift", "uploaded", ("expiration_date", DATE_RANGE),
                   ("created_at", DATE_RANGE)]
    list_select_related = ["offer", "client"]
    search_fields = ["label"]
    search_help_text = ("A label, or one of the group's codes: whole, its start or a part "
                        "(any case; dashes and spaces are ignored).")
    autocomplete_fields = ["offer", "client"]
    readonly_fields = ["offer", "code_length", "alphabet", "redemptions_per_code",
                       "total_codes_count", "redeemed", "uploaded", "codes_link", "csv",
                       "generation", "created_at", "updated_at"]
    fields = ["label", "offer", "generation", "codes_link", "csv", "total_codes_count",
              "redeemed", "client",
              "starts_at", "expiration_date", "gift", "code_length", "alphabet",
              "redemptions_per_code", "uploaded", "created_at", "updated_at"]
    actions = ["export_csv", "export_file", "set_expiry", "deactivate_codes",
               "activate_codes"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_redeemed_count().with_inactive_count()

    @admin.display(description="codes", ordering="total_codes_count")
    def codes_total(self, group):
        return count(group.total_codes_count)

    @admin.display(description="active codes")
    def active(self, group):
        inactive = getattr(group, "inactive_codes_count", None)
        if inactive is None:
            return "—"
        if not inactive:
            return "all active"
        if inactive >= group.total_codes_count:
            return "all inactive"
        return f"{count(group.total_codes_count - inactive)} active, {count(inactive)} inactive"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CodeGroupAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return CodeGroupAddForm.Meta.fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view),
                     name="redemptions_codegroup_import"),
                path("<path:object_id>/codes.csv", self.admin_site.admin_view(self.csv_view),
                     name="redemptions_codegroup_csv"), *super().get_urls()]

    def import_view(self, request):
        """Upload a CSV of existing codes: an import job, then its page."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CodeImportForm(request.POST or None, request.FILES or None)
        if form.is_valid():
            try:
                group = services.start_code_import(created_by=request.user,
                                                   **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect("admin:jobs_job_change", group.job_id)
        return action_form_page(
            self, request, action="", form=form, submit="Import the codes",
            title="Import codes",
            intro="Existing codes (from another vendor, say) become a group that says it "
                  "was uploaded. Its codes can be redeemed once the import job succeeded.")

    @admin.display(description="generation")
    def generation(self, group):
        """Whether its codes can be redeemed, and the job that makes (or made) them."""
        state = "Ready: its codes can be redeemed" if group.ready else \
            "Not ready: nothing in it can be redeemed until its job has succeeded"
        if group.job_id is None:
            return state
        job = group.job
        return format_html('{} — <a href="{}">{} job: {} ({} / {})</a>', state,
                           reverse("admin:jobs_job_change", args=[job.pk]),
                           job.get_kind_display(), job.get_status_display().lower(),
                           f"{job.done:,}", f"{job.total:,}")

    @admin.display(description="redeemed codes", ordering="redeemed_codes_count")
    def redeemed(self, group):
        return count(getattr(group, "redeemed_codes_count", None))

    @admin.display(description="codes")
    def codes_link(self, group):
        url = reverse("admin:redemptions_code_changelist") + f"?group__id__exact={group.pk}"
        return format_html('<a href="{}">{} codes</a>', url, f"{group.total_codes_count:,}")

    @admin.display(description="CSV")
    def csv(self, group):
        url = reverse("admin:redemptions_codegroup_csv", args=[group.pk])
        if exports_by_job(group):  # a page offering the export job, not a file
            return format_html('<a href="{}">Export the codes to a file (a job)</a>', url)
        return format_html('<a href="{}" download>Download the codes (CSV)</a>', url)

    def csv_view(self, request, object_id):
        """Every code of the group, streamed: code, redeemed, redeemedBy, redeemedAt. A group
        too big to stream within a request is offered to the export job instead (on POST:
        the job's page), so a download is never cut off after it began."""
        group = self.get_object(request, object_id)
        if group is None:
            raise Http404("No such code group.")
        if not self.has_view_permission(request, group):
            raise PermissionDenied
        if not exports_by_job(group):
            return codes_csv_response(Code.objects.filter(group=group), group)
        if request.method == "POST":
            job = services.start_code_export(group, created_by=request.user)
            self.message_user(request, f"Exporting {group.total_codes_count:,} codes: the file "
                                       "is linked here once the job has finished.",
                              messages.SUCCESS)
            return redirect("admin:jobs_job_change", job.pk)
        return action_form_page(
            self, request, action="", form=forms.Form(), submit="Export to a file",
            title=f"Export the codes of “{group.label}”",
            intro=f"{group.total_codes_count:,} codes are more than one download can carry "
                  f"(over {settings.CSV_STREAM_MAX_CODES:,}): a job writes them to a file, "
                  "which its page links once written, with the number of rows it holds.",
            cancel_url=reverse("admin:redemptions_codegroup_change", args=[group.pk]))

    def add_view(self, request, form_url="", extra_context=None):
        # One way on: the new group's page (`response_add`), so one Save button.
        extra_context = {**(extra_context or {}), "show_save_and_add_another": False,
                         "show_save_and_continue": False}
        try:
            return super().add_view(request, form_url, extra_context)
        except DomainError as exc:  # the generator refused after the form's checks (a race),
            # or the group this form made was deleted since
            self.message_user(request, f"No codes were made: {exc.message}", messages.ERROR)
            return redirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if change:
            services.update_code_group(obj, **{name: form.cleaned_data[name]
                                               for name in form.changed_data})
            return
        data = form.cleaned_data
        batches: list[int] = []
        started = time.monotonic()
        terms = dict(
            label=data["label"], offer=data.get("offer") or data["offer_terms"],
            client=data.get("client"),
            count=data["count"], code_length=data["code_length"], alphabet=data["alphabet"],
            redemptions_per_code=data["redemptions_per_code"], starts_at=data.get("starts_at"),
            expiration_date=data.get("expiration_date"), gift=data.get("gift", False))
        if data["count"] > MAX_CODES_PER_CALL:  # a job on the workers; `response_add` shows it
            how = {"by_job": True, "created_by": request.user, "max_count": None}
        else:
            how = {"max_count": MAX_CODES_PER_CALL,
                   "progress": lambda done, total: batches.append(done)}
        created, made = services.create_code_group_once(
            token=data["token"], requested_by=request.user.email, **terms, **how)
        for field in CodeGroup._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
        if not made:
            request.code_group_resubmitted = True
            self.message_user(
                request, "This form had been submitted already: here is the group it made "
                         f"({created.total_codes_count:,} codes). Nothing more was generated.",
                messages.INFO)
            return
        if created.job_id is None:
            self.message_user(
                request, f"Generated {data['count']:,} codes of {data['code_length']} "
                         f"characters in {len(batches)} batch(es) of up to "
                         f"{GENERATOR_BATCH:,}, in {time.monotonic() - started:.1f} s.",
                messages.SUCCESS)

    def log_addition(self, request, obj, message):
        if getattr(request, "code_group_resubmitted", False):
            return None  # the first submit logged it
        return super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        """On to the job's page while a job makes the codes, else the new group's page (its
        codes and CSV), whichever save button."""
        if IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        if obj.job_id is not None:
            self.message_user(request, f"Generating {obj.total_codes_count:,} codes: the group "
                                       f"can be redeemed once this job has finished.",
                              messages.SUCCESS)
            return redirect("admin:jobs_job_change", obj.job_id)
        return HttpResponseRedirect(
            reverse("admin:redemptions_codegroup_change", args=[obj.pk]))

    def history_refusal(self, group):
        redeemed = Redemption.objects.filter(code__group=group).count()
        if not redeemed:
            return None
        return (f"Code group “{group.label}”: its codes were redeemed {redeemed:,} time(s), so "
                "it is kept as history. Deactivate its codes instead (the “Deactivate every "
                "code” action).")

    def deletion_summary(self, objs, request):
        # Never redeemed: each group goes with its codes (Django would list every code).
        groups = list(objs)
        codes = Code.objects.filter(group__in=groups).count()
        return ([f"Code group: {g.label} ({g.total_codes_count:,} codes)" for g in groups],
                {"code groups": len(groups), "codes (never redeemed)": codes}, set(), [])

    def delete_object(self, group):
        services.delete_code_group(group)

    @admin.action(description="Export the codes of the selected group to a file (a job, "
                              "for large groups)")
    def export_file(self, request, queryset: QuerySet[CodeGroup]):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one group to export.", messages.ERROR)
            return None
        job = services.start_code_export(queryset.get(), created_by=request.user)
        return redirect("admin:jobs_job_change", job.pk)

    @admin.action(description="Download the codes of the selected group (CSV)")
    def export_csv(self, request, queryset: QuerySet[CodeGroup]):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one group to download its codes.",
                              messages.WARNING)
            return None
        return redirect("admin:redemptions_codegroup_csv", queryset.get().pk)

    @admin.action(description="Set a new expiry for the selected groups…")
    def set_expiry(self, request, queryset: QuerySet[CodeGroup]):
        def apply(date: dt.datetime) -> str:
            for group in queryset:
                services.update_code_group(group, expiration_date=date)
            own = Code.objects.filter(group__in=queryset, expiration_date__isnull=False)
            return (f"{queryset.count()} group(s) now expire on {date:%Y-%m-%d %H:%M} UTC."
                    + (f" {own.count():,} of their codes have an expiry of their own and keep "
                       "it (change those from the code list)." if own.exists() else ""))

        return _new_expiry(self, request, action="set_expiry",
                           what=f"{queryset.count()} code group(s)", apply=apply)

    @admin.action(description="Deactivate every code of the selected groups…")
    def deactivate_codes(self, request, queryset: QuerySet[CodeGroup]):
        groups = queryset.count()
        codes = queryset.aggregate(n=Sum("total_codes_count"))["n"] or 0
        asking = confirmation(
            self, request, action="deactivate_codes", submit="Deactivate the codes",
            title=f"Deactivate the codes of {count(groups)} group(s)?",
            intro=f"Every code of {count(groups)} group(s) — {count(codes)} code(s) — will be "
                  "deactivated: nobody can redeem them until they are reactivated. "
                  "Redemptions already made keep what they granted.")
        if asking:
            return asking
        done = services.set_codes_active(Code.objects.filter(group__in=queryset), False)
        self.message_user(request, f"Deactivated {count(done)} code(s).", messages.SUCCESS)

    @admin.action(description="Reactivate every code of the selected groups")
    def activate_codes(self, request, queryset: QuerySet[CodeGroup]):
        done = services.set_codes_active(Code.objects.filter(group__in=queryset), True)
        self.message_user(request, f"Reactivated {count(done)} code(s).", messages.SUCCESS)


class CodeForm(forms.ModelForm):
    class Meta:
        model = Code
        fields = ["is_active", "max_redemptions", "starts_at", "expiration_date",
                  "transaction_id"]

    def clean_max_redemptions(self):
        try:
            return clean_max_uses(self.cleaned_data["max_redemptions"],
                                  used=0 if is_new(self.instance)
                                  else self.instance.redemptions_count)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc


class RedemptionInline(ReadOnlyInline):
    """Every use of the code, rolled back ones too (history; roll back from the list)."""

    model = Redemption
    verbose_name_plural = "redemption history"
    fields = ["user", "redeemed_at", "ip", "transaction_id", "granted", "rolled_back_at",
              "rolled_back_by", "rolled_back_reason"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").order_by("-redeemed_at")

    @admin.display(description="granted")
    def granted(self, redemption):
        return granted_items(redemption)


def granted_items(redemption: Redemption) -> str:
    items = [f"{e.item.title}{' (revoked)' if e.revoked_at else ''}"
             for e in redemption.granted_entitlements()]
    seats = [f"seat on {s.license.name}{' (revoked)' if s.revoked_at else ''}"
             for s in selectors.seats_taken(redemption)]
    return ", ".join(items + seats) or "—"


@admin.register(Code)
class CodeAdmin(CodeSearchMixin, HistoryProtectedAdmin):
    form = CodeForm
    list_display = ["code", "group", "offer", "target_item", "redemptions_count",
                    "max_redemptions", "is_active", "expiration_date", "last_redeemed_at",
                    "created_at"]
    list_filter = ["is_active", GroupAlphabetFilter, ("expiration_date", DATE_RANGE),
                   ("last_redeemed_at", DATE_RANGE), ("created_at", DATE_RANGE)]
    # Millions of rows: only the orders an index keeps (the code, when made; the id is the
    # default), no facet counts (a pass over the table per filter), pages bounded and no
    # count of the whole table (`BoundedPaginator`). tests/redemptions/test_query_plans.py
    # EXPLAINs each option.
    sortable_by = ["code", "created_at"]
    show_facets = admin.ShowFacets.NEVER
    paginator = BoundedPaginator
    list_select_related = ["group", "offer", "target_item"]
    search_fields = ["group__label", "transaction_id"]
    search_help_text = ("A code — whole, its start or a part, any case, dashes and spaces "
                        "ignored — a group label or a transaction id.")
    readonly_fields = ["code", "group", "offer", "target_item", "redemptions_count",
                       "first_redeemed_at", "last_redeemed_at", "created_at", "updated_at"]
    fields = [*readonly_fields[:4], "is_active", "max_redemptions", "starts_at",
              "expiration_date", "transaction_id", *readonly_fields[4:]]
    inlines = [RedemptionInline]
    show_full_result_count = False  # counting millions of codes on every page is slow
    actions = ["deactivate", "activate", "set_expiry"]

    def keyword_match(self, word):
        # The groups first (a small table, its label's trigram index), then their codes by
        # the (group, id) index: OR'd with the transaction ids' index, a bitmap of both.
        groups = list(CodeGroup.objects.filter(label__icontains=word).values_list("pk",
                                                                                  flat=True))
        return Q(group_id__in=groups) | _transaction_id_contains(word)

    def has_add_permission(self, request):
        return False  # codes come from a group's generator or the API

    def get_actions(self, request):
        # One by one from the code's page; whole groups from the group list. A bulk delete
        # across "all N codes" would check each of up to millions of codes.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def history_refusal(self, code):
        used = code.redemptions.count()
        if not used:
            return None
        return (f"Code {code.code}: redeemed {used} time(s), so it is kept as history. "
                "Deactivate it instead (the “Deactivate” action).")

    def delete_object(self, code):
        services.delete_code(code)

    def save_model(self, request, obj, form, change):
        services.update_code(obj, **{name: form.cleaned_data[name]
                                     for name in form.changed_data})

    @admin.action(description="Deactivate the selected codes…")
    def deactivate(self, request, queryset):
        selected = count(queryset.count())
        asking = confirmation(
            self, request, action="deactivate", submit="Deactivate them",
            title=f"Deactivate {selected} code(s)?",
            intro=f"{selected} code(s) will be deactivated: nobody can redeem them until they "
                  "are reactivated. Redemptions already made keep what they granted.")
        if asking:
            return asking
        done = services.set_codes_active(queryset, False)
        self.message_user(request, f"Deactivated {count(done)} code(s).", messages.SUCCESS)

    @admin.action(description="Reactivate the selected codes")
    def activate(self, request, queryset):
        done = services.set_codes_active(queryset, True)
        self.message_user(request, f"Reactivated {count(done)} code(s).", messages.SUCCESS)

    @admin.action(description="Set a new expiry for the selected codes…")
    def set_expiry(self, request, queryset):
        def apply(date: dt.datetime) -> str:
            count = services.set_codes_expiration(queryset, date)
            return f"{count:,} code(s) now expire on {date:%Y-%m-%d %H:%M} UTC."

        return _new_expiry(self, request, action="set_expiry",
                           what=f"the {count(queryset.count())} selected code(s)", apply=apply)


class RollbackForm(forms.Form):
    reason = forms.CharField(
        max_length=300, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why (a refund, a mistake…): recorded on the redemption and shown in its "
                  "history.")


@admin.register(Redemption)
class RedemptionAdmin(CodeSearchMixin, HistoryProtectedAdmin):
    always_history = ("A redemption is history and is never deleted. Roll it back instead "
                      "(the “Roll back” action): what it granted is revoked, the use is given "
                      "back, and the record stays, marked with when, who and why.")
    code_match = "code"
    list_display = ["id", "code", "user", "redeemed_at", "ip", "rolled_back_at"]
    list_filter = [("redeemed_at", DATE_RANGE), ("rolled_back_at", DATE_RANGE)]
    sortable_by = ["id", "code", "redeemed_at"]  # as on the code list: what an index keeps
    show_facets = admin.ShowFacets.NEVER
    paginator = BoundedPaginator
    list_select_related = ["code", "user"]
    search_fields = ["user__email", "transaction_id"]
    date_hierarchy = "redeemed_at"
    readonly_fields = ["code", "user", "redeemed_at", "ip", "transaction_id", "rolled_back_at",
                       "rolled_back_by", "rolled_back_reason", "granted", "created_at",
                       "updated_at"]
    fields = readonly_fields
    show_full_result_count = False
    actions = ["roll_back"]

    def keyword_match(self, word):
        return Q(user__email__icontains=word) | _transaction_id_contains(word)

    def has_add_permission(self, request):
        return False

    @admin.display(description="granted")
    def granted(self, redemption):
        return granted_items(redemption)

    def has_rollback_permission(self, request):
        return request.user.has_perm("redemptions.rollback_redemption")

    def get_urls(self):
        return [path("<path:object_id>/rollback/",
                     self.admin_site.admin_view(self.rollback_view),
                     name="redemptions_redemption_rollback"), *super().get_urls()]

    def rollback_view(self, request, object_id):
        """Support tool (the learner's page): roll back one redemption, with its reason."""
        redemption = self.get_object(request, object_id)
        if redemption is None:
            raise Http404("No such redemption.")

        def apply(data):
            done = services.rollback(redemption, data["reason"], by=request.user.email)
            return done, f"Rolled back for {redemption.user.email}: {done.rolled_back_reason}"

        return support_tool(
            self, request, permission="redemptions.rollback_redemption",
            form_class=RollbackForm, title=f"Roll back a redemption of {redemption.user.email}",
            intro=f"Redeemed {redemption.redeemed_at:%Y-%m-%d %H:%M} UTC; it granted: "
                  f"{granted_items(redemption)}. Rolling back revokes those now, gives the use "
                  "back to the code and keeps the redemption, marked with when, by whom and "
                  "why.",
            submit="Roll back", apply=apply,
            back_to=reverse("admin:accounts_user_change", args=[redemption.user_id]))

    @admin.action(description="Roll back the selected redemptions (grants revoked, use given "
                              "back)", permissions=["rollback"])
    def roll_back(self, request, queryset):
        done = 0
        for redemption in queryset.filter(rolled_back_at__isnull=True):
            services.rollback(redemption, f"Rolled back in the admin by {request.user.email}",
                              by=request.user.email)
            done += 1
        self.message_user(request, f"Rolled back {done} redemption(s).", messages.SUCCESS)
