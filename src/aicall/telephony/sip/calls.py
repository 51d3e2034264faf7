"""What a media worker keeps per call, and the pjsua2 Call that forwards its callbacks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pjsua2 as pj


def rewrite_dtmf_payload_type(sdp: str, payload_type: int) -> str:
    """Offer telephone-event/8000 as `payload_type` (PJSIP offers 120; carriers expect 101)."""
    match = re.search(r"a=rtpmap:(\d+) telephone-event/8000", sdp)
    if not match or int(match.group(1)) == payload_type:
        return sdp
    old = match.group(1)
    if re.search(rf"a=rtpmap:{payload_type} ", sdp):
        return sdp
    lines = []
    for line in sdp.split("\r\n"):
        if line.startswith("m=audio "):
            parts = line.split(" ")
            line = " ".join(parts[:3] + [str(payload_type) if p == old else p for p in parts[3:]])
        elif line.startswith((f"a=rtpmap:{old} ", f"a=fmtp:{old} ")):
            line = line.replace(f":{old} ", f":{payload_type} ", 1)
        lines.append(line)
    return "\r\n".join(lines)


@dataclass
class CallState:
    key: str
    plan: dict[str, Any]
    placed_at: float
    ring_deadline: float
    max_seconds: float = 3600.0
    call: Any = None
    answered_at: float | None = None
    audio: Any = None
    player: Any = None
    recorder: Any = None
    stack: list[dict[str, Any]] = field(default_factory=list)
    prompt_ends_at: float | None = None
    after_prompt: str = "menu"  # menu | hangup
    menu_deadline: float | None = None
    keys: list[tuple[str, float]] = field(default_factory=list)
    last_rfc_event: tuple[str, int] | None = None
    hangup_reason: str = ""  # ring_timeout | local | shutdown | error
    transferred_to: str = ""
    transfer_pending: bool = False
    transfer_code: int | None = None
    started_prompt: bool = False
    account: Any = None


@dataclass
class BridgeLeg:
    """A second call to the transfer target, its audio joined to the callee's."""

    parent: str
    call: Any
    audio: Any = None
    answered: bool = False
    ending: bool = False


class WorkerCall(pj.Call):
    """Forwards callbacks to the worker by key; holds no player (see the facts on GC)."""

    def __init__(self, worker: Any, account: Any, key: str):
        super().__init__(account)
        self.worker = worker
        self.key = key
        self.dtmf_payload_type = 101

    def onCallState(self, prm):
        self.worker.on_call_state(self.key)

    def onCallMediaState(self, prm):
        self.worker.on_media_state(self.key)

    def onCallSdpCreated(self, prm):
        sdp = prm.sdp.wholeSdp
        rewritten = rewrite_dtmf_payload_type(sdp, self.dtmf_payload_type)
        if rewritten != sdp:
            prm.sdp.wholeSdp = rewritten

    def onDtmfEvent(self, prm):
        self.worker.on_dtmf(self.key, prm.digit, prm.method, prm.flags, prm.timestamp)

    def onCallTransferStatus(self, prm):
        self.worker.on_transfer_status(self.key, prm.statusCode, prm.finalNotify)
        prm.cont = not prm.finalNotify
