"""Trunk health, shared by every dialer process through the Trunk row.

A trunk is *up* until `AICALL_TRUNK_DOWN_AFTER_TIMEOUTS` calls in a row on it time out
(408 / timer B: nothing answered the INVITE); then it is *down*: new calls on it are not
claimed (they stay queued, they do not fail) and one dialer at a time probes it with SIP
OPTIONS every `AICALL_TRUNK_PROBE_SECONDS`. The first answer brings it back up. Any other
answer of the trunk to a call (a ringing callee, a 486, a 5xx) proves it is reachable and
resets the count. A 503 with Retry-After pauses the trunk until then (RFC 3261 21.5.4).

That is the dialer's mechanism, in charge in direct mode (`AICALL_SIP_EDGE=direct`). With
the SIP edge, the edge is in charge instead: Kamailio's dispatcher pings every target of
every trunk and marks a target that let an INVITE time out; the trunk is down while every
target is down and up again when one answers (`services.do_record_edge_status`). The
dialer then neither marks trunks down on timeouts nor sends OPTIONS of its own (they would
leave from another address than the edge's, which a carrier that whitelists it ignores).

Either way a down (or paused) trunk's calls go to its fallback trunk, the next in priority
order; they wait only while every trunk of the chain is unavailable.

Every change is one conditional UPDATE (`... WHERE health = 'up' AND consecutive_timeouts
>= N`), so several dialers on PostgreSQL never race one another into a wrong state and no
coordinator is needed: the row lock the UPDATE takes orders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q

from aicall.telephony.base import (
    RECOVERY_ON_TIMER_EXPIRE,
    TRUNK_TIMEOUT,
    TRUNK_UNREACHABLE,
    CallOutcome,
)
from aicall.telephony.models import Trunk, TrunkHealth

# How long a 503 Retry-After may pause a trunk at most.
MAX_PAUSE_SECONDS = 3600.0
# A chain of fallback trunks is followed this far (telephony/trunks.py builds the same one).
MAX_CHAIN = 5


def edge_in_charge() -> bool:
    """True when the SIP edge's probing decides trunk health (any mode but direct)."""
    return str(settings.AICALL.get("SIP_EDGE", "kamailio")).strip().lower() != "direct"


def is_timeout(outcome: CallOutcome) -> bool:
    """Nothing on the trunk answered the INVITE (our timer B or a transport error, or a 408)."""
    if outcome.answered:
        return False
    if outcome.hangup_cause in (TRUNK_TIMEOUT, TRUNK_UNREACHABLE):
        return True
    return outcome.hangup_cause == RECOVERY_ON_TIMER_EXPIRE and outcome.sip_code in (None, 408)


def is_responsive(outcome: CallOutcome) -> bool:
    """The trunk answered something: it is reachable, whatever became of the call."""
    return outcome.answered or (outcome.sip_code is not None and not is_timeout(outcome))


@dataclass
class TrunkTally:
    """What one batch of results says about one trunk, in the order the calls ended."""

    responsive: bool = False  # some call got an answer from the trunk
    timeouts_after: int = 0  # timeouts since the last answer (or in all, if none)
    pause_seconds: float = 0.0  # the longest 503 Retry-After

    def add(self, outcome: CallOutcome) -> None:
        if is_timeout(outcome):
            self.timeouts_after += 1
        elif is_responsive(outcome):
            self.responsive = True
            self.timeouts_after = 0
        if outcome.sip_code == 503 and outcome.retry_after_seconds:
            self.pause_seconds = max(self.pause_seconds, float(outcome.retry_after_seconds))


def record_trunk_outcomes(
    tallies: dict[int, TrunkTally], now: datetime, down_after: int
) -> list[int]:
    """Apply a batch's tallies (inside the caller's transaction); returns trunks marked down."""
    marked_down = []
    counted_down = not edge_in_charge()
    for trunk_id, tally in tallies.items():
        rows = Trunk.objects.filter(pk=trunk_id)
        if tally.responsive:
            rows.update(consecutive_timeouts=tally.timeouts_after)
        elif tally.timeouts_after:
            rows.update(consecutive_timeouts=F("consecutive_timeouts") + tally.timeouts_after)
        if tally.pause_seconds > 0:
            until = now + timedelta(seconds=min(tally.pause_seconds, MAX_PAUSE_SECONDS))
            rows.filter(Q(paused_until_at__isnull=True) | Q(paused_until_at__lt=until)).update(
                paused_until_at=until
            )
        if (
            counted_down
            and tally.timeouts_after
            and rows.filter(health=TrunkHealth.UP, consecutive_timeouts__gte=down_after).update(
                health=TrunkHealth.DOWN, down_since_at=now, last_probe_at=None
            )
        ):
            marked_down.append(trunk_id)
    return marked_down


def unavailable_trunks(trunk_ids: list[int], now: datetime) -> set[int]:
    """Of these trunks, those no call may be placed on now: the trunk is down or paused
    by a 503, and so is every trunk of its fallback chain (else the call goes to the first
    available one of the chain, and is claimed)."""
    if not trunk_ids:
        return set()
    rows = {
        pk: (fallback, health == TrunkHealth.DOWN or bool(paused and paused > now))
        for pk, fallback, health, paused in Trunk.objects.values_list(
            "pk", "fallback_trunk_id", "health", "paused_until_at"
        )
    }
    out = set()
    for trunk_id in trunk_ids:
        if trunk_id not in rows:
            continue  # deleted meanwhile: its calls are held by pacing, not here
        current: int | None = trunk_id
        seen: set[int] = set()
        while current in rows and current not in seen and len(seen) < MAX_CHAIN:
            seen.add(current)
            fallback, unavailable = rows[current]
            if not unavailable:
                break
            current = fallback
        else:
            out.add(trunk_id)
    return out


def is_available(trunk: Trunk, now: datetime) -> bool:
    """Calls may be placed on this trunk itself now (it is up and not paused)."""
    return trunk.health == TrunkHealth.UP and not (
        trunk.paused_until_at and trunk.paused_until_at > now
    )


def claim_probes(now: datetime, interval_seconds: float) -> list[Trunk]:
    """Down trunks due for an OPTIONS probe, each claimed for this dialer alone.

    The conditional UPDATE moves `last_probe_at` only if nobody probed within the interval:
    of several dialers, one wins each round.
    """
    due = Q(last_probe_at__isnull=True) | Q(
        last_probe_at__lte=now - timedelta(seconds=interval_seconds)
    )
    claimed = []
    for trunk in Trunk.objects.filter(health=TrunkHealth.DOWN).filter(due):
        if (
            Trunk.objects.filter(pk=trunk.pk, health=TrunkHealth.DOWN)
            .filter(due)
            .update(last_probe_at=now)
        ):
            claimed.append(trunk)
    return claimed


def do_record_probe(trunk_id: int, *, up: bool, result: str, now: datetime) -> bool:
    """Store a probe's result; an answer brings the trunk back up. True if it came up."""
    rows = Trunk.objects.filter(pk=trunk_id)
    if not up:
        rows.update(last_probe_result=result[:100])
        return False
    return bool(
        rows.filter(health=TrunkHealth.DOWN).update(
            health=TrunkHealth.UP,
            consecutive_timeouts=0,
            down_since_at=None,
            last_probe_result=result[:100],
        )
    )


def do_mark_trunk(trunk: Trunk, health: str, now: datetime) -> Trunk:
    """Operator override (`aicall trunk update NAME --health up|down`)."""
    if health == TrunkHealth.UP:
        Trunk.objects.filter(pk=trunk.pk).update(
            health=TrunkHealth.UP, consecutive_timeouts=0, down_since_at=None, paused_until_at=None
        )
    else:
        Trunk.objects.filter(pk=trunk.pk, health=TrunkHealth.UP).update(
            health=TrunkHealth.DOWN, down_since_at=now, last_probe_at=None
        )
    trunk.refresh_from_db()
    return trunk
