"""The dialer's value types: a claimed call, how it ended, what a claim round and a store
batch did.

Time names say what a value is: `_at` a datetime, `_epoch` seconds since 1970 (shared
between processes and machines: start slots), `_mono` the monotonic clock (this process
only). clock.py gives all three.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aicall.dialer.snapshot import CampaignInfo
from aicall.telephony.base import CallOutcome

SANDBOX = "sandbox"  # the carrier name of a simulated call


@dataclass
class ClaimedCall:
    """A call this dialer owns for one attempt, and when it may start."""

    call_id: int
    attempt: int
    campaign: CampaignInfo
    phone_e164: str
    otp_code: str
    danh_xung: str
    ho_ten: str
    custom_fields: dict[str, Any]
    start_epoch: float  # its start slot on the trunk's shared schedule
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
class ClaimRound:
    claimed: list[ClaimedCall] = field(default_factory=list)
    do_not_call: int = 0
    waiting_on_trunks: set[int] = field(default_factory=set)  # down or paused trunks skipped


@dataclass
class FlushStats:
    final: int = 0
    retried: int = 0
    dropped: int = 0
    trunks_down: list[int] = field(default_factory=list)  # trunk ids this batch marked down
