"""Every write to a campaign goes through one of these actions."""

from dataclasses import dataclass
from datetime import time
from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.utils import timezone

from aicall.accounts.callerids import CALLER_ID, may_show
from aicall.accounts.models import User
from aicall.campaigns.errors import CampaignError
from aicall.campaigns.ivr_menu import validate_menu
from aicall.campaigns.models import Campaign, CampaignStatus, CampaignType
from aicall.telephony.trunks import trunk_for
from aicall.webhooks.services import clean_webhook_settings

__all__ = ["CampaignError"]


def parse_calling_hours(text: str) -> tuple[time, time]:
    """`"08:00-17:00"` -> (08:00, 17:00); `"00:00-24:00"` means around the clock."""
    try:
        start_text, end_text = (part.strip() for part in text.split("-"))
        start = time.fromisoformat(start_text)
        end = time(0, 0) if end_text == "24:00" else time.fromisoformat(end_text)
    except ValueError as exc:
        raise CampaignError("calling_hours", "calling hours must look like 08:00-17:00") from exc
    if end != time(0, 0) and end <= start:
        raise CampaignError("calling_hours", "calling hours must end after they start")
    return start, end


def format_calling_hours(campaign: Campaign) -> str:
    end = campaign.calling_hours_end
    end_text = "24:00" if end == time(0, 0) else end.strftime("%H:%M")
    return f"{campaign.calling_hours_start.strftime('%H:%M')}-{end_text}"


@dataclass
class CampaignSettings:
    """Validated values for the settable fields of a campaign (None means: leave as is)."""

    values: dict[str, Any]


_INT_LIMITS = {
    "max_concurrent_calls": (1, 100_000),
    "max_attempts": (1, 10),
    "retry_interval_seconds": (10, 7 * 86400),
    "otp_expiry_seconds": (10, 86400),
    "otp_repeat_count": (1, 10),
    "ring_timeout_seconds": (5, 300),
}
_TEXT_FIELDS = {
    "name": 200,
    "caller_id": 32,
    "script": 10_000,
    "webhook_url": 500,
    "webhook_secret": 100,
}


def clean_settings(raw: dict[str, Any], *, allow_restricted: bool = False) -> dict[str, Any]:
    """Check campaign settings from any surface (CLI, API, website) the same way.

    `allow_restricted`: the account may transfer to premium-rate and 1900/1800 numbers.
    Whether the account may show the caller ID is checked by `check_caller_id`.
    """
    values: dict[str, Any] = {}
    for name, limit in _TEXT_FIELDS.items():
        if raw.get(name) is not None:
            text = str(raw[name]).strip() if name != "script" else str(raw[name])
            if len(text) > limit:
                raise CampaignError(name, f"{name} is longer than {limit} characters")
            values[name] = text
    if values.get("caller_id") and not CALLER_ID.match(values["caller_id"]):
        raise CampaignError("caller_id", "caller_id must be digits only (3 to 20)")
    if "name" in values and not values["name"]:
        raise CampaignError("name", "name must not be empty")
    if raw.get("campaign_type") is not None:
        if raw["campaign_type"] not in CampaignType.values:
            raise CampaignError("campaign_type", "type must be voice_otp or ivr")
        values["campaign_type"] = raw["campaign_type"]
    for name, (low, high) in _INT_LIMITS.items():
        if raw.get(name) is not None:
            try:
                number = int(raw[name])
            except (TypeError, ValueError) as exc:
                raise CampaignError(name, f"{name} must be a whole number") from exc
            if not low <= number <= high:
                raise CampaignError(name, f"{name} must be between {low} and {high}")
            values[name] = number
    if raw.get("calling_hours") is not None:
        values["calling_hours_start"], values["calling_hours_end"] = parse_calling_hours(
            str(raw["calling_hours"])
        )
    if raw.get("calling_weekdays") is not None:
        given = raw["calling_weekdays"]
        text = "".join(map(str, given)) if isinstance(given, list | tuple) else str(given)
        days = "".join(sorted(set(text)))
        if not days or any(d not in "0123456" for d in days):
            raise CampaignError("calling_weekdays", "weekdays are digits 0 (Monday) to 6")
        values["calling_weekdays"] = days
    for flag in ("record_calls", "webhook_call_started"):
        if raw.get(flag) is not None:
            values[flag] = bool(raw[flag])
    if raw.get("ivr_menu") is not None:
        values["ivr_menu"] = validate_menu(raw["ivr_menu"], allow_restricted=allow_restricted)
    return values


def check_caller_id(campaign: Campaign) -> None:
    """CampaignError unless the campaign's caller ID is empty, its trunk's own caller ID, or
    one the operator verified for the account (accounts/callerids.py)."""
    if not campaign.caller_id:
        return
    # Read the owner afresh rather than through campaign.owner, which would stay cached
    # on the returned object (and hide a later trunk assignment from its reader).
    owner = User.objects.only("default_trunk_id").get(pk=campaign.owner_id)
    trunk = trunk_for(SimpleNamespace(trunk_id=campaign.trunk_id, owner=owner))
    if not may_show(campaign.owner_id, campaign.caller_id, trunk.caller_id if trunk else ""):
        raise CampaignError(
            "caller_id",
            "caller_id is not verified for this account: ask the operator to verify the "
            "number (aicall callerid add), or leave it empty to use the trunk's caller ID",
        )


def _allows_restricted(owner_id: int) -> bool:
    return User.objects.filter(pk=owner_id, allow_restricted_destinations=True).exists()


@transaction.atomic
def do_create_campaign(owner_id: int, raw: dict[str, Any], *, start: bool = False) -> Campaign:
    values = {
        **clean_settings(raw, allow_restricted=_allows_restricted(owner_id)),
        **clean_webhook_settings(raw, None),
    }
    if "name" not in values:
        raise CampaignError("name", "name is required")
    if "campaign_type" not in values:
        raise CampaignError("campaign_type", "type must be voice_otp or ivr")
    campaign = Campaign(owner_id=owner_id, **values)
    check_caller_id(campaign)
    campaign.save(force_insert=True)
    if start:
        do_start_campaign(campaign)
    return campaign


@transaction.atomic
def do_update_campaign(campaign: Campaign, raw: dict[str, Any]) -> Campaign:
    values = {
        **clean_settings(raw, allow_restricted=_allows_restricted(campaign.owner_id)),
        **clean_webhook_settings(raw, campaign),
    }
    before = campaign.caller_id
    for name, value in values.items():
        setattr(campaign, name, value)
    if campaign.caller_id != before:
        try:
            check_caller_id(campaign)
        except CampaignError:
            campaign.caller_id = before  # the object stays as stored: nothing changed
            raise
    campaign.save()
    return campaign


def do_start_campaign(campaign: Campaign) -> Campaign:
    """Let the dialer place this campaign's queued calls (resumes a stopped one)."""
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.RUNNING, started_at=now, updated_at=now
    )
    campaign.status, campaign.started_at = CampaignStatus.RUNNING, now
    return campaign


def do_stop_campaign(campaign: Campaign) -> Campaign:
    """No new dials from now on; calls already ringing or connected finish normally."""
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.STOPPED, updated_at=timezone.now()
    )
    campaign.status = CampaignStatus.STOPPED
    return campaign
