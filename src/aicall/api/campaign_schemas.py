"""Shapes of the campaign-management extension, for the OpenAPI description.

The handlers read bodies by hand (api/bodies.py), so these shapes only describe them; the
limits in them are campaigns/limits.py's, the ones the services enforce.
"""

from typing import Any

from ninja import Schema
from pydantic import Field

from aicall.accounts.callerids import CALLER_ID
from aicall.campaigns.limits import INT_LIMITS, TEXT_LIMITS
from aicall.campaigns.models import CampaignType
from aicall.speech.voices import VOICES


class CampaignSettingsIn(Schema):
    """The settable fields; the limits are campaigns/limits.py's, which the service checks."""

    name: str | None = Field(None, max_length=TEXT_LIMITS["name"])
    campaign_type: str | None = None
    caller_id: str | None = Field(None, max_length=TEXT_LIMITS["caller_id"])
    script: str | None = Field(None, max_length=TEXT_LIMITS["script"])
    ivr_menu: dict | None = None
    calling_hours: str | None = None
    calling_weekdays: str | None = None
    max_concurrent_calls: int | None = Field(
        None, ge=INT_LIMITS["max_concurrent_calls"][0], le=INT_LIMITS["max_concurrent_calls"][1]
    )
    max_attempts: int | None = Field(
        None, ge=INT_LIMITS["max_attempts"][0], le=INT_LIMITS["max_attempts"][1]
    )
    retry_interval_seconds: int | None = Field(
        None, ge=INT_LIMITS["retry_interval_seconds"][0], le=INT_LIMITS["retry_interval_seconds"][1]
    )
    otp_expiry_seconds: int | None = Field(
        None, ge=INT_LIMITS["otp_expiry_seconds"][0], le=INT_LIMITS["otp_expiry_seconds"][1]
    )
    otp_repeat_count: int | None = Field(
        None, ge=INT_LIMITS["otp_repeat_count"][0], le=INT_LIMITS["otp_repeat_count"][1]
    )
    ring_timeout_seconds: int | None = Field(
        None, ge=INT_LIMITS["ring_timeout_seconds"][0], le=INT_LIMITS["ring_timeout_seconds"][1]
    )
    record_calls: bool | None = None
    webhook_url: str | None = Field(None, max_length=TEXT_LIMITS["webhook_url"])
    webhook_secret: str | None = Field(None, max_length=TEXT_LIMITS["webhook_secret"])
    webhook_call_started: bool | None = None
    webhook_campaign_events: bool | None = None
    voice: str | None = None
    speech_rate: int | None = Field(
        None, ge=INT_LIMITS["speech_rate"][0], le=INT_LIMITS["speech_rate"][1]
    )
    otp_lead_text: str | None = Field(None, max_length=TEXT_LIMITS["otp_lead_text"])
    otp_again_text: str | None = Field(None, max_length=TEXT_LIMITS["otp_again_text"])
    otp_replay_text: str | None = Field(None, max_length=TEXT_LIMITS["otp_replay_text"])
    otp_closing_text: str | None = Field(None, max_length=TEXT_LIMITS["otp_closing_text"])
    otp_pause_ms: int | None = Field(
        None, ge=INT_LIMITS["otp_pause_ms"][0], le=INT_LIMITS["otp_pause_ms"][1]
    )
    otp_recorded_digits: bool | None = None


_TOKEN_PROPERTY = {
    "type": "string",
    "description": "The access_token, if it travels in the body (or use the query string "
    "or `Authorization: Bearer`).",
}
_PATTERNS = {
    "calling_hours": r"^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$",
    "calling_weekdays": r"^[0-6]{1,7}$",
    "caller_id": f"^$|{CALLER_ID.pattern}",  # empty: the trunk's own caller ID
}


def _value_branch(prop: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of a `X | None` property (pydantic writes it as anyOf)."""
    for branch in prop.get("anyOf", []):
        if branch.get("type") != "null":
            return branch
    return prop


def settings_schema(*, create: bool) -> dict[str, Any]:
    """The JSON schema of a create (`create=True`) or update body.

    Unknown fields are refused (`additionalProperties: false`, answer `400` with `field`);
    `null` means "leave as it is" (create: the default). The sizes and ranges are the
    fields' own (campaigns/limits.py); patterns and enums are added here.
    """
    schema = CampaignSettingsIn.model_json_schema()
    props = schema["properties"]
    for name, pattern in _PATTERNS.items():
        _value_branch(props[name])["pattern"] = pattern
    _value_branch(props["voice"])["enum"] = list(VOICES)
    _value_branch(props["campaign_type"])["enum"] = list(CampaignType.values)
    props["access_token"] = _TOKEN_PROPERTY
    schema["additionalProperties"] = False
    if create:
        schema["title"] = "CampaignCreateIn"
        for name in ("name", "campaign_type"):
            props[name] = {**_value_branch(props[name]), "title": props[name].get("title")}
            props[name].pop("default", None)
        props["name"]["minLength"] = 1
        schema["required"] = ["name", "campaign_type"]
    return schema


class Progress(Schema):
    queued: int
    in_progress: int
    answered: int
    failed: int
    total: int


class CampaignOut(Schema):
    campaign_id: int
    name: str
    campaign_type: str
    status: str
    caller_id: str
    script: str
    ivr_menu: dict
    calling_hours: str
    calling_weekdays: str
    max_concurrent_calls: int
    max_attempts: int
    retry_interval_seconds: int
    otp_expiry_seconds: int
    otp_repeat_count: int
    ring_timeout_seconds: int
    record_calls: bool
    webhook_url: str
    webhook_secret: str
    webhook_call_started: bool
    webhook_campaign_events: bool
    voice: str
    speech_rate: int
    audio_seconds: float | None
    audio_name: str
    otp_lead_text: str
    otp_again_text: str
    otp_replay_text: str
    otp_closing_text: str
    otp_pause_ms: int
    otp_recorded_digits: bool
    created_at: str
    started_at: str
    scheduled_start_at: str = ""
    completed_at: str = ""
    archived_at: str = ""
    # Why nothing is being dialled (null while calls go out): draft, scheduled,
    # calling_hours, retry_later, no_contacts, no_dialer, trunk_down, stopped, completed,
    # archived; next_call_at is when the next call goes out ("" when not known).
    waiting_reason: str | None = None
    next_call_at: str = ""
    # True when the campaign's calls are simulated (no trunk, or AICALL_TELEPHONY=sandbox).
    sandbox: bool
    trunk: str | None = None
    trunk_state: str | None = None  # "up", "down" (calls wait), "paused" (503 Retry-After)
    progress: Progress | None = None


class CampaignSuccess(Schema):
    status: int = 1
    results: CampaignOut


class CampaignList(Schema):
    limit: int
    total: int
    campaigns: list[CampaignOut]


class CampaignListSuccess(Schema):
    status: int = 1
    results: CampaignList


class ProgressOut(Progress):
    campaign_id: int
    status: str
    waiting_reason: str | None = None
    next_call_at: str = ""


class ScheduleIn(Schema):
    start_at: str  # "YYYY-MM-DD HH:MM:SS" Vietnam time, or epoch milliseconds


class DuplicateIn(Schema):
    name: str | None = None


class DeletedOut(Schema):
    status: int = 1
    message: str


class ProgressSuccess(Schema):
    status: int = 1
    results: ProgressOut


class FieldFailure(Schema):
    status: int = 0
    code: str
    message: str
    field: str | None = None


class WebhookSecret(Schema):
    webhook_secret: str


class WebhookSecretSuccess(Schema):
    status: int = 1
    results: WebhookSecret


class DoNotCallIn(Schema):
    phone_numbers: list[str]
    note: str | None = None


class DoNotCallEntry(Schema):
    phone_number: str
    note: str
    created_at: str


class DoNotCallList(Schema):
    limit: int
    total: int
    numbers: list[DoNotCallEntry]


class DoNotCallListSuccess(Schema):
    status: int = 1
    results: DoNotCallList


class DoNotCallChange(Schema):
    status: int = 1
    message: str
    results: list[str]


class AudioOut(Schema):
    audio_seconds: float | None


class AudioSuccess(Schema):
    status: int = 1
    results: AudioOut


class DigitOut(Schema):
    digit: str
    audio_seconds: float
    uploaded_at: str


class DigitsOut(Schema):
    complete: bool
    digits: list[DigitOut]


class DigitsSuccess(Schema):
    status: int = 1
    results: DigitsOut
