"""The sign-in forms of the website and of Django admin, throttled (accounts/throttle.py)."""

import math

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aicall.accounts.throttle import (
    do_clear_login_failures,
    do_end_login_attempt,
    do_start_login_attempt,
)
from aicall.api.ratelimit import client_address


class ThrottledLoginMixin:
    """Refuses a sign-in while its address or account is over the failure budget, and counts
    every wrong password. The password is not even checked while refused."""

    throttled = False

    def clean(self):
        form: AuthenticationForm = self  # type: ignore[assignment]
        email = str(form.data.get("username", ""))
        address = client_address(form.request) if form.request is not None else "unknown"
        attempt = do_start_login_attempt(address, email)
        if attempt.retry_after_seconds:
            self.throttled = True
            minutes = max(1, math.ceil(attempt.retry_after_seconds / 60))
            raise forms.ValidationError(
                ngettext(
                    "Too many failed sign-ins. Try again in %(minutes)d minute.",
                    "Too many failed sign-ins. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except forms.ValidationError as exc:
            wrong = getattr(exc, "code", None) == "invalid_login"
            do_end_login_attempt(attempt, failed=wrong)
            raise
        do_end_login_attempt(attempt, failed=False)
        if form.get_user() is not None:
            do_clear_login_failures(email)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
