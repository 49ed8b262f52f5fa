"""The learner's login, registration and password forms (the pages are in `accounts.views`).

Password rules' errors (Django's validators) are shown under the new password itself, not
under its confirmation, and a new password is set by `accounts.services.set_password` (which
ends the learner's other sessions and revokes their tokens)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    SetPasswordMixin,
)

from accounts import services
from accounts.models import User

EMAIL_WIDGET = forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})


class EmailLoginForm(AuthenticationForm):
    """Django's login form, labelled for an email address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email address and password do not match an account. "
                         "Check them and try again.",
    }

    def __init__(self, request=None, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].widget = forms.EmailInput(attrs=EMAIL_WIDGET.attrs.copy())


class RegistrationForm(SetPasswordMixin, forms.Form):
    """Email, password and its confirmation, checked by Django's password validators."""

    email = forms.EmailField(label="Email address", max_length=254, widget=EMAIL_WIDGET)
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1="Password", label2="Confirm password")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        # Whether the address has an account is never said here: the email sent says it
        # (`accounts.registration`).
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        # The validators compare the password with the email, so they need a user to look at.
        self.validate_password_for_user(User(email=cleaned.get("email") or ""), "password1")
        return cleaned


class LearnerPasswordResetForm(PasswordResetForm):
    """Django's reset request: an email address. It sends to an account with that address
    and says the same whether there is one or not."""

    email = forms.EmailField(label="Email address", max_length=254, widget=EMAIL_WIDGET)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class NewPasswordMixin:
    """For Django's set- and change-password forms: labels, the validators' errors under the
    new password, and the change made by `services.set_password`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "Confirm the new password"

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self)  # not SetPasswordForm's: it would validate again

    def save(self, commit=True):
        return services.set_password(self.user, self.cleaned_data["new_password1"])


class LearnerSetPasswordForm(NewPasswordMixin, SetPasswordForm):
    """A new password from a reset link."""


class LearnerPasswordChangeForm(NewPasswordMixin, PasswordChangeForm):
    """A new password for a learner who is logged in and knows the current one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
