"""Claiming due calls: pacing, priority, calling hours, do-not-call, in one transaction.

Every dialer runs this round after round. The transaction first locks the pacing rows of
the trunks it will use (SELECT ... FOR UPDATE): dialers sharing a trunk take turns, so the
in-flight counts they read (max channels, per-campaign concurrency) cannot be raced past by
another dialer claiming at the same moment. The calls themselves are picked with
FOR UPDATE SKIP LOCKED and switched to `dialing` with a conditional UPDATE that raises their
attempt number; the CallAttempt row of that number is inserted in the same transaction (its
unique constraint is the last guard against one attempt being dialled twice). On SQLite
(one dialer) the IMMEDIATE transaction holds the database's write lock instead.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, F

from aicall.calls.models import Call, CallAttempt, CallStatus, DoNotCall, in_flight_only
from aicall.campaigns.models import CampaignStatus
from aicall.dialer.models import PacingBucket
from aicall.dialer.policy import DO_NOT_CALL, in_calling_hours
from aicall.dialer.results import ClaimedCall, settle_unplaced
from aicall.dialer.snapshot import CampaignInfo, TrunkInfo, campaign_infos, pacing_limits
from aicall.telephony.health import unavailable_trunks


@dataclass
class ClaimRound:
    claimed: list[ClaimedCall] = field(default_factory=list)
    do_not_call: int = 0
    waiting_on_trunks: set[int] = field(default_factory=set)  # down or paused trunks skipped


def eligible_campaigns(campaigns: dict[int, CampaignInfo], now: datetime) -> list[CampaignInfo]:
    """Running campaigns allowed to dial now, voice OTP first (they ignore calling hours)."""
    otp = [c for c in campaigns.values() if c.running and c.is_otp]
    broadcast = [
        c
        for c in campaigns.values()
        if c.running
        and not c.is_otp
        and in_calling_hours(c.calling_start, c.calling_end, c.weekdays, now)
    ]
    return sorted(otp, key=lambda c: c.id) + sorted(broadcast, key=lambda c: c.id)


def in_flight_by_campaign() -> dict[int, int]:
    rows = (
        in_flight_only(Call.objects.all())
        .values_list("campaign_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {campaign_id: n for campaign_id, n in rows}


def _lock_buckets(keys: list[str]) -> dict[str, PacingBucket]:
    existing = set(PacingBucket.objects.filter(key__in=keys).values_list("key", flat=True))
    for key in keys:
        if key not in existing:
            PacingBucket.objects.get_or_create(key=key)
    locked = PacingBucket.objects.select_for_update().filter(key__in=keys).order_by("key")
    return {bucket.key: bucket for bucket in locked}


class _Pacer:
    """Channels and start slots left on each pacing key during one claim round."""

    def __init__(
        self,
        buckets: dict[str, PacingBucket],
        in_flight: dict[str, int],
        trunks: dict[int, TrunkInfo],
        horizon_seconds: float,
    ):
        self.now = time.time()
        self.horizon = self.now + horizon_seconds
        self.buckets = buckets
        self.channels: dict[str, int] = {}
        self.rate: dict[str, float] = {}
        self.next_slot: dict[str, float] = {}
        for key, bucket in buckets.items():
            max_channels, cps = pacing_limits(key, trunks)
            self.channels[key] = max(0, max_channels - in_flight.get(key, 0))
            self.rate[key] = cps
            self.next_slot[key] = max(bucket.next_slot_at, self.now)

    def available(self, key: str) -> int:
        channels = self.channels[key]
        cps = self.rate[key]
        if cps <= 0:
            return channels
        first = self.next_slot[key]
        if first > self.horizon:
            return 0
        return min(channels, int(math.floor((self.horizon - first) * cps)) + 1)

    def take(self, key: str, count: int) -> list[float]:
        """Start times for `count` calls: evenly spaced at the key's rate, or now."""
        self.channels[key] -= count
        cps = self.rate[key]
        if cps <= 0:
            return [self.now] * count
        first, step = self.next_slot[key], 1.0 / cps
        slots = [first + i * step for i in range(count)]
        self.next_slot[key] = first + count * step
        return slots

    def save(self) -> None:
        for key, bucket in self.buckets.items():
            if self.rate[key] > 0 and self.next_slot[key] != bucket.next_slot_at:
                PacingBucket.objects.filter(pk=bucket.pk).update(next_slot_at=self.next_slot[key])


def _do_not_call_numbers(owner_id: int, phones: list[str]) -> set[str]:
    if not phones:
        return set()
    return set(
        DoNotCall.objects.filter(owner_id=owner_id, phone_e164__in=phones).values_list(
            "phone_e164", flat=True
        )
    )


def claim_due_calls(
    *,
    dialer: str,
    campaigns: dict[int, CampaignInfo],
    trunks: dict[int, TrunkInfo],
    key_of: dict[int, str],
    limit: int,
    now: datetime,
    horizon_seconds: float = 0.5,
    rotate: int = 0,
    trunk_health: bool = True,
) -> ClaimRound:
    """Claim up to `limit` due calls for this dialer, within every pacing limit.

    With `trunk_health` (real calls), campaigns whose trunk is down or paused are skipped:
    their calls stay queued until the trunk answers again (telephony/health.py).

    `key_of` maps campaign ids with calls in flight to their pacing key (campaigns no longer
    running included); `rotate` turns the order of broadcast campaigns between rounds so
    that one large campaign does not starve the others of a shared trunk.
    """
    result = ClaimRound()
    eligible = eligible_campaigns(campaigns, now)
    if not eligible or limit <= 0:
        return result
    otp = [c for c in eligible if c.is_otp]
    broadcast = [c for c in eligible if not c.is_otp]
    if broadcast:
        shift = rotate % len(broadcast)
        broadcast = broadcast[shift:] + broadcast[:shift]
    with transaction.atomic():
        if trunk_health:
            trunk_ids = sorted({c.trunk.id for c in eligible if c.trunk is not None})
            down = unavailable_trunks(trunk_ids, now)
            if down:
                otp = [c for c in otp if c.trunk is None or c.trunk.id not in down]
                broadcast = [c for c in broadcast if c.trunk is None or c.trunk.id not in down]
                result.waiting_on_trunks = down
        keys = sorted({c.pacing_key for c in otp + broadcast})
        if not keys:
            return result
        buckets = _lock_buckets(keys)
        by_campaign = in_flight_by_campaign()
        unknown = set(by_campaign) - set(key_of)
        if unknown:  # stopped campaigns another dialer still has calls of
            key_of = {**key_of, **{i: c.pacing_key for i, c in campaign_infos(unknown).items()}}
        by_key: dict[str, int] = defaultdict(int)
        for campaign_id, n in by_campaign.items():
            by_key[key_of.get(campaign_id, "")] += n
        pacer = _Pacer(buckets, by_key, trunks, horizon_seconds)
        for campaign in otp + broadcast:
            if limit <= 0:
                break
            key = campaign.pacing_key
            wanted = min(
                limit,
                campaign.max_concurrent - by_campaign.get(campaign.id, 0),
                pacer.available(key),
            )
            if wanted <= 0:
                continue
            claimed, skipped = _claim_campaign(dialer, campaign, wanted, now)
            result.do_not_call += skipped
            slots = pacer.take(key, len(claimed))
            gap = 1.0 / pacer.rate[key] if pacer.rate[key] > 0 else 0.0
            for call, slot in zip(claimed, slots, strict=True):
                call.start_at = slot
                call.min_gap_seconds = gap
            result.claimed.extend(claimed)
            limit -= len(claimed) + skipped
        pacer.save()
    return result


def _claim_campaign(
    dialer: str, campaign: CampaignInfo, wanted: int, now: datetime
) -> tuple[list[ClaimedCall], int]:
    # The campaign's status is checked again here, not only in the cached snapshot: a stop
    # committed since the round began takes effect in this very claim.
    due = Call.objects.filter(
        campaign_id=campaign.id,
        campaign__status=CampaignStatus.RUNNING,
        status=CallStatus.QUEUED,
        due_at__lte=now,
    )
    if campaign.is_otp:
        # Expired codes are left for the sweep, which settles them as OTP EXPIRED.
        due = due.filter(created_at__gte=now - timedelta(seconds=campaign.otp_expiry_seconds))
    picked = list(
        due.order_by("due_at", "id")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("id", "phone_e164")[:wanted]
    )
    if not picked:
        return [], 0
    blocked = _do_not_call_numbers(campaign.owner_id, [phone for _, phone in picked])
    blocked_ids = [call_id for call_id, phone in picked if phone in blocked]
    if blocked_ids:
        settle_unplaced(campaign, blocked_ids, DO_NOT_CALL, now)
    ids = [call_id for call_id, phone in picked if phone not in blocked]
    if not ids:
        return [], len(blocked_ids)
    Call.objects.filter(id__in=ids, status=CallStatus.QUEUED).update(
        status=CallStatus.DIALING,
        claimed_by=dialer,
        claimed_at=now,
        attempt_count=F("attempt_count") + 1,
    )
    rows = Call.objects.filter(
        id__in=ids, status=CallStatus.DIALING, claimed_by=dialer
    ).values_list(
        "id",
        "attempt_count",
        "phone_e164",
        "otp_code",
        "danh_xung",
        "ho_ten",
        "custom_fields",
        "created_at",
    )
    claimed = [
        ClaimedCall(
            call_id=call_id,
            attempt=attempt,
            campaign=campaign,
            phone_e164=phone,
            otp_code=otp_code,
            danh_xung=danh_xung,
            ho_ten=ho_ten,
            custom_fields=custom or {},
            start_at=0.0,
            claimed_at=now,
            created_at=created_at,
        )
        for call_id, attempt, phone, otp_code, danh_xung, ho_ten, custom, created_at in rows
    ]
    CallAttempt.objects.bulk_create(
        [
            CallAttempt(call_id=c.call_id, attempt=c.attempt, called_at=now, dialer=dialer)
            for c in claimed
        ],
        batch_size=500,
    )
    return claimed, len(blocked_ids)
