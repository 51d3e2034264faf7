"""A campaign's status changes that happen by themselves, without a person's action.

The actions a person takes (start, stop, schedule, archive, ...) are in services.py. The
transitions here are run by every dialer's housekeeping (dialer/campaign_state.py) and by
an import into a completed campaign: a scheduled campaign starts at its time, a completed
one given new contacts runs again. A voice-OTP campaign never completes: it is a standing
service that takes a code at any moment (and refuses imports with `03` when not running).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from aicall.campaigns.models import Campaign, CampaignStatus
from aicall.campaigns.webhook_settings import announce_status


def move_status(campaign_id: int, old: str, new: str, now: datetime, **values) -> int:
    """One campaign from `old` to `new` if it still is `old` (1 if it moved), with its
    `campaign.status` webhook event in the same transaction."""
    with transaction.atomic():
        moved = Campaign.objects.filter(pk=campaign_id, status=old).update(
            status=new, updated_at=now, **values
        )
        if moved:
            announce_status(campaign_id, new, old, now)
    return moved


def do_start_due_campaigns(now: datetime) -> int:
    """Scheduled campaigns whose start time has come begin running; returns how many."""
    due = Campaign.objects.filter(
        status=CampaignStatus.SCHEDULED, scheduled_start_at__lte=now
    ).values_list("id", flat=True)
    return sum(
        move_status(i, CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, now, started_at=now)
        for i in list(due)
    )


def do_reopen_completed(campaign_id: int, now: datetime | None = None) -> int:
    """A completed campaign that was given new contacts runs again (1 if it was reopened)."""
    now = now or timezone.now()
    return move_status(
        campaign_id, CampaignStatus.COMPLETED, CampaignStatus.RUNNING, now, completed_at=None
    )
