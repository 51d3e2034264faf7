"""Storing how placed calls ended: many calls per transaction, webhook events in the same one.

A result is stored only while this dialer still owns the call (status `dialing`, claimed by
it, same attempt): a dialer declared dead that wakes up late cannot overwrite what the
recovery already settled, and no event is sent twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db import transaction

from aicall.calls.dialing import owned_attempts
from aicall.calls.events import CallEvent, enqueue_events
from aicall.calls.models import CallState
from aicall.calls.queries import ExportRow
from aicall.dialer.policy import INTERRUPTED, whole_seconds
from aicall.dialer.settle import Settled, retry_plan, write_settled
from aicall.dialer.types import SANDBOX, FinishedCall, FlushStats, StartedCall
from aicall.telephony.health import TrunkTally, record_trunk_outcomes
from aicall.webhooks.outbox import CALL_STARTED, wants_event


def _settled(item: FinishedCall, now: datetime) -> Settled:
    claimed, outcome = item.claimed, item.outcome
    campaign = claimed.campaign
    retry, delay = retry_plan(
        campaign,
        cause=outcome.hangup_cause,
        attempt=claimed.attempt,
        retry_after_seconds=outcome.retry_after_seconds,
        created_at=claimed.created_at,
        now=now,
    )
    return Settled(
        call_id=claimed.call_id,
        attempt=claimed.attempt,
        campaign=campaign,
        retry=retry,
        phone_e164=claimed.phone_e164,
        called_at=item.placed_at,
        answered_at=item.answered_at if outcome.answered else None,
        ended_at=item.ended_at,
        duration_seconds=whole_seconds(outcome.duration_seconds) if outcome.answered else 0,
        key_presses=list(outcome.key_presses),
        cause=outcome.hangup_cause,
        sip_code=outcome.sip_code,
        recording=outcome.recording_path,
        answered=outcome.answered,
        retry_delay_seconds=delay,
        carrier=item.carrier,
    )


def store_results(
    dialer: str, finished: list[FinishedCall], started: list[StartedCall], now: datetime
) -> FlushStats:
    """Store finished calls (final, or queued again for a retry) and call.started events."""
    stats = FlushStats()
    with transaction.atomic():
        ids = [f.claimed.call_id for f in finished] + [s.claimed.call_id for s in started]
        owned = owned_attempts(dialer, ids)
        settled = []
        for item in finished:
            if owned.get(item.claimed.call_id) != item.claimed.attempt:
                stats.dropped += 1
                continue
            s = _settled(item, now)
            settled.append(s)
            if s.retry:
                stats.retried += 1
            else:
                stats.final += 1
        _enqueue_started([s for s in started if owned.get(s.claimed.call_id) == s.claimed.attempt])
        write_settled(settled, now)
        tallies = _trunk_tallies(finished)
        if tallies:
            stats.trunks_down = record_trunk_outcomes(
                tallies, now, int(settings.AICALL["TRUNK_DOWN_AFTER_TIMEOUTS"])
            )
    return stats


def _trunk_tallies(finished: list[FinishedCall]) -> dict[int, TrunkTally]:
    """What the real (non-sandbox) calls of a batch say about their trunks' health."""
    tallies: dict[int, TrunkTally] = {}
    for item in sorted(finished, key=lambda f: f.ended_at):
        trunk = item.claimed.campaign.trunk
        if trunk is None or item.carrier == SANDBOX or item.outcome.hangup_cause == INTERRUPTED:
            continue
        # Each trunk the carrier reached (the first, then its fallbacks) gets its own result.
        for trunk_id, outcome in item.outcome.trunk_results or [(trunk.id, item.outcome)]:
            tallies.setdefault(trunk_id, TrunkTally()).add(outcome)
    return tallies


def _enqueue_started(started: list[StartedCall]) -> None:
    by_campaign: dict[int, list[CallEvent]] = defaultdict(list)
    for s in started:
        campaign = s.claimed.campaign
        if wants_event(campaign.webhook_url, campaign.webhook_call_started, CALL_STARTED):
            by_campaign[campaign.id].append(
                CallEvent(
                    ExportRow(
                        call_id=s.claimed.call_id,
                        caller_id=campaign.effective_caller_id,
                        phone_e164=s.claimed.phone_e164,
                        called_at=s.placed_at,
                        duration_seconds=0,
                        key_press="",
                        note="",
                        state=CallState.CALLING,
                    ),
                    attempt=s.claimed.attempt,
                    sandbox=s.carrier == SANDBOX,
                )
            )
    for campaign_id, events in by_campaign.items():
        enqueue_events(campaign_id, CALL_STARTED, events)
