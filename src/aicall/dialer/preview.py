"""A campaign's call for a sample contact, heard before launch ("Nghe thử").

The request is built by the dialer's own `build_request` from the dialer's own view of the
campaign, and its audio from the same clips the SIP carrier plays, so the preview is what
the contact will hear. The audio is joined in memory: a voice OTP preview holds a code.

A preview speaks at most the first `PREVIEW_CHARACTERS` characters of each text, as spoken
(numbers written out, the contact's fields filled in): the script and the menu's prompt.
That is about a minute of speech at the normal pace, enough to judge the voice and the
wording; a 10,000-character script (or a long field pasted into it) would otherwise render
for many seconds into a WAV of tens of minutes. Calls speak every text whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, NamedTuple

from django.utils import timezone

from aicall.campaigns.errors import CampaignError
from aicall.campaigns.models import Campaign
from aicall.dialer.request import build_request
from aicall.dialer.snapshot import campaign_info
from aicall.dialer.types import ClaimedCall
from aicall.lib.phones import to_e164
from aicall.speech.clips import default_engine, join_wav
from aicall.speech.normalize import normalize_vi
from aicall.telephony.prompts import engine_for, opening_clips, recording

SAMPLE_PHONE = "+84901234567"
SAMPLE_OTP = "123456"
_NAMED = ("phone_number", "otp_code", "danh_xung", "ho_ten")
PREVIEW_CHARACTERS = 1000


class Preview(NamedTuple):
    wav: bytes  # 8 kHz mono
    shortened: bool  # a text was longer than PREVIEW_CHARACTERS: only its start is heard


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
) -> Preview:
    """What the sample contact hears until the first key is awaited, each text cut to its
    first PREVIEW_CHARACTERS characters.

    Raises CampaignError for a bad sample field, SpeechError when the engine fails.
    """
    request = build_request(sample_call(campaign, fields, audio_path))
    # Only texts that are spoken: an uploaded audio replaces the script, a recording the
    # prompt, and a voice OTP reads its code instead of the menu's prompt.
    script = None if request.audio_path else _start_of(request.script_text)
    menu = dict(request.ivr_menu or {})
    prompt = None
    if not request.otp_code and recording(menu, "prompt_audio") is None:
        prompt = _start_of(str(menu.get("prompt") or ""))
    if prompt is not None:
        menu["prompt"] = prompt
    heard = replace(
        request,
        script_text=request.script_text if script is None else script,
        ivr_menu=menu,
    )
    engine = engine_for(default_engine(), heard)
    return Preview(join_wav(opening_clips(engine, heard)), (script, prompt) != (None, None))


def _start_of(text: str) -> str | None:
    """The first PREVIEW_CHARACTERS characters of `text` as spoken, cut after a whole word;
    None when it is not longer than that. (Spoken text has no digits left, so the engine's
    normalisation leaves it as it is.)"""
    spoken = normalize_vi(text)
    if len(spoken) <= PREVIEW_CHARACTERS:
        return None
    head = spoken[: PREVIEW_CHARACTERS + 1]
    space = head.rfind(" ")
    return head[:space] if space > PREVIEW_CHARACTERS // 2 else head[:PREVIEW_CHARACTERS]
