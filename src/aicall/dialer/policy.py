"""The dialer's rules as pure functions: calling hours, retries, and the contract's fields."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from aicall.telephony.base import (
    NETWORK_OUT_OF_ORDER,
    NO_ANSWER,
    NO_USER_RESPONSE,
    NORMAL_TEMPORARY_FAILURE,
    RECOVERY_ON_TIMER_EXPIRE,
    REGISTRATION_FAILED,
    TRUNK_TIMEOUT,
    TRUNK_UNAVAILABLE,
    TRUNK_UNREACHABLE,
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
# dialer died mid-call), which the callee should not pay for.
# Failures of the network, not of the callee: a trunk that timed out (its 408, or our own
# timer B), could not be reached, answered 5xx, or whose registration failed (the SIP edge
# keeps registering it). Worth
# another attempt for voice OTP too, while its code is still valid.
TEMPORARY_CAUSES = frozenset(
    {
        NORMAL_TEMPORARY_FAILURE,
        RECOVERY_ON_TIMER_EXPIRE,
        TRUNK_TIMEOUT,
        TRUNK_UNREACHABLE,
        NETWORK_OUT_OF_ORDER,
        TRUNK_UNAVAILABLE,
        REGISTRATION_FAILED,
    }
)
RETRYABLE_CAUSES = TEMPORARY_CAUSES | {USER_BUSY, NO_ANSWER, NO_USER_RESPONSE, INTERRUPTED}
# The longest Retry-After honoured (a trunk asking for a day is paused for an hour).
MAX_RETRY_AFTER_SECONDS = 3600.0


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
    """Another attempt: an ivr call busy / not answered / failed temporarily, or a voice OTP
    that failed in the network (the caller of `retry_due_at` checks the OTP's expiry)."""
    if attempt >= max_attempts:
        return False
    return cause in (TEMPORARY_CAUSES | {INTERRUPTED} if is_otp else RETRYABLE_CAUSES)


def retry_delay_seconds(
    *, is_otp: bool, retry_interval_seconds: float, retry_after_seconds: float | None,
    otp_retry_seconds: float,
) -> float:  # fmt: skip
    """How long until the next attempt: the campaign's interval (an OTP's short one), and
    never sooner than the trunk's Retry-After (capped at an hour)."""
    base = min(retry_interval_seconds, otp_retry_seconds) if is_otp else retry_interval_seconds
    if retry_after_seconds is not None and retry_after_seconds > 0:
        return max(base, min(retry_after_seconds, MAX_RETRY_AFTER_SECONDS))
    return base


def format_key_press(presses: list[tuple[str, float]]) -> str:
    """`[("1", 29.4), ("2", 35.0)]` -> `"1 (29), 2 (35)"` (whole seconds from answer)."""
    return ", ".join(f"{digit} ({int(max(0.0, second))})" for digit, second in presses)


def whole_seconds(seconds: float) -> int:
    return max(0, int(seconds + 0.5))
