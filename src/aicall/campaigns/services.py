"""Every write to a campaign goes through one of these actions."""

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone

from aicall.calls.models import Call
from aicall.campaigns.errors import CampaignError
from aicall.campaigns.ivr_menu import validate_menu
from aicall.campaigns.models import STARTABLE, Campaign, CampaignStatus, CampaignType
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


def clean_settings(raw: dict[str, Any]) -> dict[str, Any]:
    """Check campaign settings from any surface (CLI, API, website) the same way."""
    values: dict[str, Any] = {}
    for name, limit in _TEXT_FIELDS.items():
        if raw.get(name) is not None:
            text = str(raw[name]).strip() if name != "script" else str(raw[name])
            if len(text) > limit:
                raise CampaignError(name, f"{name} is longer than {limit} characters")
            values[name] = text
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
        values["ivr_menu"] = validate_menu(raw["ivr_menu"])
    return values


@transaction.atomic
def do_create_campaign(owner_id: int, raw: dict[str, Any], *, start: bool = False) -> Campaign:
    values = {**clean_settings(raw), **clean_webhook_settings(raw, None)}
    if "name" not in values:
        raise CampaignError("name", "name is required")
    if "campaign_type" not in values:
        raise CampaignError("campaign_type", "type must be voice_otp or ivr")
    campaign = Campaign.objects.create(owner_id=owner_id, **values)
    if start:
        do_start_campaign(campaign)
    return campaign


@transaction.atomic
def do_update_campaign(campaign: Campaign, raw: dict[str, Any]) -> Campaign:
    values = {**clean_settings(raw), **clean_webhook_settings(raw, campaign)}
    for name, value in values.items():
        setattr(campaign, name, value)
    campaign.save()
    return campaign


def _set_status(campaign: Campaign, **values: Any) -> Campaign:
    values["updated_at"] = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(**values)
    for name, value in values.items():
        setattr(campaign, name, value)
    return campaign


def do_start_campaign(campaign: Campaign) -> Campaign:
    """Let the dialer place this campaign's queued calls (resumes a stopped one).

    Starting an archived campaign brings it back; a scheduled start is dropped (it starts
    now instead).
    """
    return _set_status(
        campaign,
        status=CampaignStatus.RUNNING,
        started_at=timezone.now(),
        scheduled_start_at=None,
        completed_at=None,
        archived_at=None,
    )


def do_stop_campaign(campaign: Campaign) -> Campaign:
    """No new dials from now on; calls already ringing or connected finish normally.

    A scheduled campaign loses its scheduled start. A draft, completed or archived
    campaign is left as it is (there is nothing to stop).
    """
    if campaign.status not in (CampaignStatus.RUNNING, CampaignStatus.SCHEDULED):
        return campaign
    return _set_status(campaign, status=CampaignStatus.STOPPED, scheduled_start_at=None)


def do_schedule_campaign(campaign: Campaign, start_at: datetime) -> Campaign:
    """Start the campaign at `start_at` (the dialer does it); nothing is dialled before."""
    if start_at <= timezone.now():
        raise CampaignError("scheduled_start_at", "the scheduled start must be in the future")
    if campaign.status not in STARTABLE:
        raise CampaignError("status", f"a {campaign.status} campaign cannot be scheduled")
    return _set_status(
        campaign, status=CampaignStatus.SCHEDULED, scheduled_start_at=start_at, archived_at=None
    )


def do_archive_campaign(campaign: Campaign) -> Campaign:
    """Put the campaign away: no more dialling, hidden from the default campaign list."""
    return _set_status(
        campaign,
        status=CampaignStatus.ARCHIVED,
        archived_at=timezone.now(),
        scheduled_start_at=None,
    )


def do_restore_campaign(campaign: Campaign) -> Campaign:
    """An archived campaign back in the list, stopped (or a draft if it never ran)."""
    if campaign.status != CampaignStatus.ARCHIVED:
        return campaign
    status = CampaignStatus.STOPPED if campaign.started_at else CampaignStatus.DRAFT
    return _set_status(campaign, status=status, archived_at=None)


# Fields a copy does not take over: identity, life cycle, and the webhook secret (a copy
# that posts to the same URL signs with a secret of its own).
_NOT_COPIED = {
    "id",
    "owner",
    "name",
    "status",
    "created_at",
    "updated_at",
    "started_at",
    "scheduled_start_at",
    "completed_at",
    "archived_at",
    "test_for",
    "webhook_secret",
}


def copy_settings(source: Campaign, target: Campaign) -> None:
    """Every setting of `source` onto `target` (unsaved), whatever fields the model grows."""
    for model_field in Campaign._meta.concrete_fields:
        if model_field.name not in _NOT_COPIED:
            setattr(target, model_field.attname, getattr(source, model_field.attname))


@transaction.atomic
def do_duplicate_campaign(campaign: Campaign, name: str) -> Campaign:
    """A new draft with the same settings (no contacts), named `name`."""
    name = name.strip()[: _TEXT_FIELDS["name"]] or campaign.name
    copy = Campaign(owner_id=campaign.owner_id, name=name, status=CampaignStatus.DRAFT)
    copy_settings(campaign, copy)
    copy.webhook_secret = clean_webhook_settings({}, copy).get("webhook_secret", "")
    copy.save()
    return copy


@transaction.atomic
def do_delete_campaign(campaign: Campaign) -> None:
    """Delete a campaign that has no calls (its test calls go with it); else CampaignError.

    A campaign whose contacts were called keeps its history: archive it instead.
    """
    locked = Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    if locked is None:
        return
    if Call.objects.filter(campaign_id=campaign.pk).exists():
        raise CampaignError("campaign", "a campaign with contacts cannot be deleted; archive it")
    locked.delete()
