"""The learner's account pages: log in, register, log out, reset or change the password.

After logging in or registering the learner goes to `next` when it is on an allowed host,
else to the page a pending redemption waits on (`accounts.pending`), else to their access page.
Failed logins are throttled per email address and per IP (`accounts.throttles`).

Registering sends a link to the address and the page says the same whether the address has an
account or not (`accounts.registration`); requests are throttled per address and per IP. The
link's page creates the account and logs the learner in.

Passwords are Django's own flows with our forms and templates: a reset link by email
(throttled per address and per IP; the page says the same whether the address has an
account or not; the link is built on `SITE_URL`), and a change on the account page. A new
password ends the learner's other sessions and revokes their OAuth tokens
(`services.set_password`); the page that changed it stays logged in.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import LoginView, LogoutView
from django.contrib.messages.views import SuccessMessageMixin
from django.core.mail import send_mail
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts import services
from accounts.forms import (
    EmailLoginForm,
    LearnerPasswordChangeForm,
    LearnerPasswordResetForm,
    LearnerSetPasswordForm,
    RegistrationForm,
)
from accounts.models import User
from accounts.pending import peek_pending_redemption
from accounts.redirects import safe_redirect_url
from accounts.registration import read_registration_token, registration_token
from accounts.throttles import (
    TooManyAttempts,
    client_ip,
    password_reset_throttle,
    registration_throttle,
)


def next_url(request) -> str:
    """Where to go once logged in: a safe `next`, the pending redemption, or the access page."""
    candidate = request.POST.get("next") or request.GET.get("next")
    safe = safe_redirect_url(request, candidate)
    if safe and urlsplit(safe).path != request.path:  # never back to this page: a loop
        return safe
    pending = peek_pending_redemption(request)
    if pending and pending.resume_url:
        return pending.resume_url
    return settings.LOGIN_REDIRECT_URL


def over_the_limit(view, form, throttle):
    """Count one request for the form's email and the client's IP (a request, not a failure:
    every one counts, before its email is sent); the page again with a 429 over the limit."""
    try:
        with throttle.attempt(user=form.cleaned_data["email"], ip=client_ip(view.request)):
            pass
    except TooManyAttempts as exc:
        response = view.render_to_response(
            view.get_context_data(form=form, throttled=exc.message), status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return None


class NextMixin:
    """Shares the safe `next` and the pending redemption with the login and register pages."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        candidate = self.request.POST.get("next") or self.request.GET.get("next")
        safe = safe_redirect_url(self.request, candidate) or ""
        query = f"?{urlencode({'next': safe})}" if safe else ""
        context.update(next=safe, next_query=query,
                       pending=peek_pending_redemption(self.request))
        return context


class LearnerLoginView(NextMixin, LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def get_redirect_url(self) -> str:
        return safe_redirect_url(self.request, self.request.POST.get("next")
                                 or self.request.GET.get("next")) or ""

    def get_success_url(self) -> str:
        return next_url(self.request)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        try:
            # The password check (`authenticate()`) is throttled in `accounts.backends`, the
            # one limit every entry point shares.
            valid = form.is_valid()
        except TooManyAttempts as exc:
            # No password is even checked while throttled; the page says why and until when.
            form = self.authentication_form(
                request, initial={"username": request.POST.get("username", "")})
            response = self.render_to_response(
                self.get_context_data(form=form, throttled=exc.message), status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        if valid:
            return self.form_valid(form)
        return self.form_invalid(form)


class LearnerLogoutView(LogoutView):
    """POST only (Django's rule): a link cannot log a learner out behind their back."""

    next_page = settings.LOGOUT_REDIRECT_URL


class RegisterView(NextMixin, FormView):
    template_name = "accounts/register.html"
    form_class = RegistrationForm

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(next_url(request))
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        refused = over_the_limit(self, form, registration_throttle())
        if refused:
            return refused
        # The token (a password hash: the slow part) is made for either kind of address, so
        # neither the answer nor its time tells them apart.
        token = registration_token(
            email=email, password=form.cleaned_data["password1"],
            next_url=safe_redirect_url(self.request, self.request.POST.get("next")) or "")
        taken = User.objects.filter(email__iexact=email).exists()
        context = {"email": email, "site_url": settings.SITE_URL,
                   "link_hours": max(1, settings.REGISTRATION_LINK_SECONDS // 3600),
                   "confirm_path": reverse("register_confirm", args=[token])}
        body = render_to_string("accounts/register_taken_email.txt" if taken
                                else "accounts/register_email.txt", context)
        send_mail("Your Entitle account", body, None, [email])
        return redirect("register_sent")


class RegisterSentView(TemplateView):
    template_name = "accounts/register_sent.html"


class RegisterConfirmView(View):
    """The link from the registration email: a page whose button (POST, so a mail scanner
    that opens links creates nothing) creates the account and logs the learner in."""

    template_name = "accounts/register_confirm.html"

    def get(self, request, token):
        pending = read_registration_token(token)
        return render(request, self.template_name, {"pending": pending},
                      status=200 if pending else 400)

    def post(self, request, token):
        pending = read_registration_token(token)
        if pending is None:
            return render(request, self.template_name, {"pending": None}, status=400)
        try:
            user = services.register_learner(email=pending.email,
                                             password_hash=pending.password_hash)
        except services.EmailTaken:  # the link was used already, or the address registered
            return render(request, self.template_name, {"pending": pending, "taken": True},
                          status=409)
        login(request, user, backend="accounts.backends.ThrottledModelBackend")
        candidate = safe_redirect_url(request, pending.next_url)
        return redirect(candidate or next_url(request))


def reset_hours() -> int:
    """How long a reset link works, in whole hours (at least one)."""
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. Every request counts against the address and the IP, whether
    or not the address has an account; over the limit nothing is sent (429)."""

    template_name = "accounts/password_reset.html"
    form_class = LearnerPasswordResetForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    @property
    def extra_email_context(self) -> dict:
        # The link's site is SITE_URL, as in every link we hand out.
        return {"site_url": settings.SITE_URL, "reset_hours": reset_hours()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(reset_hours=reset_hours(), **kwargs)

    def form_valid(self, form):
        return over_the_limit(self, form, password_reset_throttle()) or super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = LearnerSetPasswordForm
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Change the password (logged in): Django's view keeps this session
    (`update_session_auth_hash`); the form's save ends every other one."""

    template_name = "accounts/password_change.html"
    form_class = LearnerPasswordChangeForm
    success_url = reverse_lazy("my-access")
    success_message = ("Your password is changed. You were logged out everywhere else, and "
                       "apps you had signed in to will ask you to sign in again.")
