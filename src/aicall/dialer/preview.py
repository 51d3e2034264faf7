"""A campaign's call for a sample contact, heard before launch ("Nghe thử").

The request is built by the dialer's own `build_request` from the dialer's own view of the
campaign, and its audio from the same clips the SIP carrier plays, so the preview is what
the contact will hear. The audio is joined in memory: a voice OTP preview holds a code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.utils import timezone

from aicall.campaigns.errors import CampaignError
from aicall.campaigns.models import Campaign
from aicall.dialer.request import build_request
from aicall.dialer.snapshot import campaign_info
from aicall.dialer.types import ClaimedCall
from aicall.lib.phones import to_e164
from aicall.speech.clips import default_engine, join_wav
from aicall.telephony.prompts import engine_for, opening_clips

SAMPLE_PHONE = "+84901234567"
SAMPLE_OTP = "123456"
_NAMED = ("phone_number", "otp_code", "danh_xung", "ho_ten")


def sample_call(
    campaign: Campaign, fields: Mapping[str, Any], audio_path: str | None = None
) -> ClaimedCall:
    """A claimed call of `campaign` (saved or not) for a contact with these import fields;
    `audio_path` stands in for the campaign's audio (a file chosen but not yet saved)."""
    phone = str(fields.get("phone_number") or "").strip()
    phone_e164 = to_e164(phone) if phone else SAMPLE_PHONE
    if phone_e164 is None:
        raise CampaignError("phone_number", "phone_number is not a Vietnamese number")
    otp = str(fields.get("otp_code") or "").strip() or SAMPLE_OTP
    if campaign.is_voice_otp and not (otp.isdigit() and len(otp) <= 6 and int(otp) > 0):
        raise CampaignError("otp_code", "otp_code must be 000001-999999")
    info = campaign_info(campaign)
    if audio_path is not None:
        info = replace(info, audio_path=audio_path, audio_seconds=None)
    return ClaimedCall(
        call_id=0,
        attempt=0,
        campaign=info,
        phone_e164=phone_e164,
        otp_code=otp.zfill(6) if campaign.is_voice_otp else "",
        danh_xung=str(fields.get("danh_xung") or ""),
        ho_ten=str(fields.get("ho_ten") or ""),
        custom_fields={k: v for k, v in fields.items() if k not in _NAMED},
        start_epoch=0.0,
        claimed_at=timezone.now(),
    )


def preview_wav(
    campaign: Campaign, fields: Mapping[str, Any], audio_path: str | None = None
) -> bytes:
    """The WAV (8 kHz mono) of what the sample contact hears until the first key is awaited.

    Raises CampaignError for a bad sample field, SpeechError when the engine fails.
    """
    request = build_request(sample_call(campaign, fields, audio_path))
    engine = engine_for(default_engine(), request)
    return join_wav(opening_clips(engine, request))
