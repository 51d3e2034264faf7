"""A campaign's state as the dialer sees it: what it waits for, and the transitions its
calls drive.

`activity()` answers the question an operator asks when nothing seems to happen: why is no
one being called, and when will the first call go out? The transitions run by every
dialer's housekeeping: an ivr campaign whose calls have all been placed is completed, a
recently completed one with queued calls again runs again; the transitions that need no
calls are in campaigns/lifecycle.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property

from django.db.models import Min
from django.utils import timezone

from aicall.calls.models import Call, CallStatus
from aicall.campaigns.lifecycle import do_reopen_completed, do_start_due_campaigns, move_status
from aicall.campaigns.models import Campaign, CampaignStatus, CampaignType
from aicall.dialer.models import DialerProcess
from aicall.dialer.policy import VIETNAM, in_calling_hours
from aicall.telephony.trunks import campaign_telephony

# A dialer whose heartbeat is older than this is not counted as running.
DIALER_ALIVE_SECONDS = 60
# Completions this recent are checked again for calls an import added meanwhile (the import
# reopens a completed campaign itself; this covers one that raced with the completion).
REOPEN_WINDOW = timedelta(hours=1)


class Waiting(StrEnum):
    """Why a campaign places no call at this moment (API `waiting_reason`)."""

    DRAFT = "draft"  # never started
    SCHEDULED = "scheduled"  # starts at scheduled_start_at
    CALLING_HOURS = "calling_hours"  # outside its calling hours; next_call_at says when
    RETRY_LATER = "retry_later"  # only retries are left, due at next_call_at
    NO_CONTACTS = "no_contacts"  # running, but no contact was added
    NO_DIALER = "no_dialer"  # no dialer process is running
    TRUNK_DOWN = "trunk_down"  # its trunk does not answer (or asked for a pause)
    STOPPED = "stopped"
    COMPLETED = "completed"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class Activity:
    waiting: Waiting | None  # None: calls are being placed (or are about to be)
    next_call_at: datetime | None = None


def next_calling_moment(campaign: Campaign, moment: datetime) -> datetime:
    """The first moment at or after `moment` inside the campaign's calling hours."""
    if campaign.campaign_type == CampaignType.VOICE_OTP:
        return moment
    start, days = campaign.calling_hours_start, campaign.calling_weekdays
    if in_calling_hours(start, campaign.calling_hours_end, days, moment):
        return moment
    local = moment.astimezone(VIETNAM)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if str(day.weekday()) not in days:
            continue
        opens = datetime.combine(day, start, tzinfo=VIETNAM)
        if opens >= moment:
            return opens
    return moment  # no weekday selected: cannot happen (the settings require one)


class PageFacts:
    """What `activity` reads besides a campaign and its counts, read once for a whole page
    of campaigns: the first due call of each (one grouped query), the state of each trunk
    route (one read per distinct route), whether a dialer is alive (one query, if asked)."""

    def __init__(self, campaigns: Iterable[Campaign], now: datetime) -> None:
        self.campaigns = list(campaigns)
        self.now = now
        ids = [c.pk for c in self.campaigns]
        self.first_due: dict[int, datetime | None] = dict(
            Call.objects.filter(campaign_id__in=ids, status=CallStatus.QUEUED)
            .values("campaign_id")
            .annotate(first=Min("due_at"))
            .values_list("campaign_id", "first")
            .order_by()
        )
        routes: dict[tuple, str | None] = {}
        self.trunk_state: dict[int, str | None] = {}
        for campaign in self.campaigns:
            # The route depends only on these two (telephony/trunks.py trunk_for).
            key = (campaign.trunk_id, getattr(campaign.owner, "default_trunk_id", None))
            if key not in routes:
                routes[key] = campaign_telephony(campaign)["trunk_state"]
            self.trunk_state[campaign.pk] = routes[key]

    @cached_property
    def dialer_alive(self) -> bool:
        return _dialer_alive(self.now)


def _dialer_alive(now: datetime) -> bool:
    return DialerProcess.objects.filter(
        stopped_at__isnull=True, heartbeat_at__gte=now - timedelta(seconds=DIALER_ALIVE_SECONDS)
    ).exists()


def activity(
    campaign: Campaign,
    progress: Mapping[str, float],
    now: datetime | None = None,
    facts: PageFacts | None = None,
) -> Activity:
    """Why the campaign is not dialling (if it is not), and when its next call goes out.

    `progress` is `campaign_progress()` of the campaign (queued, in_progress, total, ...);
    `facts`, read once for a page of campaigns, saves the per-campaign queries.
    """
    now = facts.now if facts else (now or timezone.now())
    status = campaign.status
    if status == CampaignStatus.DRAFT:
        return Activity(Waiting.DRAFT)
    if status == CampaignStatus.SCHEDULED:
        start = campaign.scheduled_start_at or now
        return Activity(Waiting.SCHEDULED, next_calling_moment(campaign, max(start, now)))
    if status != CampaignStatus.RUNNING:
        return Activity(Waiting(status))
    if progress.get("in_progress"):
        return Activity(None)
    if not progress.get("queued"):
        return Activity(Waiting.NO_CONTACTS) if not progress.get("total") else Activity(None)
    first = next_calling_moment(campaign, now)
    if first > now:
        return Activity(Waiting.CALLING_HOURS, first)
    if facts is not None:
        trunk_state, due = facts.trunk_state[campaign.pk], facts.first_due.get(campaign.pk)
    else:
        trunk_state = campaign_telephony(campaign)["trunk_state"]
        due = (
            Call.objects.filter(campaign_id=campaign.pk, status=CallStatus.QUEUED)
            .aggregate(first=Min("due_at"))
            .get("first")
        )
    if trunk_state in ("down", "paused"):
        return Activity(Waiting.TRUNK_DOWN)  # queued calls wait for the trunk
    if due is not None and due > now + timedelta(seconds=2):
        return Activity(Waiting.RETRY_LATER, next_calling_moment(campaign, due))
    if not (facts.dialer_alive if facts else _dialer_alive(now)):
        return Activity(Waiting.NO_DIALER)
    return Activity(None)


# -- transitions run by the dialer ------------------------------------------------------------


def _has_calls(campaign_id: int, *statuses: str) -> bool:
    calls = Call.objects.filter(campaign_id=campaign_id)
    return (calls.filter(status__in=statuses) if statuses else calls).exists()


def do_complete_finished_campaigns(now: datetime) -> list[int]:
    """Running ivr campaigns with calls, none of them queued or in progress: completed.

    The UPDATE repeats the condition on the status, so a stop (or a restart) committed
    meanwhile wins. Returns the ids completed.
    """
    completed = []
    running = Campaign.objects.filter(
        status=CampaignStatus.RUNNING, campaign_type=CampaignType.IVR
    ).values_list("id", flat=True)
    for campaign_id in running:
        if _has_calls(campaign_id, CallStatus.QUEUED, CallStatus.DIALING):
            continue
        if not _has_calls(campaign_id):
            continue
        if move_status(
            campaign_id, CampaignStatus.RUNNING, CampaignStatus.COMPLETED, now, completed_at=now
        ):
            completed.append(campaign_id)
    return completed


def do_reopen_campaigns_with_work(now: datetime) -> int:
    """Recently completed campaigns that have queued calls again run again."""
    reopened = 0
    recent = Campaign.objects.filter(
        status=CampaignStatus.COMPLETED, completed_at__gte=now - REOPEN_WINDOW
    ).values_list("id", flat=True)
    for campaign_id in recent:
        if _has_calls(campaign_id, CallStatus.QUEUED):
            reopened += do_reopen_completed(campaign_id, now)
    return reopened


def advance_campaigns(now: datetime) -> dict[str, int]:
    """Every automatic transition, in order; what the dialer's housekeeping calls."""
    started = do_start_due_campaigns(now)
    reopened = do_reopen_campaigns_with_work(now)
    completed = do_complete_finished_campaigns(now)
    return {"started": started, "reopened": reopened, "completed": len(completed)}
