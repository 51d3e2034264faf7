"""How a call's end becomes the contract's outcome: the `note` for a final SIP response (as
FreeSWITCH's mod_sofia maps them), and a media worker's `done` report as a CallOutcome.

A 408 or 503 the trunk sent keeps the mod_sofia note; one PJSIP generated itself (timer B
expired with no response at all, or the transport failed before anything was sent) says
so: the trunk never answered, which the operator must tell apart from a trunk that did.
"""

from __future__ import annotations

import logging
from typing import Any

from aicall.telephony import base
from aicall.telephony.base import CallOutcome

log = logging.getLogger("aicall.sip")

_BY_CODE = {
    486: base.USER_BUSY,
    600: base.USER_BUSY,
    480: base.NO_USER_RESPONSE,
    401: base.CALL_REJECTED,
    402: base.CALL_REJECTED,
    403: base.CALL_REJECTED,
    407: base.CALL_REJECTED,
    603: base.CALL_REJECTED,
    404: base.UNALLOCATED_NUMBER,
    408: base.RECOVERY_ON_TIMER_EXPIRE,
    504: base.RECOVERY_ON_TIMER_EXPIRE,
    484: base.INVALID_NUMBER_FORMAT,
    410: base.NUMBER_CHANGED,
    502: base.NETWORK_OUT_OF_ORDER,
    488: base.INCOMPATIBLE_DESTINATION,
    606: base.INCOMPATIBLE_DESTINATION,
}


def note_for_sip_code(code: int, local: bool = False) -> str:
    """The Q.850 name for a failed call's final SIP response; `local`: PJSIP generated it."""
    if local and code == 408:
        return base.TRUNK_TIMEOUT
    if local and 500 <= code < 600:
        return base.TRUNK_UNREACHABLE
    if code in _BY_CODE:
        return _BY_CODE[code]
    if 500 <= code < 600:
        return base.NORMAL_TEMPORARY_FAILURE
    if code == 487:
        return base.ORIGINATOR_CANCEL
    if 300 <= code < 400:
        return base.REDIRECTED  # a redirect that was not (or could not be) followed
    return base.NORMAL_TEMPORARY_FAILURE


# The trunk, not the callee, is the problem: no target answered (408), the trunk is
# overloaded or out of service (503), or it would not take calls (not registered).
_TRUNK_FAILURE_CODES = frozenset({408, 503})


def trunk_could_not_carry(outcome: CallOutcome) -> bool:
    if outcome.answered:
        return False
    if outcome.hangup_cause in (base.REGISTRATION_FAILED, base.TRUNK_UNAVAILABLE):
        return True
    return outcome.sip_code in _TRUNK_FAILURE_CODES


def outcome_from_event(event: dict[str, Any]) -> CallOutcome:
    """The worker's `done` event as a CallOutcome with its Q.850 note."""
    answered = bool(event.get("answered"))
    keys = [(str(d), float(s)) for d, s in event.get("keys") or []]
    common: dict[str, Any] = {
        "answered": answered,
        "answered_after_seconds": event.get("answered_after"),
        "duration_seconds": round(float(event.get("duration") or 0.0), 2),
        "key_presses": keys,
        "transferred_to": event.get("transferred_to") or "",
        "redirect_hops": int(event.get("redirect_hops") or 0),
    }
    if event.get("worker_died") or event.get("error"):
        if event.get("error"):
            log.error("media worker refused a call: %s", event["error"])
        return CallOutcome(hangup_cause=base.NORMAL_TEMPORARY_FAILURE, sip_code=None, **common)
    code = event.get("code")
    if event.get("reason") == "error":
        # The worker could not play the prompt: the callee heard nothing worth keeping.
        return CallOutcome(hangup_cause=base.NORMAL_TEMPORARY_FAILURE, sip_code=code, **common)
    if event.get("reason") == "incompatible":
        # Answered without a codec in common: we hung up at once; the callee heard nothing.
        common.update(answered=False, answered_after_seconds=None, duration_seconds=0.0)
        return CallOutcome(hangup_cause=base.INCOMPATIBLE_DESTINATION, sip_code=488, **common)
    if answered and event.get("reason") == "media_timeout":
        return CallOutcome(hangup_cause=base.MEDIA_TIMEOUT, sip_code=200, **common)
    if answered:
        return CallOutcome(hangup_cause=base.NORMAL_CLEARING, sip_code=200, **common)
    if event.get("reason") == "ring_timeout":
        return CallOutcome(hangup_cause=base.NO_ANSWER, sip_code=code or 487, **common)
    if event.get("reason") in ("local", "shutdown"):
        return CallOutcome(hangup_cause=base.ORIGINATOR_CANCEL, sip_code=code, **common)
    retry_after = event.get("retry_after")
    return CallOutcome(
        hangup_cause=note_for_sip_code(int(code or 500), local=bool(event.get("local"))),
        sip_code=code or None,
        retry_after_seconds=float(retry_after) if retry_after is not None else None,
        **common,
    )
