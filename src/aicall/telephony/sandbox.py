"""The sandbox carrier: no telephone network, outcomes decided by the callee's last digit.

It is the default telephony, so that a new installation, a customer's integration tests and
our own tests see calls complete. The table (also in docs/dialer.md):

| last digit | what happens                                    | state | note               |
|------------|-------------------------------------------------|-------|--------------------|
| 0, 8, 9    | answers after 2 s, listens to the whole script  | 40    | NORMAL CLEARING    |
| 1          | answers, presses 1 two seconds after answer     | 40    | NORMAL CLEARING    |
| 2          | answers, presses 2 (at 2 s) then 9 (at 4 s)     | 40    | NORMAL CLEARING    |
| 3          | busy after 1 s                                  | 50    | USER BUSY          |
| 4          | rings until the campaign's ring timeout         | 50    | NO ANSWER          |
| 5          | rejects after 3 s                               | 50    | CALL REJECTED      |
| 6          | number does not exist (0.5 s)                   | 50    | UNALLOCATED NUMBER |
| 7          | answers, hangs up 5 seconds after answer        | 40    | NORMAL CLEARING    |

"The whole script" lasts `speech_seconds(request)`: the script text at 12 characters a second
(Vietnamese TTS speaks ~150 words a minute), plus for a voice OTP each repetition of the code
at 0.6 s a digit and a 1 s pause, all stretched by 100 / the campaign's speech rate, rounded
up to whole seconds, at least 3 s; an uploaded recording lasts the length measured at upload.
A menu prompt that is an uploaded recording adds its length, and a key pressed whose message
(or sub-menu prompt) is a recording keeps the call until that recording ends. Callers 1 and
2 also stay until the script ends.

`speed` runs the sandbox's clock that many times faster than real time; durations and
key-press seconds are reported in call time, as a real call would have them.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import os
import time
import wave

from aicall.telephony.base import (
    CALL_REJECTED,
    NO_ANSWER,
    NORMAL_CLEARING,
    UNALLOCATED_NUMBER,
    USER_BUSY,
    AnsweredCallback,
    CallOutcome,
    CallRequest,
    Carrier,
)

CHARS_PER_SECOND = 12.0
OTP_SECONDS_PER_DIGIT = 0.6
OTP_PAUSE_SECONDS = 1.0
MIN_SPEECH_SECONDS = 3
RING_SECONDS = 2.0

# digit -> (failure cause, SIP code, seconds before it) for the calls that are never answered.
_FAILURES = {
    "3": (USER_BUSY, 486, 1.0),
    "5": (CALL_REJECTED, 603, 3.0),
    "6": (UNALLOCATED_NUMBER, 404, 0.5),
}


def _wav_seconds(path: str) -> float | None:
    try:
        with wave.open(path, "rb") as wav:
            return wav.getnframes() / float(wav.getframerate())
    except (OSError, wave.Error, EOFError, ZeroDivisionError):
        return None


def speech_seconds(request: CallRequest) -> int:
    """How long the callee listens to the whole prompt, in whole seconds (see module doc)."""
    seconds: float | None = None
    if request.audio_path:
        seconds = request.audio_seconds
        if seconds is None:
            seconds = _wav_seconds(request.audio_path)
    # Speech at speech_rate percent of the normal pace takes 100/rate times as long.
    pace = 100.0 / max(1, request.speech_rate)
    if seconds is None:
        seconds = len(request.script_text.strip()) / CHARS_PER_SECOND * pace
    if request.otp_code:
        per_repeat = (len(request.otp_code) * OTP_SECONDS_PER_DIGIT + OTP_PAUSE_SECONDS) * pace
        seconds += max(1, request.otp_repeat_count) * per_repeat
    else:
        seconds += _recorded(request.ivr_menu or {}, "prompt_audio")
    return max(MIN_SPEECH_SECONDS, math.ceil(seconds - 1e-9))


def _recorded(holder: dict, field: str) -> float:
    """The length of the uploaded recording at this spot of a request's menu (0: none)."""
    audio = holder.get(field) if isinstance(holder, dict) else None
    return float(audio.get("seconds") or 0.0) if isinstance(audio, dict) else 0.0


def after_key(request: CallRequest, key: str) -> float:
    """How long the recording played after pressing `key` in the top menu lasts (0: none,
    or spoken text, which the sandbox does not time)."""
    if request.otp_code:
        return 0.0
    option = ((request.ivr_menu or {}).get("keys") or {}).get(key) or {}
    if option.get("action") == "message":
        return _recorded(option, "message_audio")
    if option.get("action") == "submenu":
        return _recorded(option.get("menu") or {}, "prompt_audio")
    return 0.0


def plan_call(request: CallRequest) -> tuple[CallOutcome, float]:
    """The outcome the sandbox gives this request, and how long it takes (call seconds)."""
    digit = request.callee_e164[-1:] or "0"
    if digit in _FAILURES:
        cause, sip_code, after = _FAILURES[digit]
        return CallOutcome(answered=False, hangup_cause=cause, sip_code=sip_code), after
    if digit == "4":
        ring = float(request.ring_timeout_seconds)
        return CallOutcome(answered=False, hangup_cause=NO_ANSWER, sip_code=487), ring
    keys: list[tuple[str, float]] = []
    if digit == "7":
        duration = 5.0
    else:
        duration = float(speech_seconds(request))
        if digit == "1":
            keys = [("1", 2.0)]
            duration = max(duration, 3.0, math.ceil(2.0 + after_key(request, "1") - 1e-9))
        elif digit == "2":
            keys = [("2", 2.0), ("9", 4.0)]
            duration = max(duration, 5.0, math.ceil(2.0 + after_key(request, "2") - 1e-9))
    outcome = CallOutcome(
        answered=True,
        hangup_cause=NORMAL_CLEARING,
        sip_code=200,
        answered_after_seconds=RING_SECONDS,
        duration_seconds=duration,
        key_presses=keys,
    )
    return outcome, RING_SECONDS + duration


class SandboxCarrier(Carrier):
    """Places pretend calls on the event loop: thousands at once cost only timers."""

    name = "sandbox"

    def __init__(self, speed: float = 1.0, journal_path: str = "") -> None:
        if speed <= 0:
            raise ValueError("sandbox speed must be positive")
        self.speed = speed
        self.journal_path = journal_path
        self._journal_fd: int | None = None
        self._in_use = 0

    async def start(self) -> None:
        if self.journal_path:
            self._journal_fd = os.open(
                self.journal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
            )

    async def stop(self) -> None:
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None

    def channels_in_use(self) -> int:
        return self._in_use

    async def place_call(
        self, request: CallRequest, on_answered: AnsweredCallback | None = None
    ) -> CallOutcome:
        outcome, total_seconds = plan_call(request)
        placed_at = time.time()
        self._in_use += 1
        try:
            if outcome.answered and outcome.answered_after_seconds is not None:
                await asyncio.sleep(outcome.answered_after_seconds / self.speed)
                if on_answered is not None:
                    result = on_answered()
                    if inspect.isawaitable(result):
                        await result
                await asyncio.sleep(outcome.duration_seconds / self.speed)
            else:
                await asyncio.sleep(total_seconds / self.speed)
        finally:
            self._in_use -= 1
            self._write_journal(request, placed_at)
        return outcome

    def _write_journal(self, request: CallRequest, placed_at: float) -> None:
        if self._journal_fd is None:
            return
        line = json.dumps(
            {
                "call_id": request.call_id,
                "attempt": request.attempt,
                "callee": request.callee_e164,
                "placed_at": placed_at,
                "ended_at": time.time(),
                "pid": os.getpid(),
            }
        )
        # One write of one line on an O_APPEND descriptor: lines from several dialer
        # processes sharing the journal never interleave.
        os.write(self._journal_fd, (line + "\n").encode())
