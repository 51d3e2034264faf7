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
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction

from aicall.calls.dialing import (
    do_claim_calls,
    do_not_call_numbers,
    in_flight_by_campaign,
    lock_due_calls,
)
from aicall.dialer.models import PacingBucket
from aicall.dialer.policy import DO_NOT_CALL, in_calling_hours
from aicall.dialer.settle import settle_unplaced
from aicall.dialer.snapshot import CampaignInfo, TrunkInfo, campaign_infos, pacing_limits
from aicall.dialer.types import ClaimedCall, ClaimRound
from aicall.telephony.health import unavailable_trunks


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
        now_epoch: float,
        horizon_seconds: float,
    ):
        self.now_epoch = now_epoch
        self.horizon_epoch = now_epoch + horizon_seconds
        self.buckets = buckets
        self.channels: dict[str, int] = {}
        self.rate: dict[str, float] = {}
        self.next_slot: dict[str, float] = {}
        for key, bucket in buckets.items():
            max_channels, cps = pacing_limits(key, trunks)
            self.channels[key] = max(0, max_channels - in_flight.get(key, 0))
            self.rate[key] = cps
            self.next_slot[key] = max(bucket.next_slot_epoch, now_epoch)

    def available(self, key: str) -> int:
        channels = self.channels[key]
        cps = self.rate[key]
        if cps <= 0:
            return channels
        first = self.next_slot[key]
        if first > self.horizon_epoch:
            return 0
        return min(channels, int(math.floor((self.horizon_epoch - first) * cps)) + 1)

    def take(self, key: str, count: int) -> list[float]:
        """Start times (epoch) for `count` calls: evenly spaced at the key's rate, or now."""
        self.channels[key] -= count
        cps = self.rate[key]
        if cps <= 0:
            return [self.now_epoch] * count
        first, step = self.next_slot[key], 1.0 / cps
        slots = [first + i * step for i in range(count)]
        self.next_slot[key] = first + count * step
        return slots

    def save(self) -> None:
        for key, bucket in self.buckets.items():
            if self.rate[key] > 0 and self.next_slot[key] != bucket.next_slot_epoch:
                PacingBucket.objects.filter(pk=bucket.pk).update(
                    next_slot_epoch=self.next_slot[key]
                )


def claim_due_calls(
    *,
    dialer: str,
    campaigns: dict[int, CampaignInfo],
    trunks: dict[int, TrunkInfo],
    key_of: dict[int, str],
    limit: int,
    now: datetime,
    now_epoch: float,
    horizon_seconds: float = 0.5,
    rotate: int = 0,
    trunk_health: bool = True,
) -> ClaimRound:
    """Claim up to `limit` due calls for this dialer, within every pacing limit.

    `now` is the dialer's time for due dates and calling hours; `now_epoch` the same moment
    on the trunks' shared start schedule (claimed calls get start slots from it).

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
        pacer = _Pacer(buckets, by_key, trunks, now_epoch, horizon_seconds)
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
                call.start_epoch = slot
                call.min_gap_seconds = gap
            result.claimed.extend(claimed)
            limit -= len(claimed) + skipped
        pacer.save()
    return result


def _claim_campaign(
    dialer: str, campaign: CampaignInfo, wanted: int, now: datetime
) -> tuple[list[ClaimedCall], int]:
    """Claim up to `wanted` due calls of one campaign; do-not-call numbers are settled
    instead (the second value counts them)."""
    created_after = None
    if campaign.is_otp:
        # Expired codes are left for the sweep, which settles them as OTP EXPIRED.
        created_after = now - timedelta(seconds=campaign.otp_expiry_seconds)
    picked = lock_due_calls(campaign.id, now=now, created_after=created_after, limit=wanted)
    if not picked:
        return [], 0
    blocked = do_not_call_numbers(campaign.owner_id, [due.phone_e164 for due in picked])
    blocked_ids = [due.id for due in picked if due.phone_e164 in blocked]
    if blocked_ids:
        settle_unplaced(campaign, blocked_ids, DO_NOT_CALL, now)
    ids = [due.id for due in picked if due.phone_e164 not in blocked]
    claimed = [
        ClaimedCall(
            call_id=row.id,
            attempt=row.attempt_count,
            campaign=campaign,
            phone_e164=row.phone_e164,
            otp_code=row.otp_code,
            danh_xung=row.danh_xung,
            ho_ten=row.ho_ten,
            custom_fields=row.custom_fields or {},
            start_epoch=0.0,
            claimed_at=now,
            created_at=row.created_at,
        )
        for row in do_claim_calls(dialer, ids, now)
    ]
    return claimed, len(blocked_ids)
