"""The dialer's writes to calls: claim, store results, settle unplaced calls, recovery reads.

The dialer (aicall.dialer) decides what happens to a call (pacing, policy, retries); the
rows change only here. Every function runs inside the caller's transaction: a claim round
or a batch of results is one transaction, with the webhook events the dialer queues.

Status filters that must match a partial index are written with `in_flight_only` (constant
SQL, see models._StatusLiteral); the claim reads the (campaign, status, due_at, id) index.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Count, Exists, F

from aicall.calls.bulk import CALL, CALL_ATTEMPT, insert_rows, update_rows
from aicall.calls.models import Call, CallState, CallStatus, DoNotCall, in_flight_only
from aicall.campaigns.models import Campaign, CampaignStatus

_IDS_PER_QUERY = 900  # ids per IN (...) list: well inside SQLite's variable limit


def _chunks(items: Sequence[Any], size: int = _IDS_PER_QUERY) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class DueCall(NamedTuple):
    id: int
    phone_e164: str


class ClaimedRow(NamedTuple):
    """A call just switched to `dialing` for a dialer, with what placing it needs."""

    id: int
    attempt_count: int
    phone_e164: str
    otp_code: str
    danh_xung: str
    ho_ten: str
    custom_fields: dict[str, Any]
    created_at: datetime


class NewAttempt(NamedTuple):
    """The CallAttempt row a claim inserts (the rest: `_NEW_ATTEMPT_COLUMNS`)."""

    call_id: int
    attempt: int


# What a just-claimed attempt stores besides its call, number, time and dialer: the
# models' defaults (bulk SQL sets every column; the database has no defaults of its own).
_NEW_ATTEMPT_COLUMNS = {
    "duration_seconds": 0,
    "key_press": "",
    "hangup_cause": "",
    "carrier": "",
    "trunk_name": "",
}


class CallResult(NamedTuple):
    """How one attempt ended, as stored on its Call row (field names are column names)."""

    id: int
    status: str  # done, or queued again for a retry
    state: int | None  # 40/50 when done, None when queued again
    due_at: datetime | None  # when a retry is due; None keeps the stored due_at
    caller_id: str
    called_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    duration_seconds: int
    key_presses: list[list[Any]]  # [[digit, second], ...]
    key_press: str
    hangup_cause: str
    sip_code: int | None
    recording: str
    carrier: str


class AttemptResult(NamedTuple):
    """How one attempt ended, as stored on its CallAttempt row."""

    called_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    duration_seconds: int
    key_press: str
    hangup_cause: str
    sip_code: int | None
    carrier: str
    trunk_name: str
    call_id: int
    attempt: int


class InFlightRow(NamedTuple):
    """A call a (dead) dialer had in flight, as recovery reads it."""

    id: int
    attempt_count: int
    phone_e164: str
    claimed_at: datetime | None
    campaign_id: int
    created_at: datetime


# -- claiming ---------------------------------------------------------------------------------


def lock_due_calls(
    campaign_id: int, *, now: datetime, created_after: datetime | None, limit: int
) -> list[DueCall]:
    """Up to `limit` queued calls of a running campaign due by `now`, locked, in due order.

    Rows another dialer holds are skipped (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's
    write lock serialises claims). The campaign's status is checked in the same query, not
    only in the dialer's cached snapshot: a stop committed since the round began counts.
    `created_after` (voice OTP) leaves expired codes for `lock_expired_calls`.
    """
    # The status as a constant EXISTS, not a join: joined, SQLite scanned the campaigns
    # first and then sorted the campaign's due calls instead of reading them in index order
    # (tests/calls/test_query_plans.py).
    running = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.RUNNING)
    due = Call.objects.filter(
        Exists(running),
        campaign_id=campaign_id,
        status=CallStatus.QUEUED,
        due_at__lte=now,
    )
    if created_after is not None:
        due = due.filter(created_at__gte=created_after)
    rows = (
        due.order_by("due_at", "id")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("id", "phone_e164")[:limit]
    )
    return [DueCall(*row) for row in rows]


def do_not_call_numbers(owner_id: int, phones: list[str]) -> set[str]:
    """Which of `phones` are on the account's do-not-call list."""
    if not phones:
        return set()
    return set(
        DoNotCall.objects.filter(owner_id=owner_id, phone_e164__in=phones).values_list(
            "phone_e164", flat=True
        )
    )


def do_claim_calls(dialer: str, call_ids: list[int], now: datetime) -> list[ClaimedRow]:
    """Switch queued, locked calls to `dialing` for `dialer` and insert their attempt rows.

    The UPDATE raises each call's attempt number; the CallAttempt row of that number is
    inserted in the same transaction, and its unique constraint is the last guard against
    one attempt being dialled twice.
    """
    if not call_ids:
        return []
    Call.objects.filter(id__in=call_ids, status=CallStatus.QUEUED).update(
        status=CallStatus.DIALING,
        claimed_by=dialer,
        claimed_at=now,
        attempt_count=F("attempt_count") + 1,
    )
    rows = [
        ClaimedRow(*row)
        for row in Call.objects.filter(
            id__in=call_ids, status=CallStatus.DIALING, claimed_by=dialer
        ).values_list(*ClaimedRow._fields)
    ]
    # One bulk statement, not the ORM's bulk_create: building a model instance and
    # compiling its twelve fields for each of a thousand rows was the claim's largest cost.
    insert_rows(
        CALL_ATTEMPT,
        {"called_at": now, "dialer": dialer, **_NEW_ATTEMPT_COLUMNS},
        [NewAttempt(r.id, r.attempt_count) for r in rows],
    )
    return rows


def in_flight_by_campaign() -> dict[int, int]:
    """How many calls each campaign has in flight, on every dialer."""
    # `claimed_by >= ''` holds for every row; it names a column the claim index lacks, so
    # SQLite reads the small partial in-flight index instead of scanning the claim index
    # (every queued and finished call) for its campaign order (tests/calls/test_query_plans.py).
    rows = (
        in_flight_only(Call.objects.filter(claimed_by__gte=""))
        .values_list("campaign_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {campaign_id: n for campaign_id, n in rows}


# -- results ----------------------------------------------------------------------------------


def owned_attempts(dialer: str, call_ids: list[int]) -> dict[int, int]:
    """call id -> attempt number, for the calls still claimed by `dialer` (rows locked).

    A result is stored only while its dialer owns the call: one declared dead that wakes up
    late cannot overwrite what the recovery settled.
    """
    owned: dict[int, int] = {}
    for chunk in _chunks(call_ids):
        owned.update(
            Call.objects.select_for_update()
            .filter(id__in=chunk, status=CallStatus.DIALING, claimed_by=dialer)
            .values_list("id", "attempt_count")
        )
    return owned


def do_store_results(calls: Sequence[CallResult], attempts: Sequence[AttemptResult]) -> None:
    """Store how attempts ended on their Call and CallAttempt rows; the calls are released
    (no longer claimed), final or queued again."""
    update_rows(
        CALL,
        calls,
        key=("id",),
        constants={"claimed_by": "''", "claimed_at": "NULL"},
        keep_when_null=("due_at",),
    )
    update_rows(CALL_ATTEMPT, attempts, key=("call_id", "attempt"))


def do_settle_unplaced(call_ids: list[int], *, note: str, caller_id: str, now: datetime) -> int:
    """Finish queued calls that must not be placed (do-not-call, expired OTP): state 50.

    `called_at` is when the dialer decided, so that the export (which lists finished calls
    by called_at) shows them with their note. Returns how many were settled.
    """
    count = 0
    for chunk in _chunks(call_ids):
        count += Call.objects.filter(id__in=chunk, status=CallStatus.QUEUED).update(
            status=CallStatus.DONE,
            state=CallState.NOT_ANSWERED,
            hangup_cause=note,
            called_at=now,
            ended_at=now,
            caller_id=caller_id,
            duration_seconds=0,
            key_press="",
            key_presses=[],
            claimed_by="",
            claimed_at=None,
        )
    return count


def settled_unplaced(call_ids: list[int], *, note: str, now: datetime) -> list[Call]:
    """The calls `do_settle_unplaced(call_ids, note=note, now=now)` settled (for events)."""
    return list(Call.objects.filter(id__in=call_ids, hangup_cause=note, called_at=now))


# -- recovery and expiry ----------------------------------------------------------------------


def in_flight_owners(alive: set[str]) -> set[str]:
    """The dialers, other than `alive`, that calls are in flight on."""
    return set(
        in_flight_only(Call.objects.all())
        .exclude(claimed_by__in=alive)
        .values_list("claimed_by", flat=True)
        .distinct()
    )


def lock_in_flight(owners: set[str], limit: int) -> list[InFlightRow]:
    """Up to `limit` calls in flight on `owners`, locked (rows others hold are skipped)."""
    rows = (
        in_flight_only(Call.objects.select_for_update(skip_locked=True))
        .filter(claimed_by__in=owners)
        .values_list(*InFlightRow._fields)[:limit]
    )
    return [InFlightRow(*row) for row in rows]


def _expired(campaign_id: int, created_before: datetime):
    return Call.objects.filter(
        campaign_id=campaign_id, status=CallStatus.QUEUED, created_at__lt=created_before
    )


def has_expired_calls(campaign_id: int, created_before: datetime) -> bool:
    """Whether a campaign has queued calls imported before `created_before` (a read: on
    SQLite every transaction takes the write lock, and most heartbeats find nothing)."""
    return _expired(campaign_id, created_before).exists()


def lock_expired_calls(campaign_id: int, created_before: datetime, limit: int) -> list[int]:
    """Ids of up to `limit` such calls, locked (a range of the claim index)."""
    expired = _expired(campaign_id, created_before).select_for_update(skip_locked=True)
    return list(expired.values_list("id", flat=True)[:limit])
