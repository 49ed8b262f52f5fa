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
- success redirects to `successUrl` when it is on an allowed host, else lists what was
  unlocked and until when: the learner's holdings that are new or last longer than before
  (so a bundle's contents and what a license seat opens show too), and the seats taken.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views import View

from accounts.pending import pop_pending_redemption, remember_pending_redemption
from accounts.redirects import safe_redirect_url
from accounts.throttles import TooManyAttempts, client_ip, redeem_guard
from catalog.selectors import holdings
from core.errors import DomainError
from licensing.selectors import with_contents
from redemptions import selectors, services


class RedeemForm(forms.Form):
    code = forms.CharField(
        label="Your code", max_length=64, label_suffix="",
        help_text="Upper or lower case, with or without dashes and spaces.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false", "autofocus": True}))
    success_url = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class RedeemPageView(View):
    template_name = "redemptions/redeem.html"
    success_template_name = "redemptions/redeemed.html"

    def dispatch(self, request, *args, site: str | None = None, **kwargs):
        if site is not None and site != settings.SITE_SLUG:
            raise Http404("No such site.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        if request.user.is_authenticated:
            pending = pop_pending_redemption(request)
            if pending is not None:
                return self.attempt(request, pending.code, pending.success_url)
        form = RedeemForm(initial={
            "code": request.GET.get("redemptionCode") or request.GET.get("code") or "",
            "success_url": safe_redirect_url(request, request.GET.get("successUrl")) or "",
        })
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
        return self.attempt(request, code, success_url)

    def attempt(self, request, code: str, success_url: str):
        user = request.user
        before = {row.item.pk: row.expires_at for row in holdings(user)}
        try:
            with redeem_guard(request, user=user):
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
        unlocked = [row for row in holdings(user)
                    if row.item.pk not in before or before[row.item.pk] != row.expires_at]
        return render(request, self.success_template_name, {
            "code": code, "unlocked": unlocked, "seats": with_contents(redemption.seats)})

    @staticmethod
    def explain(exc: DomainError, code: str, user) -> str:
        """The service's words, and for "already redeemed" when (the learner's own)."""
        if exc.code == "already_redeemed":
            earlier = selectors.standing_redemption(code, user)
            if earlier is not None:
                return (f"You already redeemed this code on "
                        f"{earlier.redeemed_at:%-d %B %Y}; what it gives is under My access.")
        return exc.message

    def refused(self, request, code: str, success_url: str, message: str, status: int):
        form = RedeemForm(initial={"code": code, "success_url": success_url})
        return self.show_form(request, form, status=status,
                              refusal={"code": code, "message": message})

    def show_form(self, request, form: RedeemForm, *, status: int = 200, refusal=None):
        return render(request, self.template_name, {"form": form, "refusal": refusal},
                      status=status)
