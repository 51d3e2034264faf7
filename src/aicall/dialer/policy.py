"""The dialer's rules as pure functions: calling hours, retries, and the contract's fields."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from aicall.telephony.base import (
    NO_ANSWER,
    NO_USER_RESPONSE,
    NORMAL_TEMPORARY_FAILURE,
    REGISTRATION_FAILED,
    USER_BUSY,
)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MIDNIGHT = time(0, 0)

# Notes for calls the dialer settles itself (never placed, or cut off by a dead dialer).
DO_NOT_CALL = "DO NOT CALL"
OTP_EXPIRED = "OTP EXPIRED"
INTERRUPTED = "INTERRUPTED"

# Only these are worth another attempt: the callee may pick up later. A rejected call or a
# number that does not exist will not change its mind. INTERRUPTED is our own failure (a
# dialer died mid-call), which the callee should not pay for; so is a trunk whose
# registration failed (the edge keeps trying to register it).
RETRYABLE_CAUSES = frozenset(
    {
        USER_BUSY,
        NO_ANSWER,
        NO_USER_RESPONSE,
        NORMAL_TEMPORARY_FAILURE,
        INTERRUPTED,
        REGISTRATION_FAILED,
    }
)


def in_calling_hours(start: time, end: time, weekdays: str, moment: datetime) -> bool:
    """Is `moment` inside [start, end) Vietnam time, on one of `weekdays` (0 = Monday)?

    An end of 00:00 means midnight at the end of the day, so 00:00-00:00 (shown as
    00:00-24:00) is around the clock.
    """
    local = moment.astimezone(VIETNAM)
    if str(local.weekday()) not in weekdays:
        return False
    now = local.time().replace(tzinfo=None)
    if end == MIDNIGHT:
        return now >= start
    return start <= now < end


def should_retry(*, is_otp: bool, cause: str, attempt: int, max_attempts: int) -> bool:
    """Another attempt for an ivr call that was busy / not answered / failed temporarily."""
    return not is_otp and cause in RETRYABLE_CAUSES and attempt < max_attempts


def format_key_press(presses: list[tuple[str, float]]) -> str:
    """`[("1", 29.4), ("2", 35.0)]` -> `"1 (29), 2 (35)"` (whole seconds from answer)."""
    return ", ".join(f"{digit} ({int(max(0.0, second))})" for digit, second in presses)


def whole_seconds(seconds: float) -> int:
    return max(0, int(seconds + 0.5))
