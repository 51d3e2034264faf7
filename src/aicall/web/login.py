"""The sign-in forms of the website and of Django admin, throttled (accounts/throttle.py)."""

import math

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aicall.accounts.throttle import (
    do_clear_login_failures,
    do_record_login_failure,
    login_retry_after,
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
        wait = login_retry_after(address, email)
        if wait:
            self.throttled = True
            minutes = max(1, math.ceil(wait / 60))
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
            if getattr(exc, "code", None) == "invalid_login":
                do_record_login_failure(address, email)
            raise
        do_clear_login_failures(email)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
