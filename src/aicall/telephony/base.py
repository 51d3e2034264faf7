"""The one interface the dialer drives, whatever places the calls (sandbox or SIP).

A carrier is used from one asyncio event loop in the dialer process. `place_call` may be
awaited thousands of times at once; it returns when the call is over, whatever happened,
and never raises for an outcome of the call itself (busy, no answer, a dead worker):
those are `CallOutcome`s with the matching Q.850 `hangup_cause`.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aicall.speech.clips import OtpWording
from aicall.speech.voices import DEFAULT_RATE_PERCENT, DEFAULT_VOICE

# The contract's `note` values (Q.850 cause names, as FreeSWITCH words them).
NORMAL_CLEARING = "NORMAL CLEARING"
USER_BUSY = "USER BUSY"
NO_ANSWER = "NO ANSWER"
NO_USER_RESPONSE = "NO USER RESPONSE"
CALL_REJECTED = "CALL REJECTED"
UNALLOCATED_NUMBER = "UNALLOCATED NUMBER"
NORMAL_TEMPORARY_FAILURE = "NORMAL TEMPORARY FAILURE"
RECOVERY_ON_TIMER_EXPIRE = "RECOVERY ON TIMER EXPIRE"
INVALID_NUMBER_FORMAT = "INVALID NUMBER FORMAT"
INCOMPATIBLE_DESTINATION = "INCOMPATIBLE DESTINATION"
NETWORK_OUT_OF_ORDER = "NETWORK OUT OF ORDER"
NUMBER_CHANGED = "NUMBER CHANGED"
ORIGINATOR_CANCEL = "ORIGINATOR CANCEL"
# A 3xx that was not followed (too many hops, or a target outside the trunk).
REDIRECTED = "REDIRECTION TO NEW DESTINATION"
# No RTP received for the trunk's media_timeout_seconds: ended with a BYE.
MEDIA_TIMEOUT = "MEDIA TIMEOUT"
# A 408 or 503 PJSIP generated itself, not one the trunk sent: no response at all to the
# INVITE (timer B), or the trunk could not be reached (a transport error, e.g. a refused
# TCP connection). Temporary, and counted towards marking the trunk down.
TRUNK_TIMEOUT = "NO ANSWER FROM TRUNK (LOCAL TIMEOUT)"
TRUNK_UNREACHABLE = "TRUNK UNREACHABLE (LOCAL ERROR)"
# The trunk is down (timeouts in a row, OPTIONS unanswered) or its registration failed.
TRUNK_UNAVAILABLE = "TRUNK UNAVAILABLE"
REGISTRATION_FAILED = "REGISTRATION FAILED"


@dataclass
class TrunkConfig:
    """What a carrier needs to know of a SIP trunk (None for the sandbox)."""

    name: str
    proxy: str
    transport: str = "udp"
    username: str = ""
    password: str = field(default="", repr=False)
    number_format: str = "national"
    dtmf_payload_type: int = 101
    caller_id: str = ""  # used when the campaign names none
    max_channels: int = 0  # simultaneous calls on this trunk; 0 = no limit
    calls_per_second: float = 0.0  # new calls a second on this trunk; 0 = no limit
    # Caller identity: how the caller ID is written in From/PAI ("national", "e164", or
    # "as_stored"), an optional display name, P-Asserted-Identity on/off, a Privacy header
    # value ("" for none, e.g. "id" or "none"), and static extra headers (operator-set).
    caller_id_format: str = "national"
    display_name: str = ""
    send_pai: bool = False
    privacy: str = ""
    extra_headers: dict[str, str] = field(default_factory=dict)
    # No RTP received for this long ends an answered call with a BYE (MEDIA TIMEOUT).
    media_timeout_seconds: float = 20.0
    # The trunk's row id (the SIP edge's dispatcher set), its failover targets, and whether
    # the edge registers with it; the digest user when it differs from `username`, and
    # the only digest realm answered ("" answers any).
    trunk_id: int = 0
    failover_proxies: list[str] = field(default_factory=list)
    register: bool = False
    auth_username: str = ""
    realm: str = ""
    # The next trunk in priority order, used for a call this one could not carry (its
    # targets down or answering 503, its registration failed).
    fallback: TrunkConfig | None = None
    # False while the trunk is down or paused (telephony/health.py): with a fallback, its
    # calls go straight to the fallback instead.
    available: bool = True


@dataclass
class CallRequest:
    call_id: int
    attempt: int
    callee_e164: str
    caller_id: str
    # What the callee hears: the script rendered for this contact (placeholders filled).
    script_text: str
    # Voice OTP: the code to read digit by digit (script_text is then the lead-in, if any).
    otp_code: str = field(default="", repr=False)
    otp_repeat_count: int = 3
    otp_wording: OtpWording = field(default_factory=OtpWording)
    # The account's recordings of the digits 0-9 (digit -> WAV path) to read the code with;
    # empty: the speech engine's digits.
    otp_digit_clips: dict[str, str] = field(default_factory=dict)
    # A prerecorded prompt to play instead of speech (path of a WAV file), if the campaign has
    # one, and its length in seconds as measured at upload.
    audio_path: str = ""
    audio_seconds: float | None = None
    # The speech engine's voice (aicall.speech.voices) and pace in percent of normal.
    voice: str = DEFAULT_VOICE
    speech_rate: int = DEFAULT_RATE_PERCENT
    ivr_menu: dict[str, Any] = field(default_factory=dict)
    ring_timeout_seconds: float = 45.0
    record: bool = False
    trunk: TrunkConfig | None = None


@dataclass
class CallOutcome:
    """How a call ended. Times are seconds of call time, counted from when it was placed."""

    answered: bool
    hangup_cause: str
    sip_code: int | None = None
    answered_after_seconds: float | None = None
    duration_seconds: float = 0.0  # from answer to hang-up; 0 when never answered
    key_presses: list[tuple[str, float]] = field(default_factory=list)  # (digit, s from answer)
    recording_path: str = ""  # relative to MEDIA_ROOT
    transferred_to: str = ""  # the SIP URI the callee was transferred to (IVR transfer)
    # The trunk said when to try again (503/480/486 Retry-After), in seconds.
    retry_after_seconds: float | None = None
    # 3xx redirects followed before this outcome (each hop counts in the same attempt).
    redirect_hops: int = 0
    # Each trunk the call reached, in order, with what that trunk did (the last is this
    # outcome): a fallback's answer or timeout belongs to the fallback's health, not to the
    # first trunk's. Empty from carriers without trunks (the sandbox).
    trunk_results: list[tuple[int, CallOutcome]] = field(default_factory=list)


# Called once when the callee answers (for the optional "call started" webhook, metrics).
AnsweredCallback = Callable[[], Awaitable[None] | None]


class Carrier(abc.ABC):
    """Places calls. Subclasses: SandboxCarrier (default) and the SIP carrier."""

    name = "carrier"

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Prepare (start worker processes, bind ports). Called once before any call."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Release everything; calls still running are ended first."""

    @abc.abstractmethod
    async def place_call(
        self, request: CallRequest, on_answered: AnsweredCallback | None = None
    ) -> CallOutcome:
        """Dial, play the prompt, collect keys, and return how the call ended."""

    def name_for(self, request: CallRequest) -> str:
        """Which carrier places this call ("sandbox", "sip"), as the call record keeps it."""
        return self.name

    def channels_in_use(self) -> int:
        return 0

    def capacity(self) -> int | None:
        """Calls this carrier can hold at once in this process (None: no limit of its own).

        The dialer never has more calls in flight than this (e.g. PJSIP workers x 4).
        """
        return None
