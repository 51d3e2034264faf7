"""The website's forms. They only shape input; writes go through the domain services."""

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aicall.campaigns.models import Campaign, CampaignType
from aicall.campaigns.services import format_calling_hours

WEEKDAYS = [
    ("0", _("Mon")),
    ("1", _("Tue")),
    ("2", _("Wed")),
    ("3", _("Thu")),
    ("4", _("Fri")),
    ("5", _("Sat")),
    ("6", _("Sun")),
]
CAMPAIGN_TYPES = [
    (CampaignType.IVR.value, _("IVR broadcast (press a key)")),
    (CampaignType.VOICE_OTP.value, _("Voice OTP")),
]


class CampaignForm(forms.Form):
    """Every setting of a campaign a customer may change, with the service's field names."""

    name = forms.CharField(label=_("Name"), max_length=200)
    campaign_type = forms.ChoiceField(label=_("Type"), choices=CAMPAIGN_TYPES)
    caller_id = forms.CharField(
        label=_("Caller ID"),
        max_length=32,
        required=False,
        help_text=_("The number the callee sees, e.g. 0281234567."),
    )
    script = forms.CharField(
        label=_("Script"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What the callee hears. Placeholders: {danh_xung}, {ho_ten}, {otp_code} and any "
            "custom column of the contact, e.g. {ma_don_hang}."
        ),
    )
    ivr_menu = forms.CharField(
        label=_("Key-press menu (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"class": "code", "spellcheck": "false"}),
    )
    otp_repeat_count = forms.IntegerField(
        label=_("Read the code how many times"), min_value=1, max_value=10, initial=3
    )
    otp_expiry_seconds = forms.IntegerField(
        label=_("OTP expires after (seconds)"), min_value=10, max_value=86400, initial=300
    )
    max_concurrent_calls = forms.IntegerField(
        label=_("Simultaneous calls"), min_value=1, max_value=100_000, initial=10
    )
    max_attempts = forms.IntegerField(
        label=_("Attempts per contact"),
        min_value=1,
        max_value=10,
        initial=1,
        help_text=_("Busy, no answer and temporary failures are retried up to this many times."),
    )
    retry_interval_seconds = forms.IntegerField(
        label=_("Seconds between attempts"), min_value=10, max_value=7 * 86400, initial=300
    )
    ring_timeout_seconds = forms.IntegerField(
        label=_("Ring for (seconds)"), min_value=5, max_value=300, initial=45
    )
    calling_hours_start = forms.TimeField(
        label=_("Call from"), initial="08:00", widget=forms.TimeInput(attrs={"type": "time"})
    )
    calling_hours_end = forms.TimeField(
        label=_("Call until"),
        initial="17:00",
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Vietnam time. 00:00 means midnight at the end of the day."),
    )
    calling_weekdays = forms.MultipleChoiceField(
        label=_("Call on"),
        choices=WEEKDAYS,
        initial=[day for day, _label in WEEKDAYS],
        widget=forms.CheckboxSelectMultiple,
    )
    record_calls = forms.BooleanField(label=_("Record calls"), required=False)
    webhook_url = forms.URLField(
        assume_scheme="https",
        label=_("Webhook URL"),
        required=False,
        max_length=500,
        help_text=_("Optional: we POST each call's result here."),
    )
    webhook_call_started = forms.BooleanField(
        label=_("Also notify when a call is answered"), required=False
    )

    def clean_ivr_menu(self) -> Any:
        text = self.cleaned_data["ivr_menu"].strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("Not valid JSON (line %(line)s, column %(col)s): %(msg)s"),
                params={"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
            ) from exc

    def service_values(self) -> dict[str, Any]:
        """The cleaned input in the shape `clean_settings` takes."""
        data = self.cleaned_data
        start, end = data["calling_hours_start"], data["calling_hours_end"]
        values = {
            name: data[name]
            for name in (
                "name",
                "campaign_type",
                "caller_id",
                "script",
                "ivr_menu",
                "otp_repeat_count",
                "otp_expiry_seconds",
                "max_concurrent_calls",
                "max_attempts",
                "retry_interval_seconds",
                "ring_timeout_seconds",
                "record_calls",
                "webhook_url",
                "webhook_call_started",
            )
        }
        end_text = "24:00" if end.hour == 0 and end.minute == 0 else end.strftime("%H:%M")
        values["calling_hours"] = f"{start.strftime('%H:%M')}-{end_text}"
        values["calling_weekdays"] = "".join(data["calling_weekdays"])
        return values

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict[str, Any]:
        start_text, end_text = format_calling_hours(campaign).split("-")
        return {
            "name": campaign.name,
            "campaign_type": campaign.campaign_type,
            "caller_id": campaign.caller_id,
            "script": campaign.script,
            "ivr_menu": json.dumps(campaign.ivr_menu, ensure_ascii=False, indent=2)
            if campaign.ivr_menu
            else "",
            "otp_repeat_count": campaign.otp_repeat_count,
            "otp_expiry_seconds": campaign.otp_expiry_seconds,
            "max_concurrent_calls": campaign.max_concurrent_calls,
            "max_attempts": campaign.max_attempts,
            "retry_interval_seconds": campaign.retry_interval_seconds,
            "ring_timeout_seconds": campaign.ring_timeout_seconds,
            "calling_hours_start": start_text,
            "calling_hours_end": "00:00" if end_text == "24:00" else end_text,
            "calling_weekdays": list(campaign.calling_weekdays),
            "record_calls": campaign.record_calls,
            "webhook_url": campaign.webhook_url,
            "webhook_call_started": campaign.webhook_call_started,
        }


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel (.xlsx) file"),
        help_text=_("The first row holds the column names."),
    )


class DoNotCallForm(forms.Form):
    phone_number = forms.CharField(label=_("Phone number"), max_length=40)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class DoNotCallUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel (.xlsx) file"),
        help_text=_("Numbers are read from the first column (or a column named phone_number)."),
    )


class MappingForm(forms.Form):
    """One choice per column of the uploaded file: which contact field it fills."""

    TARGETS = [
        ("", _("— ignore —")),
        ("phone_number", _("Phone number (phone_number)")),
        ("otp_code", _("OTP code (otp_code)")),
        ("danh_xung", _("Salutation (danh_xung)")),
        ("ho_ten", _("Full name (ho_ten)")),
        ("custom", _("Custom field (for the script)")),
    ]

    def __init__(self, data=None, *, header: list[str], initial_mapping: list[str]):
        super().__init__(data)
        self.header = header
        for index, name in enumerate(header):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=name or f"#{index + 1}",
                choices=self.TARGETS,
                required=False,
                initial=initial_mapping[index] if index < len(initial_mapping) else "",
            )

    def clean(self):
        data = super().clean() or {}
        seen: dict[str, str] = {}
        for name in self.fields:
            target = data.get(name, "")
            if target in ("", "custom"):
                continue
            if target in seen:
                self.add_error(name, _("Another column is already mapped to this field."))
            seen[target] = name
        if "phone_number" not in seen:
            raise forms.ValidationError(_("Choose the column that holds the phone numbers."))
        return data

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{i}", "") for i in range(len(self.header))]
