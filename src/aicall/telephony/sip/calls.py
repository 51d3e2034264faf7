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


def call_param(headers: list[list[str]]) -> Any:
    """A CallOpParam carrying the INVITE's extra headers (PAI, Privacy, the trunk's own).

    The carrier checked every name and value (sipmsg.check_header); this is the last place
    before the wire, so a control character still refuses the header rather than send it.
    """
    prm = pj.CallOpParam(True)
    for name, value in headers:
        if any(ord(ch) < 0x20 and ch != "\t" for ch in name + value):
            raise ValueError(f"header {name!r} refused: control characters")
        header = pj.SipHeader()
        header.hName = name
        header.hValue = value
        prm.txOption.headers.append(header)
    return prm


@dataclass
class CallState:
    key: str
    plan: dict[str, Any]
    placed_at: float
    ring_deadline: float
    max_seconds: float = 3600.0
    ring_seconds: float = 45.0
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
    # Media: the call's conference slot now (see media.py), hold, and the RTP watchdog.
    slot: int = -1
    media_index: int = -1
    media_up: bool = False  # answered with audio both sides can use (a codec in common)
    held: bool = False
    resume_with: str = ""  # prompt | menu: what a resume restarts
    playing: tuple[list[str], float, str] | None = None  # the prompt now (clips, s, after)
    media_timeout: float = 0.0
    rx_packets: int = 0
    rx_at: float = 0.0
    rx_check_at: float = 0.0
    incompatible: bool = False
    # The INVITE, kept to follow a 3xx through the same trunk with the same headers.
    headers: list[list[str]] = field(default_factory=list)
    trunk: dict[str, Any] = field(default_factory=dict)
    redirect_to: str = ""
    redirect_code: int | None = None
    redirect_hops: int = 0
    retry_after: float | None = None
    local_failure: bool = False  # the final response was PJSIP's own (timeout, transport)


@dataclass
class BridgeLeg:
    """A second call to the transfer target, its audio joined to the callee's."""

    parent: str
    call: Any
    audio: Any = None
    answered: bool = False
    ending: bool = False
    slot: int = -1
    media_index: int = -1
    rx_packets: int = 0
    rx_at: float = 0.0
    rx_check_at: float = 0.0
    timed_out: bool = False


class WorkerCall(pj.Call):
    """Forwards callbacks to the worker by key; holds no player (see the facts on GC)."""

    def __init__(self, worker: Any, account: Any, key: str):
        super().__init__(account)
        self.worker = worker
        self.key = key
        self.dtmf_payload_type = 101

    def onCallState(self, prm):
        self.worker.on_call_state(self.key, prm.e)

    def onCallRedirected(self, prm):
        return self.worker.on_redirected(self.key, prm.targetUri, prm.e)

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
