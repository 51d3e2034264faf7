from django import forms
from django.contrib import admin

from aicall.telephony.models import SETTABLE_FIELDS, Trunk


class TrunkForm(forms.ModelForm):
    # The stored password is never sent to the browser; leave it empty to keep it.
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, strip=False
    )

    class Meta:
        model = Trunk
        fields = list(SETTABLE_FIELDS)

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if not password and self.instance.pk:
            return self.instance.password
        return password


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
        "register",
        "registration_state",
        "registration_code",
        "is_default",
    ]
    # What the SIP edge reports (registration, OPTIONS health of each target).
    readonly_fields = [
        "is_default",
        "created_at",
        "registration_state",
        "registration_code",
        "registration_checked_at",
        "target_health",
    ]
