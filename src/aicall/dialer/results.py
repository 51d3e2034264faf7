"""Storing how calls ended: many calls per transaction, webhook events in the same one.

A result is stored only while this dialer still owns the call (status `dialing`, claimed by
it, same attempt): a dialer declared dead that wakes up late cannot overwrite what the
recovery already settled, and no event is sent twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction

from aicall.calls.events import CallEvent, enqueue_call_events, enqueue_events
from aicall.calls.models import Call, CallState, CallStatus
from aicall.dialer.policy import (
    INTERRUPTED,
    format_key_press,
    retry_delay_seconds,
    should_retry,
    whole_seconds,
)
from aicall.dialer.snapshot import CampaignInfo
from aicall.telephony.base import CallOutcome
from aicall.telephony.health import TrunkTally, record_trunk_outcomes
from aicall.webhooks.outbox import CALL_FINISHED, CALL_STARTED, wants_event

_CHUNK = 900  # ids per IN (...) list: well inside SQLite's variable limit
SANDBOX = "sandbox"  # FinishedCall.carrier of a simulated call


@dataclass
class ClaimedCall:
    """A call this dialer owns for one attempt, and when it may start (epoch seconds)."""

    call_id: int
    attempt: int
    campaign: CampaignInfo
    phone_e164: str
    otp_code: str
    danh_xung: str
    ho_ten: str
    custom_fields: dict[str, Any]
    start_at: float
    claimed_at: datetime
    created_at: datetime | None = None  # when imported (a voice OTP's expiry counts from it)
    # 1 / calls-per-second of its trunk (0: no rate limit): the least gap between two starts.
    min_gap_seconds: float = 0.0


@dataclass
class FinishedCall:
    claimed: ClaimedCall
    outcome: CallOutcome
    placed_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    carrier: str = ""  # which carrier placed it: "sandbox", "sip"


@dataclass
class StartedCall:
    claimed: ClaimedCall
    placed_at: datetime
    carrier: str = ""


@dataclass
class FlushStats:
    final: int = 0
    retried: int = 0
    dropped: int = 0
    trunks_down: list[int] = field(default_factory=list)  # trunk ids this batch marked down


@dataclass
class _Row:
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


def _chunks(items: list, size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def owned_attempts(dialer: str, call_ids: list[int]) -> dict[int, int]:
    """call id -> attempt number, for the calls still claimed by `dialer` (rows locked)."""
    owned: dict[int, int] = {}
    for chunk in _chunks(call_ids):
        owned.update(
            Call.objects.select_for_update()
            .filter(id__in=chunk, status=CallStatus.DIALING, claimed_by=dialer)
            .values_list("id", "attempt_count")
        )
    return owned


_CALLS = (
    "UPDATE calls_call SET status = %s, state = %s, due_at = COALESCE(%s, due_at), "
    "claimed_by = '', claimed_at = NULL, caller_id = %s, called_at = %s, "
    "answered_at = %s, ended_at = %s, duration_seconds = %s, key_presses = %s, "
    "key_press = %s, hangup_cause = %s, sip_code = %s, recording = %s, carrier = %s "
    "WHERE id = %s"
)
_ATTEMPTS = (
    "UPDATE calls_callattempt SET called_at = %s, answered_at = %s, ended_at = %s, "
    "duration_seconds = %s, key_press = %s, hangup_cause = %s, sip_code = %s, carrier = %s, "
    "trunk_name = %s WHERE call_id = %s AND attempt = %s"
)
_PG_CALLS = (
    "UPDATE calls_call AS c SET status = v.status, state = v.state, "
    "due_at = COALESCE(v.due_at, c.due_at), claimed_by = '', claimed_at = NULL, "
    "caller_id = v.caller_id, called_at = v.called_at, answered_at = v.answered_at, "
    "ended_at = v.ended_at, duration_seconds = v.duration, key_presses = v.key_presses, "
    "key_press = v.key_press, hangup_cause = v.cause, sip_code = v.sip_code, "
    "recording = v.recording, carrier = v.carrier FROM (VALUES {rows}) AS v(status, state, "
    "due_at, caller_id, called_at, answered_at, ended_at, duration, key_presses, key_press, "
    "cause, sip_code, recording, carrier, id) WHERE c.id = v.id"
)
_PG_CALL_ROW = (
    "(%s, %s::smallint, %s::timestamptz, %s, %s::timestamptz, %s::timestamptz, "
    "%s::timestamptz, %s::integer, %s::jsonb, %s, %s, %s::smallint, %s, %s, %s::bigint)"
)
_PG_ATTEMPTS = (
    "UPDATE calls_callattempt AS a SET called_at = v.called_at, answered_at = v.answered_at, "
    "ended_at = v.ended_at, duration_seconds = v.duration, key_press = v.key_press, "
    "hangup_cause = v.cause, sip_code = v.sip_code, carrier = v.carrier, "
    "trunk_name = v.trunk_name FROM (VALUES {rows}) AS v(called_at, answered_at, ended_at, "
    "duration, key_press, cause, sip_code, carrier, trunk_name, call_id, attempt) "
    "WHERE a.call_id = v.call_id AND a.attempt = v.attempt"
)
_PG_ATTEMPT_ROW = (
    "(%s::timestamptz, %s::timestamptz, %s::timestamptz, %s::integer, %s, %s, "
    "%s::smallint, %s, %s, %s::bigint, %s::smallint)"
)


def _write(rows: list[_Row], now: datetime) -> None:
    """UPDATE the calls and their attempts, and queue call.finished for the final ones."""
    if not rows:
        return
    adapt = connection.ops.adapt_datetimefield_value
    call_params = []
    attempt_params = []
    for r in rows:
        # Column widths: a carrier's odd value must not make the whole batch fail forever.
        key_press = format_key_press(r.key_presses)[:500]
        due_at = now + timedelta(seconds=r.retry_delay_seconds) if r.retry else None
        trunk = r.campaign.trunk
        call_params.append(
            (
                CallStatus.QUEUED.value if r.retry else CallStatus.DONE.value,
                r.state,
                adapt(due_at),
                r.campaign.effective_caller_id[:32],
                adapt(r.called_at),
                adapt(r.answered_at),
                adapt(r.ended_at),
                r.duration_seconds,
                orjson.dumps([[d, round(s, 3)] for d, s in r.key_presses]).decode(),
                key_press,
                r.cause[:64],
                r.sip_code,
                r.recording[:300],
                r.carrier[:16],
                r.call_id,
            )
        )
        attempt_params.append(
            (
                adapt(r.called_at),
                adapt(r.answered_at),
                adapt(r.ended_at),
                r.duration_seconds,
                key_press,
                r.cause[:64],
                r.sip_code,
                r.carrier[:16],
                trunk.config.name[:100] if trunk is not None and r.carrier != SANDBOX else "",
                r.call_id,
                r.attempt,
            )
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement per chunk instead of one per row: a batch of a thousand results
            # is stored in a few round trips.
            for chunk in _chunks(call_params, 1000):
                cursor.execute(
                    _PG_CALLS.format(rows=", ".join([_PG_CALL_ROW] * len(chunk))),
                    [value for row in chunk for value in row],
                )
            for chunk in _chunks(attempt_params, 1000):
                cursor.execute(
                    _PG_ATTEMPTS.format(rows=", ".join([_PG_ATTEMPT_ROW] * len(chunk))),
                    [value for row in chunk for value in row],
                )
        else:
            cursor.executemany(_CALLS, call_params)
            cursor.executemany(_ATTEMPTS, attempt_params)
    finals: dict[int, list[CallEvent]] = defaultdict(list)
    for r, params in zip(rows, call_params, strict=True):
        campaign = r.campaign
        if r.retry or not campaign.webhook_url:  # every webhook gets call.finished
            continue
        finals[campaign.id].append(
            CallEvent(
                r.call_id,
                campaign.effective_caller_id,
                r.phone_e164,
                r.called_at,
                r.duration_seconds,
                str(params[9]),
                r.cause,
                r.state,
                r.attempt,
                r.sandbox,
            )
        )
    for campaign_id, events in finals.items():
        enqueue_events(campaign_id, CALL_FINISHED, events)


def _retry_plan(
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


def _row_for(item: FinishedCall, now: datetime) -> _Row:
    claimed, outcome = item.claimed, item.outcome
    campaign = claimed.campaign
    retry, delay = _retry_plan(
        campaign,
        cause=outcome.hangup_cause,
        attempt=claimed.attempt,
        retry_after_seconds=outcome.retry_after_seconds,
        created_at=claimed.created_at,
        now=now,
    )
    return _Row(
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
        rows = []
        for item in finished:
            if owned.get(item.claimed.call_id) != item.claimed.attempt:
                stats.dropped += 1
                continue
            row = _row_for(item, now)
            rows.append(row)
            if row.retry:
                stats.retried += 1
            else:
                stats.final += 1
        _enqueue_started([s for s in started if owned.get(s.claimed.call_id) == s.claimed.attempt])
        _write(rows, now)
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
        tallies.setdefault(trunk.id, TrunkTally()).add(item.outcome)
    return tallies


def _enqueue_started(started: list[StartedCall]) -> None:
    by_campaign: dict[int, list[CallEvent]] = defaultdict(list)
    for s in started:
        campaign = s.claimed.campaign
        if wants_event(campaign.webhook_url, campaign.webhook_call_started, CALL_STARTED):
            by_campaign[campaign.id].append(
                CallEvent(
                    s.claimed.call_id,
                    campaign.effective_caller_id,
                    s.claimed.phone_e164,
                    s.placed_at,
                    0,
                    "",
                    "",
                    CallState.CALLING,
                    s.claimed.attempt,
                    s.carrier == SANDBOX,
                )
            )
    for campaign_id, events in by_campaign.items():
        enqueue_events(campaign_id, CALL_STARTED, events)


def settle_unplaced(campaign: CampaignInfo, call_ids: list[int], note: str, now: datetime) -> int:
    """Finish queued calls that must not be placed (do-not-call, expired OTP): state 50.

    `called_at` is when the dialer decided, so that the export (which lists finished calls
    by called_at) shows them with their note. Call inside a transaction holding the rows.
    """
    if not call_ids:
        return 0
    count = 0
    for chunk in _chunks(call_ids):
        count += Call.objects.filter(id__in=chunk, status=CallStatus.QUEUED).update(
            status=CallStatus.DONE,
            state=CallState.NOT_ANSWERED,
            hangup_cause=note,
            called_at=now,
            ended_at=now,
            caller_id=campaign.effective_caller_id,
            duration_seconds=0,
            key_press="",
            key_presses=[],
            claimed_by="",
            claimed_at=None,
        )
    if campaign.webhook_url:
        calls = list(Call.objects.filter(id__in=call_ids, hangup_cause=note, called_at=now))
        enqueue_call_events(campaign.as_campaign(), calls, CALL_FINISHED)
    return count


def settle_interrupted(
    rows: list[tuple[int, int, str, datetime | None, datetime | None]],
    campaigns: dict[int, CampaignInfo],
    campaign_of: dict[int, int],
    now: datetime,
) -> tuple[int, int]:
    """Calls a dead dialer had in flight: retried by policy, else finished as INTERRUPTED.

    `rows` are (call id, attempt, phone, claimed_at, created_at), locked by the caller's
    transaction. Returns (finished, retried).
    """
    out = []
    for call_id, attempt, phone, claimed_at, created_at in rows:
        campaign = campaigns[campaign_of[call_id]]
        retry, delay = _retry_plan(
            campaign,
            cause=INTERRUPTED,
            attempt=attempt,
            retry_after_seconds=None,
            created_at=created_at,
            now=now,
        )
        out.append(
            _Row(
                call_id=call_id,
                attempt=attempt,
                campaign=campaign,
                retry=retry,
                retry_delay_seconds=delay,
                phone_e164=phone,
                called_at=claimed_at or now,
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
    _write(out, now)
    retried = sum(1 for r in out if r.retry)
    return len(out) - retried, retried
