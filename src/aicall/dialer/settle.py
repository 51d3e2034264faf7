"""Settling attempts: the retry plan, the stored rows and the call.finished events.

Three paths settle calls: results of placed calls (results.py), calls a dead dialer had in
flight (`settle_interrupted`, liveness.py) and calls never placed (`settle_unplaced`:
do-not-call, expired OTP). Each decides here what the rows become, stores them through
calls.dialing, and queues the webhook events in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from aicall.calls.bulk import CALL
from aicall.calls.dialing import (
    AttemptResult,
    CallResult,
    InFlightRow,
    do_settle_unplaced,
    do_store_results,
    settled_unplaced,
)
from aicall.calls.events import CallEvent, enqueue_events, event_of
from aicall.calls.models import CallState, CallStatus
from aicall.calls.queries import ExportRow
from aicall.dialer.policy import (
    INTERRUPTED,
    format_key_press,
    retry_delay_seconds,
    should_retry,
)
from aicall.dialer.snapshot import CampaignInfo
from aicall.dialer.types import SANDBOX
from aicall.webhooks.outbox import CALL_FINISHED, wants_event

_KEY_PRESS_WIDTH = CALL.column("key_press").width


@dataclass
class Settled:
    """How one attempt ended and what becomes of its call (final, or a retry)."""

    call_id: int
    attempt: int
    campaign: CampaignInfo
    retry: bool
    phone_e164: str
    called_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    duration_seconds: int
    key_presses: list[tuple[str, float]]
    cause: str
    sip_code: int | None
    recording: str
    answered: bool
    retry_delay_seconds: float = 0.0
    carrier: str = ""

    @property
    def sandbox(self) -> bool:
        return self.carrier == SANDBOX

    @property
    def state(self) -> int | None:
        if self.retry:
            return None
        return int(CallState.ANSWERED if self.answered else CallState.NOT_ANSWERED)


def retry_plan(
    campaign: CampaignInfo,
    *,
    cause: str,
    attempt: int,
    retry_after_seconds: float | None,
    created_at: datetime | None,
    now: datetime,
) -> tuple[bool, float]:
    """(retry?, seconds until the next attempt) by the campaign's policy.

    A voice OTP is only tried again while the next attempt still falls within its expiry.
    """
    if not should_retry(
        is_otp=campaign.is_otp, cause=cause, attempt=attempt, max_attempts=campaign.max_attempts
    ):
        return False, 0.0
    delay = retry_delay_seconds(
        is_otp=campaign.is_otp,
        retry_interval_seconds=campaign.retry_interval_seconds,
        retry_after_seconds=retry_after_seconds,
        otp_retry_seconds=float(settings.AICALL["OTP_RETRY_SECONDS"]),
    )
    if campaign.is_otp:
        expires_at = (created_at or now) + timedelta(seconds=campaign.otp_expiry_seconds)
        if now + timedelta(seconds=delay) >= expires_at:
            return False, 0.0
    return True, delay


def _records(s: Settled, now: datetime) -> tuple[CallResult, AttemptResult]:
    key_press = format_key_press(s.key_presses)
    trunk = s.campaign.trunk
    call = CallResult(
        id=s.call_id,
        status=CallStatus.QUEUED.value if s.retry else CallStatus.DONE.value,
        state=s.state,
        due_at=now + timedelta(seconds=s.retry_delay_seconds) if s.retry else None,
        caller_id=s.campaign.effective_caller_id,
        called_at=s.called_at,
        answered_at=s.answered_at,
        ended_at=s.ended_at,
        duration_seconds=s.duration_seconds,
        key_presses=[[d, round(second, 3)] for d, second in s.key_presses],
        key_press=key_press,
        hangup_cause=s.cause,
        sip_code=s.sip_code,
        recording=s.recording,
        carrier=s.carrier,
    )
    attempt = AttemptResult(
        called_at=s.called_at,
        answered_at=s.answered_at,
        ended_at=s.ended_at,
        duration_seconds=s.duration_seconds,
        key_press=key_press,
        hangup_cause=s.cause,
        sip_code=s.sip_code,
        carrier=s.carrier,
        trunk_name=trunk.config.name if trunk is not None and not s.sandbox else "",
        call_id=s.call_id,
        attempt=s.attempt,
    )
    return call, attempt


def write_settled(settled: list[Settled], now: datetime) -> None:
    """Store the calls and their attempts, and queue call.finished for the final ones."""
    if not settled:
        return
    records = [_records(s, now) for s in settled]
    do_store_results([c for c, _ in records], [a for _, a in records])
    finals: dict[int, list[CallEvent]] = defaultdict(list)
    for s, (call, _) in zip(settled, records, strict=True):
        campaign = s.campaign
        if s.retry or not campaign.webhook_url:  # every webhook gets call.finished
            continue
        finals[campaign.id].append(
            CallEvent(
                ExportRow(
                    call_id=s.call_id,
                    caller_id=campaign.effective_caller_id,
                    phone_e164=s.phone_e164,
                    called_at=s.called_at,
                    duration_seconds=s.duration_seconds,
                    key_press=call.key_press[:_KEY_PRESS_WIDTH],  # as the row stores it
                    note=s.cause,
                    state=s.state,
                ),
                attempt=s.attempt,
                sandbox=s.sandbox,
            )
        )
    for campaign_id, events in finals.items():
        enqueue_events(campaign_id, CALL_FINISHED, events)


def settle_unplaced(campaign: CampaignInfo, call_ids: list[int], note: str, now: datetime) -> int:
    """Finish queued calls that must not be placed (do-not-call, expired OTP): state 50,
    with their call.finished events. Call inside a transaction holding the rows."""
    if not call_ids:
        return 0
    count = do_settle_unplaced(call_ids, note=note, caller_id=campaign.effective_caller_id, now=now)
    if wants_event(campaign.webhook_url, campaign.webhook_call_started, CALL_FINISHED):
        calls = settled_unplaced(call_ids, note=note, now=now)
        enqueue_events(campaign.id, CALL_FINISHED, [event_of(c, CALL_FINISHED) for c in calls])
    return count


def settle_interrupted(
    rows: list[InFlightRow], campaigns: dict[int, CampaignInfo], now: datetime
) -> tuple[int, int]:
    """Calls a dead dialer had in flight: retried by policy, else finished as INTERRUPTED.

    `rows` are locked by the caller's transaction. Returns (finished, retried).
    """
    out = []
    for row in rows:
        campaign = campaigns[row.campaign_id]
        retry, delay = retry_plan(
            campaign,
            cause=INTERRUPTED,
            attempt=row.attempt_count,
            retry_after_seconds=None,
            created_at=row.created_at,
            now=now,
        )
        out.append(
            Settled(
                call_id=row.id,
                attempt=row.attempt_count,
                campaign=campaign,
                retry=retry,
                retry_delay_seconds=delay,
                phone_e164=row.phone_e164,
                called_at=row.claimed_at or now,
                answered_at=None,
                ended_at=now,
                duration_seconds=0,
                key_presses=[],
                cause=INTERRUPTED,
                sip_code=None,
                recording="",
                answered=False,
            )
        )
    write_settled(out, now)
    retried = sum(1 for s in out if s.retry)
    return len(out) - retried, retried
