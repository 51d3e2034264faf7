"""Every write to a campaign goes through one of these actions."""

from collections.abc import Collection
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aicall.accounts.callerids import (
    CALLER_ID,
    VerifiedCallerId,
    caller_id_key,
    clean_caller_id,
    may_show,
)
from aicall.accounts.models import User
from aicall.campaigns.audio import delete_if_unused
from aicall.campaigns.errors import CampaignError
from aicall.campaigns.ivr_menu import validate_menu
from aicall.campaigns.limits import INT_LIMITS, TEXT_LIMITS
from aicall.campaigns.menu_audio import delete_unused
from aicall.campaigns.models import STARTABLE, Campaign, CampaignStatus, CampaignType
from aicall.campaigns.queries import has_all_digit_recordings
from aicall.campaigns.webhook_settings import announce_status, clean_webhook_settings
from aicall.speech.voices import VOICES
from aicall.telephony.trunks import routed_trunk
from aicall.webhooks.signing import new_secret

__all__ = ["CampaignError"]


def parse_calling_hours(text: str) -> tuple[time, time]:
    """`"08:00-17:00"` -> (08:00, 17:00); `"00:00-24:00"` means around the clock."""
    try:
        start_text, end_text = (part.strip() for part in text.split("-"))
        start = time.fromisoformat(start_text)
        end = time(0, 0) if end_text == "24:00" else time.fromisoformat(end_text)
    except ValueError as exc:
        raise CampaignError("calling_hours", _("calling hours must look like 08:00-17:00")) from exc
    if end != time(0, 0) and end <= start:
        raise CampaignError("calling_hours", _("calling hours must end after they start"))
    return start, end


def format_calling_hours(campaign: Campaign) -> str:
    end = campaign.calling_hours_end
    end_text = "24:00" if end == time(0, 0) else end.strftime("%H:%M")
    return f"{campaign.calling_hours_start.strftime('%H:%M')}-{end_text}"


def clean_settings(
    raw: dict[str, Any],
    *,
    allow_restricted: bool = False,
    recordings: Collection[str] | None = None,
) -> dict[str, Any]:
    """Check campaign settings from any surface (CLI, API, website) the same way.

    `allow_restricted`: the account may transfer to premium-rate and 1900/1800 numbers.
    `recordings`: the menu recordings the menu may refer to (ivr_menu.validate_menu).
    Whether the account may show the caller ID is checked by `check_caller_id`.
    """
    values: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if raw.get(name) is not None:
            text = str(raw[name]) if name == "script" else str(raw[name]).strip()
            if len(text) > limit:
                raise CampaignError(
                    name,
                    _("%(setting)s is longer than %(limit)s characters"),
                    setting=name,
                    limit=limit,
                )
            values[name] = text
    if values.get("caller_id") and not CALLER_ID.match(values["caller_id"]):
        raise CampaignError("caller_id", _("caller_id must be digits only (3 to 20)"))
    if "name" in values and not values["name"]:
        raise CampaignError("name", _("name must not be empty"))
    if raw.get("campaign_type") is not None:
        if raw["campaign_type"] not in CampaignType.values:
            raise CampaignError("campaign_type", _("type must be voice_otp or ivr"))
        values["campaign_type"] = raw["campaign_type"]
    for name, (low, high) in INT_LIMITS.items():
        if raw.get(name) is not None:
            try:
                number = int(raw[name])
            except (TypeError, ValueError, OverflowError) as exc:  # Overflow: 1e400
                raise CampaignError(
                    name, _("%(setting)s must be a whole number"), setting=name
                ) from exc
            if not low <= number <= high:
                raise CampaignError(
                    name,
                    _("%(setting)s must be between %(low)s and %(high)s"),
                    setting=name,
                    low=low,
                    high=high,
                )
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
            raise CampaignError("calling_weekdays", _("weekdays are digits 0 (Monday) to 6"))
        values["calling_weekdays"] = days
    if raw.get("voice") is not None:
        voice = raw["voice"]
        if not isinstance(voice, str) or voice not in VOICES:  # {} or [] is no dict key
            raise CampaignError(
                "voice", _("voice must be one of %(voices)s"), voices=", ".join(VOICES)
            )
        values["voice"] = raw["voice"]
    for flag in (
        "record_calls",
        "webhook_call_started",
        "otp_recorded_digits",
        "webhook_campaign_events",
    ):
        if raw.get(flag) is not None:
            values[flag] = bool(raw[flag])
    if raw.get("ivr_menu") is not None:
        values["ivr_menu"] = validate_menu(
            raw["ivr_menu"], allow_restricted=allow_restricted, recordings=recordings
        )
    return values


def check_caller_id(campaign: Campaign) -> None:
    """CampaignError unless the campaign's caller ID is empty, its trunk's own caller ID, or
    one the operator verified for the account (accounts/callerids.py)."""
    if not campaign.caller_id:
        return
    # Read the owner afresh rather than through campaign.owner, which would stay cached
    # on the returned object (and hide a later trunk assignment from its reader).
    owner = User.objects.only("default_trunk_id").get(pk=campaign.owner_id)
    trunk = routed_trunk(campaign.trunk_id, owner.default_trunk_id)
    if not may_show(campaign.owner_id, campaign.caller_id, trunk.caller_id if trunk else ""):
        raise CampaignError(
            "caller_id",
            _(
                "caller_id is not verified for this account: ask the operator to verify the "
                "number (aicall callerid add), or leave it empty to use the trunk's caller ID"
            ),
        )


def _allows_restricted(owner_id: int) -> bool:
    return User.objects.filter(pk=owner_id, allow_restricted_destinations=True).exists()


def _check_recorded_digits(owner_id: int, values: dict[str, Any]) -> None:
    """Recorded digits can only be chosen once the account has all ten."""
    if values.get("otp_recorded_digits") and not has_all_digit_recordings(owner_id):
        raise CampaignError(
            "otp_recorded_digits", _("upload recordings of all ten digits (0-9) first")
        )


@transaction.atomic
def do_create_campaign(
    owner_id: int,
    raw: dict[str, Any],
    *,
    start: bool = False,
    new_recordings: Collection[str] = (),
) -> Campaign:
    """A new campaign with these settings; CampaignError naming the first bad one.

    A new campaign has no menu recordings: its menu may refer only to `new_recordings`,
    the ids the website's editor stores with it right after (menu_audio.convert_pending,
    do_attach_menu_audio).
    """
    values = {
        **clean_settings(
            raw, allow_restricted=_allows_restricted(owner_id), recordings=set(new_recordings)
        ),
        **clean_webhook_settings(raw, None),
    }
    _check_recorded_digits(owner_id, values)
    if "name" not in values:
        raise CampaignError("name", _("name is required"))
    if "campaign_type" not in values:
        raise CampaignError("campaign_type", _("type must be voice_otp or ivr"))
    campaign = Campaign(owner_id=owner_id, **values)
    check_caller_id(campaign)
    campaign.save(force_insert=True)
    if start:
        do_start_campaign(campaign)
    return campaign


@transaction.atomic
def do_update_campaign(
    campaign: Campaign, raw: dict[str, Any], *, new_recordings: Collection[str] = ()
) -> Campaign:
    """Change these settings (the others keep their value); CampaignError naming the first
    bad one, and nothing changes.

    The menu may refer to the campaign's own recordings and to `new_recordings` (stored
    with it right after by the website's editor); any other id (another campaign's or
    account's, or none) is refused.
    """
    recordings = set(campaign.menu_audio or {}) | set(new_recordings)
    values = {
        **clean_settings(
            raw,
            allow_restricted=_allows_restricted(campaign.owner_id),
            recordings=recordings,
        ),
        **clean_webhook_settings(raw, campaign),
    }
    _check_recorded_digits(campaign.owner_id, values)
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


@transaction.atomic
def _set_status(campaign: Campaign, **values: Any) -> Campaign:
    """Write a status change, with its `campaign.status` webhook event if one is wanted."""
    previous = campaign.status
    values["updated_at"] = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(**values)
    for name, value in values.items():
        setattr(campaign, name, value)
    announce_status(campaign.pk, campaign.status, previous, values["updated_at"])
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
        raise CampaignError("scheduled_start_at", _("the scheduled start must be in the future"))
    if campaign.status not in STARTABLE:
        raise CampaignError(
            "status", _("a %(status)s campaign cannot be scheduled"), status=campaign.status
        )
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
    "contact_columns",  # a copy has no contacts
}


def copy_settings(source: Campaign, target: Campaign) -> None:
    """Every setting of `source` onto `target` (unsaved), whatever fields the model grows."""
    for model_field in Campaign._meta.concrete_fields:
        if model_field.name not in _NOT_COPIED:
            setattr(target, model_field.attname, getattr(source, model_field.attname))


@transaction.atomic
def do_duplicate_campaign(campaign: Campaign, name: str) -> Campaign:
    """A new draft with the same settings (no contacts), named `name`."""
    name = name.strip()[: TEXT_LIMITS["name"]] or campaign.name
    copy = Campaign(owner_id=campaign.owner_id, name=name, status=CampaignStatus.DRAFT)
    copy_settings(campaign, copy)
    copy.webhook_secret = clean_webhook_settings({}, copy).get("webhook_secret", "")
    copy.save()
    return copy


@transaction.atomic
def do_delete_campaign(campaign: Campaign) -> None:
    """Delete a campaign that has no calls (its test calls go with it); else CampaignError.

    A campaign whose contacts were called keeps its history: archive it instead. Its
    uploaded audio and menu recordings are deleted once this is committed, except those a
    duplicate still plays.
    """
    locked = Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    if locked is None:
        return
    if locked.call_set.exists():
        raise CampaignError("campaign", _("a campaign with contacts cannot be deleted; archive it"))
    gone = [locked, *locked.test_companions.all()]
    audio = {c.audio_file.name for c in gone if c.audio_file and c.audio_file.name}
    menu = {
        entry["file"]
        for c in gone
        for entry in (c.menu_audio or {}).values()
        if isinstance(entry, dict) and entry.get("file")
    }
    owner_id = locked.owner_id
    locked.delete()
    # The uploaded files go once the rows are gone for good (a rolled-back deletion keeps
    # them), and only those no other campaign plays (a duplicate shares its files).
    transaction.on_commit(lambda: _delete_unused_audio(owner_id, audio, menu))


def _delete_unused_audio(owner_id: int, audio: set[str], menu: set[str]) -> None:
    for name in sorted(audio):
        delete_if_unused(name)
    delete_unused(owner_id, None, sorted(menu))


def do_rotate_webhook_secret(campaign: Campaign) -> str:
    """Give the campaign a new signing secret; deliveries from now on use it."""
    campaign.webhook_secret = new_secret()
    campaign.save(update_fields=["webhook_secret", "updated_at"])
    return campaign.webhook_secret


@transaction.atomic
def do_unverify_caller_id(owner_id: int, number: str) -> int | None:
    """Operator: the account may no longer show `number`.

    The account's campaigns showing it are cleared at once (their calls then carry the
    trunk's caller ID): a withdrawn number must stop going out, not only stop being set.
    Returns how many campaigns were cleared, None when the number was not verified.
    """
    key = clean_caller_id(number)
    deleted, _by_model = VerifiedCallerId.objects.filter(owner_id=owner_id, number=key).delete()
    if not deleted:
        return None
    showing = [
        pk
        for pk, shown in Campaign.objects.filter(owner_id=owner_id)
        .exclude(caller_id="")
        .values_list("pk", "caller_id")
        if caller_id_key(shown) == key
    ]
    return Campaign.objects.filter(pk__in=showing).update(caller_id="")
