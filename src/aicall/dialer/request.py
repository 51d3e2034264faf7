"""What the carrier is asked to do for a claimed call (also what a preview plays)."""

from __future__ import annotations

from aicall.campaigns.script import contact_values, render_script
from aicall.dialer.types import ClaimedCall
from aicall.telephony.base import CallRequest


def build_request(claimed: ClaimedCall) -> CallRequest:
    """The carrier's request for a claimed call: script filled in for this contact."""
    campaign = claimed.campaign
    values = contact_values(
        phone_e164=claimed.phone_e164,
        danh_xung=claimed.danh_xung,
        ho_ten=claimed.ho_ten,
        otp_code=claimed.otp_code,
        custom_fields=claimed.custom_fields,
    )
    return CallRequest(
        call_id=claimed.call_id,
        attempt=claimed.attempt,
        callee_e164=claimed.phone_e164,
        caller_id=campaign.effective_caller_id,
        script_text=render_script(campaign.script, values),
        otp_code=claimed.otp_code if campaign.is_otp else "",
        otp_repeat_count=campaign.otp_repeat_count,
        otp_wording=campaign.otp_wording,
        otp_digit_clips=campaign.otp_digit_clips,
        audio_path=campaign.audio_path,
        audio_seconds=campaign.audio_seconds,
        voice=campaign.voice,
        speech_rate=campaign.speech_rate,
        ivr_menu=campaign.ivr_menu,
        ring_timeout_seconds=float(campaign.ring_timeout_seconds),
        record=campaign.record,
        trunk=campaign.trunk.config if campaign.trunk else None,
    )
