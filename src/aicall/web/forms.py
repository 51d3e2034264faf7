"""The website's forms. They only shape input; writes go through the domain services."""

import json
from typing import Any, TypedDict

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from aicall.campaigns.limits import INT_LIMITS, TEXT_LIMITS
from aicall.campaigns.models import Campaign, CampaignType
from aicall.campaigns.services import format_calling_hours
from aicall.speech.clips import OTP_AGAIN, OTP_LEAD, OTP_PAUSE_MS, OTP_REPLAY_HINT
from aicall.speech.voices import DEFAULT_VOICE, VOICES
from aicall.upload_limits import max_upload_megabytes

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


_VOICE_LABELS = {
    ("northern", "male"): _("Northern (Hà Nội), male"),
    ("northern", "female"): _("Northern (Hà Nội), female"),
    ("central", "male"): _("Central (Huế), male"),
    ("central", "female"): _("Central (Huế), female"),
    ("southern", "male"): _("Southern (Sài Gòn), male"),
    ("southern", "female"): _("Southern (Sài Gòn), female"),
}
VOICE_CHOICES = [(name, _VOICE_LABELS[kind]) for name, kind in VOICES.items()]
_KEPT_WHEN_ABSENT = (
    "voice",
    "speech_rate",
    "otp_pause_ms",
    "otp_lead_text",
    "otp_again_text",
    "otp_replay_text",
    "otp_closing_text",
)
AUDIO_ACCEPT = ".wav,.mp3,audio/wav,audio/x-wav,audio/mpeg"


class _Range(TypedDict):
    min_value: int
    max_value: int


def _range(name: str) -> _Range:
    """A whole-number field's bounds, as the service checks them (campaigns/limits.py)."""
    low, high = INT_LIMITS[name]
    return {"min_value": low, "max_value": high}


class CampaignForm(forms.Form):
    """Every setting of a campaign a customer may change, with the service's field names."""

    name = forms.CharField(label=_("Name"), max_length=TEXT_LIMITS["name"])
    campaign_type = forms.ChoiceField(label=_("Type"), choices=CAMPAIGN_TYPES)
    caller_id = forms.CharField(
        label=_("Caller ID"),
        max_length=TEXT_LIMITS["caller_id"],
        required=False,
        help_text=_("The number the callee sees, e.g. 0281234567."),
    )
    script = forms.CharField(
        label=_("Script"),
        required=False,
        max_length=TEXT_LIMITS["script"],
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
    voice = forms.ChoiceField(
        label=_("Voice"), choices=VOICE_CHOICES, initial=DEFAULT_VOICE, required=False
    )
    speech_rate = forms.IntegerField(
        label=_("Speaking speed (%)"),
        required=False,
        **_range("speech_rate"),
        initial=100,
        help_text=_("100 is the normal pace; 50 is half as fast, 200 twice as fast."),
    )
    audio_file = forms.FileField(
        label=_("Recorded audio (WAV or MP3)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": AUDIO_ACCEPT}),
        help_text=_("Played instead of the spoken script. At most 10 minutes."),
    )
    remove_audio = forms.BooleanField(label=_("Remove the recorded audio"), required=False)
    otp_repeat_count = forms.IntegerField(
        label=_("Read the code how many times"), **_range("otp_repeat_count"), initial=3
    )
    otp_lead_text = forms.CharField(
        label=_("Said before the code"),
        max_length=TEXT_LIMITS["otp_lead_text"],
        required=False,
        initial=OTP_LEAD,
    )
    otp_again_text = forms.CharField(
        label=_("Said before each further reading"),
        max_length=TEXT_LIMITS["otp_again_text"],
        required=False,
        initial=OTP_AGAIN,
    )
    otp_pause_ms = forms.IntegerField(
        label=_("Pause between readings (ms)"),
        **_range("otp_pause_ms"),
        initial=OTP_PAUSE_MS,
        required=False,
    )
    otp_replay_text = forms.CharField(
        label=_("Press 1 to hear again"),
        max_length=TEXT_LIMITS["otp_replay_text"],
        required=False,
        initial=OTP_REPLAY_HINT,
        help_text=_("Leave empty to end the call after the last reading."),
    )
    otp_closing_text = forms.CharField(
        label=_("Closing sentence"), max_length=TEXT_LIMITS["otp_closing_text"], required=False
    )
    otp_recorded_digits = forms.BooleanField(
        label=_("Read the code with our recorded digits"), required=False
    )
    otp_expiry_seconds = forms.IntegerField(
        label=_("OTP expires after (seconds)"), **_range("otp_expiry_seconds"), initial=300
    )
    max_concurrent_calls = forms.IntegerField(
        label=_("Simultaneous calls"), **_range("max_concurrent_calls"), initial=10
    )
    max_attempts = forms.IntegerField(
        label=_("Attempts per contact"),
        **_range("max_attempts"),
        initial=1,
        help_text=_("Busy, no answer and temporary failures are retried up to this many times."),
    )
    retry_interval_seconds = forms.IntegerField(
        label=_("Seconds between attempts"), **_range("retry_interval_seconds"), initial=300
    )
    ring_timeout_seconds = forms.IntegerField(
        label=_("Ring for (seconds)"), **_range("ring_timeout_seconds"), initial=45
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
        max_length=TEXT_LIMITS["webhook_url"],
        help_text=_("Optional: we POST each call's result here."),
    )
    webhook_call_started = forms.BooleanField(
        label=_("Also notify when a call is answered"), required=False
    )
    # On for a campaign made on the website (its owner sees the box), while the API keeps
    # the event opt-in: a receiver written for the original service's call callbacks reads
    # data.call_id and must not be sent another shape unasked (api.md).
    webhook_campaign_events = forms.BooleanField(
        label=_("Also notify when the campaign starts, completes or stops"),
        required=False,
        initial=True,
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
                "voice",
                "speech_rate",
                "otp_repeat_count",
                "otp_lead_text",
                "otp_again_text",
                "otp_pause_ms",
                "otp_replay_text",
                "otp_closing_text",
                "otp_recorded_digits",
                "otp_expiry_seconds",
                "max_concurrent_calls",
                "max_attempts",
                "retry_interval_seconds",
                "ring_timeout_seconds",
                "record_calls",
                "webhook_url",
                "webhook_call_started",
                "webhook_campaign_events",
            )
        }
        # Fields a form post left out keep their value (an empty sentence is a choice; a
        # missing one is not).
        for name in _KEPT_WHEN_ABSENT:
            if name not in self.data:
                values.pop(name)
        for name in ("voice", "speech_rate", "otp_pause_ms"):
            if values.get(name) in (None, ""):
                values.pop(name, None)
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
            "voice": campaign.voice,
            "speech_rate": campaign.speech_rate,
            "otp_repeat_count": campaign.otp_repeat_count,
            "otp_lead_text": campaign.otp_lead_text,
            "otp_again_text": campaign.otp_again_text,
            "otp_pause_ms": campaign.otp_pause_ms,
            "otp_replay_text": campaign.otp_replay_text,
            "otp_closing_text": campaign.otp_closing_text,
            "otp_recorded_digits": campaign.otp_recorded_digits,
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
            "webhook_campaign_events": campaign.webhook_campaign_events,
        }


class DigitsForm(forms.Form):
    """The account's recorded digits: a zip of 0.wav … 9.wav, or one file per digit."""

    archive = forms.FileField(
        label=_("Zip of 0.wav … 9.wav"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for digit in "0123456789":
            self.fields[f"digit_{digit}"] = forms.FileField(
                label=_("Digit %(digit)s") % {"digit": digit},
                required=False,
                widget=forms.ClearableFileInput(attrs={"accept": AUDIO_ACCEPT}),
            )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel (.xlsx) file"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The limits as configured now (upload_limits.py, web/spreadsheets.py).
        self.fields["file"].help_text = _(
            "The first row holds the column names. At most %(megabytes)s MB and %(rows)s rows."
        ) % {
            "megabytes": max_upload_megabytes(),
            "rows": f"{settings.AICALL['MAX_UPLOAD_ROWS']:,}",
        }


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
