"""The learner's login and registration forms (the pages are in `accounts.views`)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin

from accounts.models import User


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
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email"})


class RegistrationForm(SetPasswordMixin, forms.Form):
    """Email, password and its confirmation, checked by Django's password validators."""

    email = forms.EmailField(
        label="Email address", max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1="Password", label2="Confirm password")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists. Log in instead.",
                code="email_taken")
        return email

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        # The validators compare the password with the email, so they need a user to look at.
        self.validate_password_for_user(User(email=cleaned.get("email") or ""))
        return cleaned
