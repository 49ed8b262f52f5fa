"""The learner's redeem page: `/redeem/` (a form) and the Tizra-style
`/redeem/<site>?redemptionCode=…&successUrl=…` (the form prefilled).

The page parses, throttles, calls `redemptions.services.redeem` and renders:

- a learner who is not logged in submits the code → it waits in the session
  (`accounts.pending`) and they go to log in or register with `next` back here; the GET
  after that completes it without the code being typed again;
- every attempt goes through the redeem throttle every redeem endpoint shares
  (`accounts.throttles.redeem_guard`): a refusal counts as a failure (except "already
  redeemed by you"), too many failures are refused with 429 and `Retry-After`;
- a refusal is shown inline in the service's own words (which code, why, until when);
- before a code is spent the page asks `services.preview` (`check`'s rules, as
  `POST /api/v1/redeem/check`): a link that brings the code (a GET) shows what it gives and
  until when; when the learner already holds any of it ("you already have Starter Bundle
  until 2 December 2027; redeeming adds 4 days") the code is not spent until they confirm;
  a code whose every part is new to them is redeemed at once;
- a code that is no redemption code but another app's (a coupon, `accounts.code_kinds`) is
  described in words instead of "no such code", and used here when it can be;
- success redirects to `successUrl` when it is on an allowed host, else lists what was
  unlocked and until when: the learner's holdings that are new or last longer than before
  (so a bundle's contents and what a license seat opens show too), and the seats taken.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.views import View

from accounts.code_kinds import CodeDescription, CodeKind, code_kind, describe_code
from accounts.pending import pop_pending_redemption, remember_pending_redemption
from accounts.redirects import safe_redirect_url
from accounts.throttles import TooManyAttempts, client_ip, redeem_guard
from catalog.selectors import holdings
from core.errors import DomainError
from licensing.selectors import with_contents
from redemptions import selectors, services
from redemptions.errors import AlreadyRedeemed


class RedeemForm(forms.Form):
    code = forms.CharField(
        label="Your code", max_length=64, label_suffix="",
        help_text="Upper or lower case, with or without dashes and spaces.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false", "autofocus": True}))
    success_url = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    # Set by the preview's "Redeem" button: the learner has seen what they already hold.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # Set by the button that uses a code of another kind (a coupon: `accounts.code_kinds`).
    kind = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)


class RedeemPageView(View):
    template_name = "redemptions/redeem.html"
    success_template_name = "redemptions/redeemed.html"
    preview_template_name = "redemptions/preview.html"
    other_kind_template_name = "redemptions/other_kind.html"

    def dispatch(self, request, *args, site: str | None = None, **kwargs):
        if site is not None and site != settings.SITE_SLUG:
            return self.wrong_site(request, site)
        return super().dispatch(request, *args, **kwargs)

    def wrong_site(self, request, site: str):
        """A link naming another site: a 404, in words, with the way to this site's page."""
        code = (request.GET.get("redemptionCode") or request.GET.get("code") or "")[:64]
        query = f"?{urlencode({'code': code})}" if code else ""
        return render(request, "redemptions/wrong_site.html", {
            "site": site[:100], "redeem_here": f"{reverse('redeem')}{query}", "code": code},
            status=404)

    def get(self, request):
        if request.user.is_authenticated:
            pending = pop_pending_redemption(request)
            if pending is not None:
                return self.attempt(request, pending.code, pending.success_url)
        code = (request.GET.get("redemptionCode") or request.GET.get("code") or "").strip()
        success_url = safe_redirect_url(request, request.GET.get("successUrl")) or ""
        if code and request.user.is_authenticated:  # a link brought it: what it gives
            return self.attempt(request, code[:64], success_url, preview_only=True)
        form = RedeemForm(initial={"code": code, "success_url": success_url})
        return self.show_form(request, form)

    def post(self, request):
        form = RedeemForm(request.POST)
        if not form.is_valid():
            return self.show_form(request, form, status=400)
        code, success_url = form.cleaned_data["code"], form.cleaned_data["success_url"]
        if not request.user.is_authenticated:
            here = request.get_full_path()
            remember_pending_redemption(request, code, success_url, resume_url=here)
            return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': here})}")
        return self.attempt(request, code, success_url, confirmed=form.cleaned_data["confirm"],
                            kind=code_kind(form.cleaned_data["kind"]))

    def attempt(self, request, code: str, success_url: str, *, confirmed: bool = False,
                preview_only: bool = False, kind: CodeKind | None = None):
        """Preview `code` unless `confirmed`, and redeem it unless the preview must be shown
        (`preview_only`, or the learner holds some of it already). A code that is no
        redemption code but another registered kind's (a coupon) is described instead, and
        used when the learner asks (`kind`)."""
        user = request.user
        before = {row.item.pk: row.expires_at for row in holdings(user)}
        try:
            with redeem_guard(request, user=user):
                if kind is not None:
                    used = kind.use(code, user)
                    return self.show_success(request, code, before, heading=used.heading,
                                             message=used.message, pending=used.pending)
                if not confirmed:
                    preview = services.preview(code, user)
                    refusal = preview.refusal
                    if refusal is not None and refusal.code == "not_found":
                        other = describe_code(code, user)
                        if other is not None:  # a code, only not one of ours: no guess
                            return self.show_other_kind(request, code, success_url, other)
                    if refusal is not None:  # counted, as a check is
                        raise refusal
                    if preview_only or preview.already_held:
                        return self.show_preview(request, code, success_url, preview)
                redemption = services.redeem(code, user, ip=client_ip(request))
        except TooManyAttempts as exc:
            response = self.refused(request, code, success_url, exc.message, exc.http_status)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except DomainError as exc:
            return self.refused(request, code, success_url, self.explain(exc, code, user),
                                exc.http_status)
        target = safe_redirect_url(request, success_url)
        if target:
            return redirect(target)
        return self.show_success(request, code, before, seats=with_contents(redemption.seats))

    def show_success(self, request, code: str, before: dict, **context):
        """What was unlocked: the learner's holdings that are new or last longer than
        `before` (item id → expiry)."""
        unlocked = [row for row in holdings(request.user)
                    if row.item.pk not in before or before[row.item.pk] != row.expires_at]
        return render(request, self.success_template_name,
                      {"code": code, "unlocked": unlocked, **context})

    def show_other_kind(self, request, code: str, success_url: str,
                        description: CodeDescription):
        form = RedeemForm(initial={"code": code, "success_url": success_url,
                                   "kind": description.kind})
        return render(request, self.other_kind_template_name, {
            "form": form, "code": code, "description": description})

    @staticmethod
    def explain(exc: DomainError, code: str, user) -> str:
        """The service's words, and for "already redeemed" when (the learner's own)."""
        if isinstance(exc, AlreadyRedeemed):
            earlier = selectors.standing_redemption(code, user)
            if earlier is not None:
                return format_html(
                    'You already redeemed this code on {}; what it gives is under '
                    '<a href="{}">My access</a>.', f"{earlier.redeemed_at:%-d %B %Y}",
                    reverse("my-access"))
        return exc.message

    def show_preview(self, request, code: str, success_url: str, preview):
        form = RedeemForm(initial={"code": code, "success_url": success_url, "confirm": True})
        return render(request, self.preview_template_name, {
            "form": form, "code": code, "preview": preview})

    def refused(self, request, code: str, success_url: str, message: str, status: int):
        form = RedeemForm(initial={"code": code, "success_url": success_url})
        return self.show_form(request, form, status=status,
                              refusal={"code": code, "message": message})

    def show_form(self, request, form: RedeemForm, *, status: int = 200, refusal=None):
        return render(request, self.template_name, {"form": form, "refusal": refusal},
                      status=status)
