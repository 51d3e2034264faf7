"""A media worker: one PJSIP endpoint placing up to 4 calls, driven over a pipe.

Run by the SIP carrier as `python -m aicall.telephony.sip.worker`. The PyPI build of pjsua2
holds 4 calls per process and pjsua is a singleton, so a pool of these processes carries the
load (see pool.py). Commands arrive as JSON lines on stdin; events leave as JSON lines on the
original stdout, while fd 1 is pointed at stderr so nothing native can corrupt the protocol.

Poll mode: every SIP callback runs on this one thread inside `libHandleEvents`, which never
lost a call under load; RTP runs on a native media thread and never wakes Python. Asserts are
compiled into PJSIP, so misuse kills the process: the pool replaces it and settles its calls.
These modules need no Django; they import only pjsua2 and the standard library.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from typing import Any

import pjsua2 as pj

from aicall.telephony.sip import sipmsg
from aicall.telephony.sip.calls import BridgeLeg, CallState, WorkerCall, call_param
from aicall.telephony.sip.endpoint import Endpoint, _realm  # noqa: F401 - _realm for tests
from aicall.telephony.sip.ivr import IvrMixin
from aicall.telephony.sip.media import MEDIA_SETUP_GRACE_SECONDS, MediaMixin, restart_watch

POLL_MS = 100
QUIT_GRACE_SECONDS = 3.0
# 3xx responses followed within one attempt (each a new INVITE through the same trunk).
MAX_REDIRECT_HOPS = 3


class Worker(IvrMixin, MediaMixin):
    def __init__(self, bind: str, port: int, out_fd: int, rtp_port: int = 0, rtp_range: int = 0):
        self.out_fd = out_fd
        self.calls: dict[str, CallState] = {}
        self.legs: dict[str, BridgeLeg] = {}
        self.quitting = False
        self.quit_deadline = 0.0
        self.inbuf = b""
        self.endpoint = Endpoint(bind, port, rtp_port, rtp_range)
        self.ep = self.endpoint.ep
        self.port = self.endpoint.port

    # -- protocol ----------------------------------------------------------------------------

    def send(self, payload: dict[str, Any]) -> None:
        data = (json.dumps(payload) + "\n").encode()
        while data:
            written = os.write(self.out_fd, data)
            data = data[written:]

    def read_commands(self) -> None:
        # stdin is non-blocking (main): one read per loop, EAGAIN when the carrier is quiet.
        while True:
            try:
                chunk = os.read(0, 65536)
            except BlockingIOError:
                return
            if not chunk:
                self.start_quit()
                return
            self.inbuf += chunk
            while b"\n" in self.inbuf:
                line, self.inbuf = self.inbuf.split(b"\n", 1)
                if line.strip():
                    self.handle(json.loads(line))

    def handle(self, cmd: dict[str, Any]) -> None:
        op = cmd.get("op")
        if op == "call":
            self.place(cmd)
        elif op == "hangup":
            state = self.calls.get(cmd["id"])
            if state:
                self.hangup(state, "local")
        elif op == "quit":
            self.start_quit()

    def start_quit(self) -> None:
        if not self.quitting:
            self.quitting = True
            self.quit_deadline = time.monotonic() + QUIT_GRACE_SECONDS
            for state in list(self.calls.values()):
                self.hangup(state, "shutdown")

    # -- calls -------------------------------------------------------------------------------

    def place(self, cmd: dict[str, Any]) -> None:
        now = time.monotonic()
        state = CallState(
            key=cmd["id"],
            plan=cmd["plan"],
            placed_at=now,
            ring_deadline=now + float(cmd.get("ring_timeout", 45)),
            max_seconds=float(cmd.get("max_seconds", 3600)),
            media_timeout=float(cmd["trunk"].get("media_timeout", 0) or 0),
            headers=[[str(n), str(v)] for n, v in cmd.get("headers") or []],
            trunk=cmd["trunk"],
        )
        state.ring_seconds = float(cmd.get("ring_timeout", 45))
        state.stack = [cmd["plan"]]
        if self.quitting:
            self.send({"ev": "done", "id": state.key, "error": "worker stopping"})
            return
        try:
            acc_key, account = self.endpoint.account_for(cmd)
        except pj.Error as exc:
            self.send({"ev": "done", "id": state.key, "error": f"account: {exc.reason}"})
            return
        state.account = account
        state.plan["_account"] = acc_key
        if cmd.get("record"):
            state.plan["_record"] = cmd["record"]
        self.calls[state.key] = state
        self.endpoint.account_users[acc_key] += 1
        self.dial(state, cmd["uri"])

    def dial(self, state: CallState, uri: str) -> None:
        """Send the INVITE (the first, or one following a 3xx); a failure ends the call."""
        try:
            call = WorkerCall(self, state.account, state.key)
            call.dtmf_payload_type = int(state.trunk.get("dtmf_payload_type", 101))
            state.call = call
            call.makeCall(uri, call_param(state.headers))
        except (pj.Error, ValueError) as exc:
            self.calls.pop(state.key, None)
            self.endpoint.release(state.plan["_account"])
            state.call = None
            reason = exc.reason if isinstance(exc, pj.Error) else str(exc)
            self.send({"ev": "done", "id": state.key, "error": f"makeCall: {reason}"})

    def on_call_state(self, key: str, event: Any = None) -> None:
        if key in self.legs:
            self.on_leg_state(key)
            return
        state = self.calls.get(key)
        if state is None or state.call is None:
            return
        info = state.call.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED and state.answered_at is None:
            state.answered_at = time.monotonic()
            # Look the audio up again at the answer (it may differ from the early media's
            # and be on hold), then start the prompt.
            self.on_media_state(key)
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            code = info.lastStatusCode
            if state.answered_at is None and code >= 300:
                message = _received_message(event)
                state.retry_after = sipmsg.retry_after_seconds(message)
                # A final response nobody sent: PJSIP's own timer B or a transport error, or
                # behind the edge its own 408/503 (it marks them; a trunk's mark is dropped).
                state.local_failure = _generated_locally(event) or (
                    self.endpoint.behind_edge and sipmsg.edge_generated(message)
                )
            self.finish(state, code, info.lastReason)

    def on_redirected(self, key: str, target: str, event: Any) -> int:
        """A 3xx: follow a phone number through the same trunk, at most MAX_REDIRECT_HOPS."""
        state = self.calls.get(key)
        if state is None:
            return pj.PJSIP_REDIRECT_STOP
        message = _received_message(event)
        state.redirect_code = sipmsg.status_code(message) or 302
        wanted = sipmsg.redirect_number(target)
        for contact in sipmsg.contact_uris(message):
            parsed = sipmsg.redirect_number(contact)
            if wanted and parsed and parsed[:2] == wanted[:2]:
                target = contact  # the same Contact, with its port
                break
        uri = sipmsg.redirect_uri(target, state.trunk)
        if uri is None:
            return pj.PJSIP_REDIRECT_REJECT  # not a number: try the response's next Contact
        if state.redirect_hops < MAX_REDIRECT_HOPS:
            state.redirect_to = uri
        # Never PJSIP's own follow: it would send to the Contact's host as is. We dial the
        # number ourselves, as a new INVITE through the trunk, once this call is gone.
        return pj.PJSIP_REDIRECT_STOP

    def maybe_start(self, state: CallState) -> None:
        if state.audio is None or state.answered_at is None:
            return
        if not state.media_up:
            # Answered with audio we can both use: only now is it a call (call.started).
            state.media_up = True
            restart_watch(state, time.monotonic())
            self.send({"ev": "answered", "id": state.key})
        if state.started_prompt or state.held or state.hangup_reason:
            return
        state.started_prompt = True
        record = state.plan.get("_record")
        if record:
            try:
                state.recorder = pj.AudioMediaRecorder()
                state.recorder.createRecorder(record)
                state.audio.startTransmit(state.recorder)
            except pj.Error:
                state.recorder = None
        self.play_node(state)

    def hangup(self, state: CallState, reason: str) -> None:
        if state.hangup_reason:
            return
        state.hangup_reason = reason
        self.stop_player(state)
        state.prompt_ends_at = None
        state.menu_deadline = None
        if state.call is None:  # between a 3xx and the INVITE that follows it
            state.redirect_to = ""
            self.finish(state, 487, "")
            return
        try:
            prm = pj.CallOpParam(True)
            if state.answered_at is None and reason == "ring_timeout":
                prm.statusCode = pj.PJSIP_SC_REQUEST_TERMINATED
            state.call.hangup(prm)
        except pj.Error:
            pass

    def finish(self, state: CallState, code: int, reason: str) -> None:
        now = time.monotonic()
        if state.redirect_to and not state.hangup_reason and state.answered_at is None:
            # Release this Call inside its handler; the next tick dials the new target.
            state.call = None
            state.redirect_hops += 1
            return
        self.end_leg(state.key)
        self.stop_player(state)
        if state.recorder is not None:
            recorder, state.recorder = state.recorder, None
            del recorder  # the destructor writes the WAV header
        state.audio = None
        self.calls.pop(state.key, None)
        self.endpoint.release(state.plan.get("_account"))
        answered_at = state.answered_at if state.media_up else None
        answered = answered_at is not None
        hangup_reason = state.hangup_reason
        if hangup_reason == "incompatible" or (
            state.answered_at is not None and not state.media_up
        ):
            hangup_reason, code = "incompatible", 488  # 200 OK without a codec in common
        elif (
            state.redirect_code
            and not answered
            and not hangup_reason
            and (code == 487 or 300 <= code < 400)
        ):
            hangup_reason, code = "redirected", state.redirect_code  # a 3xx not followed
        self.send(
            {
                "ev": "done",
                "id": state.key,
                "answered": answered,
                "code": code,
                "reason": hangup_reason,
                "retry_after": state.retry_after,
                "local": state.local_failure,
                "redirect_hops": state.redirect_hops,
                "answered_after": round(answered_at - state.placed_at, 3)
                if answered_at is not None
                else None,
                "duration": round(now - answered_at, 3) if answered_at is not None else 0.0,
                "keys": state.keys,
                "transferred_to": state.transferred_to,
                "recording": state.plan.get("_record", ""),
            }
        )
        # Release the Call here, inside its DISCONNECTED handler: a late garbage collection
        # of pj::Call touches the slot and would hang up whichever call reuses it.
        state.call = None
        state.account = None

    def tick(self) -> None:
        now = time.monotonic()
        self.check_media(now)
        for state in list(self.calls.values()):
            if state.call is None and state.redirect_to:
                uri, state.redirect_to, state.redirect_code = state.redirect_to, "", None
                state.ring_deadline = now + state.ring_seconds
                self.dial(state, uri)
                continue
            if state.hangup_reason or state.call is None:
                continue
            if state.answered_at is not None and not state.media_up:
                if now - state.answered_at > MEDIA_SETUP_GRACE_SECONDS:
                    self.hangup(state, "incompatible")
                continue
            if state.answered_at is None:
                if now >= state.ring_deadline:
                    self.hangup(state, "ring_timeout")
                continue
            if now - state.answered_at > state.max_seconds:
                self.hangup(state, "local")  # a caller pressing "repeat" forever
            elif state.held:
                continue  # nobody hears a prompt on hold; resume restarts it
            elif state.prompt_ends_at is not None and now >= state.prompt_ends_at:
                state.prompt_ends_at = None
                self.stop_player(state)
                node = state.stack[-1]
                if state.after_prompt == "hangup":
                    self.hangup(state, "local")
                elif state.after_prompt == "replay":
                    self.play_node(state)
                elif node.get("keys"):
                    state.menu_deadline = now + float(node.get("timeout_seconds", 8))
                else:
                    self.hangup(state, "local")
            elif state.menu_deadline is not None and now >= state.menu_deadline:
                self.hangup(state, "local")

    def run(self) -> None:
        self.send({"ev": "ready", "port": int(self.port), "pid": os.getpid()})
        while True:
            self.ep.libHandleEvents(POLL_MS)
            self.read_commands()
            self.tick()
            busy = self.calls or self.legs
            if self.quitting and (not busy or time.monotonic() > self.quit_deadline):
                break
        self.calls.clear()
        self.legs.clear()
        self.endpoint.destroy()


def _received_message(event: Any) -> str:
    """The text of the SIP response behind a call event ("" when it was not a response)."""
    try:
        if event is None or event.type != pj.PJSIP_EVENT_TSX_STATE:
            return ""
        tsx = event.body.tsxState
        if tsx.type != pj.PJSIP_EVENT_RX_MSG:
            return ""
        return str(tsx.src.rdata.wholeMsg)
    except (pj.Error, AttributeError):
        return ""


def _generated_locally(event: Any) -> bool:
    """Whether a call ended on a final response PJSIP made up: its INVITE transaction timed
    out with no response (timer B) or its transport failed (a refused TCP connection)."""
    try:
        if event is None or event.type != pj.PJSIP_EVENT_TSX_STATE:
            return False
        return event.body.tsxState.type in (pj.PJSIP_EVENT_TIMER, pj.PJSIP_EVENT_TRANSPORT_ERROR)
    except (pj.Error, AttributeError):
        return False


def main() -> None:
    bind = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    rtp_port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    rtp_range = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    out_fd = os.dup(1)
    os.dup2(2, 1)  # anything native that prints goes to stderr, not into the protocol
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the carrier decides when we stop
    os.set_blocking(0, False)  # our end of the command pipe only
    worker = Worker(bind, port, out_fd, rtp_port, rtp_range)
    signal.signal(signal.SIGTERM, lambda *_: worker.start_quit())
    try:
        worker.run()
    except BaseException:
        import traceback

        traceback.print_exc()
        os._exit(1)
    os._exit(0)


if __name__ == "__main__":
    main()
