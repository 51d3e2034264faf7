"""Rows as the dialer leaves them, for tests of what reads them (export, CSV, webhooks)."""

from datetime import datetime

from aicall.calls.models import Call, CallStatus
from aicall.campaigns.models import Campaign


def finished_call(
    campaign: Campaign,
    phone: str,
    called_at: datetime,
    *,
    state: int = 40,
    duration: int = 8,
    key_press: str = "1 (5)",
    note: str = "NORMAL CLEARING",
    attempt: int = 1,
) -> Call:
    return Call.objects.create(
        campaign=campaign,
        owner_id=campaign.owner_id,
        phone_e164=phone,
        phone_as_sent=phone,
        status=CallStatus.DONE,
        state=state,
        attempt_count=attempt,
        caller_id=campaign.caller_id,
        called_at=called_at,
        duration_seconds=duration if state == 40 else 0,
        key_press=key_press if state == 40 else "",
        hangup_cause=note,
    )
