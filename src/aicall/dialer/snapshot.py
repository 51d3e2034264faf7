"""What the dialer needs to know of campaigns and trunks, read in one go and cached.

A campaign's calls go through its trunk, else its owner's default trunk, else the trunk
marked default; with none, through the sandbox's own limits. The pacing key names that
trunk ("trunk:<id>") or "sandbox".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.conf import settings

from aicall.campaigns.menu_audio import resolved_menu
from aicall.campaigns.models import Campaign, CampaignStatus, CampaignType
from aicall.campaigns.queries import digit_recordings_of
from aicall.dialer.clock import SYSTEM_CLOCK
from aicall.speech.clips import OtpWording
from aicall.telephony.base import TrunkConfig
from aicall.telephony.models import Trunk
from aicall.telephony.trunks import route_trunk_id, trunk_config

SANDBOX_KEY = "sandbox"


@dataclass(frozen=True)
class TrunkInfo:
    id: int
    caller_id: str
    max_channels: int
    calls_per_second: float
    config: TrunkConfig


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    owner_id: int
    is_otp: bool
    running: bool
    caller_id: str
    script: str
    ivr_menu: dict[str, Any]
    audio_path: str
    audio_seconds: float | None
    voice: str
    speech_rate: int
    otp_repeat_count: int
    otp_wording: OtpWording
    otp_digit_clips: dict[str, str]
    otp_expiry_seconds: int
    max_concurrent: int
    max_attempts: int
    retry_interval_seconds: int
    calling_start: time
    calling_end: time
    weekdays: str
    ring_timeout_seconds: int
    record: bool
    webhook_url: str
    webhook_call_started: bool
    updated_at: datetime
    trunk: TrunkInfo | None = field(default=None)

    @property
    def pacing_key(self) -> str:
        return f"trunk:{self.trunk.id}" if self.trunk else SANDBOX_KEY

    @property
    def effective_caller_id(self) -> str:
        """The number placed from: the campaign's caller ID, else the trunk's."""
        return self.caller_id or (self.trunk.caller_id if self.trunk else "")


def pacing_limits(key: str, trunks: dict[int, TrunkInfo]) -> tuple[int, float]:
    """(max channels, calls per second; 0 = no rate limit) of a pacing key."""
    if key == SANDBOX_KEY:
        return (
            int(settings.AICALL["SANDBOX_MAX_CHANNELS"]),
            float(settings.AICALL["SANDBOX_CALLS_PER_SECOND"]),
        )
    trunk = trunks.get(int(key.split(":", 1)[1]))
    if trunk is None:  # deleted while calls were in flight: let nothing new through
        return 0, 0.0
    return trunk.max_channels, trunk.calls_per_second


def load_trunks() -> tuple[dict[int, TrunkInfo], int | None]:
    """Every trunk by id, and the id of the default one."""
    trunks: dict[int, TrunkInfo] = {}
    default_id = None
    for t in Trunk.objects.order_by("id"):
        trunks[t.pk] = TrunkInfo(
            id=t.pk,
            caller_id=t.caller_id,
            max_channels=t.max_channels,
            calls_per_second=t.calls_per_second,
            config=trunk_config(t),
        )
        if t.is_default and default_id is None:
            default_id = t.pk
    return trunks, default_id


def otp_wording(c: Campaign) -> OtpWording:
    return OtpWording(
        lead=c.otp_lead_text,
        again=c.otp_again_text,
        replay_hint=c.otp_replay_text,
        closing=c.otp_closing_text,
        pause_ms=c.otp_pause_ms,
    )


def otp_digit_clips(c: Campaign) -> dict[str, str]:
    """The owner's recorded digits when the campaign reads codes with them (all ten, or
    none: a code is never read half in one voice and half in another)."""
    if c.campaign_type != CampaignType.VOICE_OTP or not c.otp_recorded_digits:
        return {}
    clips = {d: r.audio_file.path for d, r in digit_recordings_of(c.owner_id).items()}
    return clips if len(clips) == 10 else {}


def campaign_info(c: Campaign) -> CampaignInfo:
    """One campaign as the dialer sees it (saved or not), without trunks (previews)."""
    return _info(c, {}, None)


def _info(c: Campaign, trunks: dict[int, TrunkInfo], default_trunk: int | None) -> CampaignInfo:
    owner_trunk = c.owner.default_trunk_id if trunks else None  # no owner read without trunks
    trunk_id = route_trunk_id(c.trunk_id, owner_trunk, default_trunk, trunks.__contains__)
    return CampaignInfo(
        id=c.pk,
        owner_id=c.owner_id,
        is_otp=c.campaign_type == CampaignType.VOICE_OTP,
        running=c.status == CampaignStatus.RUNNING,
        caller_id=c.caller_id,
        script=c.script,
        # Menu recordings as file paths and lengths (campaigns/menu_audio.py).
        ivr_menu=resolved_menu(c),
        audio_path=c.audio_file.path if c.audio_file else "",
        audio_seconds=c.audio_seconds if c.audio_file else None,
        voice=c.voice,
        speech_rate=c.speech_rate,
        otp_repeat_count=c.otp_repeat_count,
        otp_wording=otp_wording(c),
        otp_digit_clips=otp_digit_clips(c),
        otp_expiry_seconds=c.otp_expiry_seconds,
        max_concurrent=c.max_concurrent_calls,
        max_attempts=c.max_attempts,
        retry_interval_seconds=c.retry_interval_seconds,
        calling_start=c.calling_hours_start,
        calling_end=c.calling_hours_end,
        weekdays=c.calling_weekdays,
        ring_timeout_seconds=c.ring_timeout_seconds,
        record=c.record_calls,
        webhook_url=c.webhook_url,
        webhook_call_started=c.webhook_call_started,
        updated_at=c.updated_at,
        trunk=trunks.get(trunk_id) if trunk_id else None,
    )


def campaign_infos(ids: set[int]) -> dict[int, CampaignInfo]:
    """Campaigns by id, whatever their status (for settling calls of stopped campaigns)."""
    if not ids:
        return {}
    trunks, default_trunk = load_trunks()
    rows = Campaign.objects.filter(id__in=ids).select_related("owner")
    return {c.pk: _info(c, trunks, default_trunk) for c in rows}


class CampaignCache:
    """Running campaigns and the trunks, as the claim loop sees them.

    Which campaigns run is read every round (one small query: a stop takes effect at the next
    round); a campaign's settings are read again when its `updated_at` moves, and everything,
    trunks included, every `refresh_seconds`.
    """

    def __init__(self, refresh_seconds: float = 5.0) -> None:
        self.refresh_seconds = refresh_seconds
        self.campaigns: dict[int, CampaignInfo] = {}
        self.trunks: dict[int, TrunkInfo] = {}
        self._loaded_mono = -1e18

    def refresh(self) -> dict[int, CampaignInfo]:
        running = dict(
            Campaign.objects.filter(status=CampaignStatus.RUNNING).values_list("id", "updated_at")
        )
        stale = SYSTEM_CLOCK.mono() - self._loaded_mono > self.refresh_seconds
        changed = set(running) != set(self.campaigns) or any(
            self.campaigns[i].updated_at != updated for i, updated in running.items()
        )
        if stale or changed:
            self.trunks, default_trunk = load_trunks()
            rows = Campaign.objects.filter(id__in=list(running)).select_related("owner")
            self.campaigns = {
                c.pk: _info(c, self.trunks, default_trunk)
                for c in rows
                if c.status == CampaignStatus.RUNNING
            }
            self._loaded_mono = SYSTEM_CLOCK.mono()
        return self.campaigns

    def pacing_keys(self) -> dict[int, str]:
        return {i: c.pacing_key for i, c in self.campaigns.items()}
