from typing import Any

from django import forms
from django.contrib import admin

from aicall.telephony.models import SETTABLE_FIELDS, Trunk
from aicall.telephony.services import TrunkError, clean_trunk


class TrunkForm(forms.ModelForm):
    # The stored password is never sent to the browser; leave it empty to keep it.
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, strip=False
    )

    class Meta:
        model = Trunk
        fields = list(SETTABLE_FIELDS)
        help_texts = {
            "extra_headers": 'Static headers on every INVITE, e.g. {"X-Account": "42"}.',
            "privacy": "RFC 3323 Privacy value (id, none, …); empty sends no Privacy header.",
        }

    # Left empty, the registration lifetime is the trunk's (300 s for a new one).
    register_expiry_seconds = forms.IntegerField(required=False, min_value=1)

    def clean_register_expiry_seconds(self) -> int:
        value = self.cleaned_data.get("register_expiry_seconds")
        if value is None:
            return self.instance.register_expiry_seconds if self.instance.pk else 300
        return int(value)

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if not password and self.instance.pk:
            return self.instance.password
        return password

    def clean(self) -> dict[str, Any]:
        """The same checks as `aicall trunk add|update` (telephony.services.clean_trunk)."""
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            cleaned = clean_trunk(dict(data))
        except TrunkError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, exc.message)
            return data
        data.update(cleaned)
        return data


@admin.register(Trunk)
class TrunkAdmin(admin.ModelAdmin):
    """Operators edit trunks here or with `aicall trunk`; the default is set by the CLI."""

    form = TrunkForm
    list_display = [
        "name",
        "proxy",
        "transport",
        "username",
        "caller_id",
        "max_channels",
        "calls_per_second",
        "number_format",
        "health",
        "register",
        "registration_state",
        "registration_code",
        "is_default",
    ]
    # Health from the dialer's probes; registration and target health from the SIP edge.
    readonly_fields = [
        "is_default",
        "health",
        "consecutive_timeouts",
        "down_since_at",
        "last_probe_at",
        "last_probe_result",
        "paused_until_at",
        "registration_state",
        "registration_code",
        "registration_checked_at",
        "target_health",
        "created_at",
    ]
