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
import select
import signal
import sys
import time
from typing import Any

import pjsua2 as pj

from aicall.telephony.sip import sipmsg
from aicall.telephony.sip.calls import BridgeLeg, CallState, WorkerCall, call_param
from aicall.telephony.sip.ivr import IvrMixin
from aicall.telephony.sip.media import MEDIA_CHECK_SECONDS, MEDIA_SETUP_GRACE_SECONDS, MediaMixin

POLL_MS = 100
MAX_CALLS = 4
QUIT_GRACE_SECONDS = 3.0
# 3xx responses followed within one attempt (each a new INVITE through the same trunk).
MAX_REDIRECT_HOPS = 3


def _realm(trunk: dict[str, Any]) -> str:
    """The only digest realm the trunk's password answers: the configured one, else the
    proxy's host name. Never "*": any peer on the call path could otherwise challenge with
    a realm of its own and collect a response computed with the trunk's password."""
    realm = trunk.get("realm") or ""
    if realm:
        return realm
    host = str(trunk.get("host", ""))
    return host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]


class Worker(IvrMixin, MediaMixin):
    def __init__(self, bind: str, port: int, out_fd: int, rtp_port: int = 0, rtp_range: int = 0):
        self.out_fd = out_fd
        self.rtp_port = rtp_port
        self.rtp_range = rtp_range
        self.calls: dict[str, CallState] = {}
        self.legs: dict[str, BridgeLeg] = {}
        self.accounts: dict[str, Any] = {}
        self.account_users: dict[str, int] = {}
        self.quitting = False
        self.quit_deadline = 0.0
        self.inbuf = b""
        self.next_media_check = 0.0
        # pjlib logs a banner at the default level before our log config applies.
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            self.ep = pj.Endpoint()
            self.ep.libCreate()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = MAX_CALLS
        cfg.uaConfig.userAgent = "aicall"
        # Log level 0 saves ~10% CPU; AICALL_SIP_LOG_LEVEL=5 shows every SIP message.
        log_level = int(os.environ.get("AICALL_SIP_LOG_LEVEL", "0"))
        cfg.logConfig.level = log_level
        cfg.logConfig.consoleLevel = log_level
        med = cfg.medConfig
        med.clockRate = 8000
        med.sndClockRate = 8000
        med.channelCount = 1
        med.ecTailLen = 0
        med.noVad = True
        med.hasIoqueue = True
        med.threadCnt = 1
        self.ep.libInit(cfg)
        # Behind NAT the trunk must see the public address in Via, Contact and SDP.
        self.public_address = os.environ.get("AICALL_SIP_PUBLIC_ADDRESS", "")
        # Behind the SIP edge only RTP faces the trunk: Via and Contact keep the local
        # address, which the edge (on this host) reaches without a hairpin through the NAT.
        sip_public = "" if os.environ.get("AICALL_SIP_BEHIND_EDGE") == "1" else self.public_address
        tcfg = pj.TransportConfig()
        tcfg.port = port
        tcfg.boundAddress = bind
        tcfg.publicAddress = sip_public
        self.udp_id = self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
        self.port = self.ep.transportGetInfo(self.udp_id).localName.rsplit(":", 1)[-1]
        tcp_cfg = pj.TransportConfig()
        tcp_cfg.port = int(self.port)
        tcp_cfg.boundAddress = bind
        tcp_cfg.publicAddress = sip_public
        try:
            self.tcp_id = self.ep.transportCreate(pj.PJSIP_TRANSPORT_TCP, tcp_cfg)
        except pj.Error:
            self.tcp_id = -1
        self.bind = bind
        self.ep.libStart()
        # setNullDev, not setNoDev: without a device nothing clocks the bridge, no audio flows.
        self.ep.audDevManager().setNullDev()
        for codec in self.ep.codecEnum2():
            name = codec.codecId
            priority = 255 if name.startswith("PCMU/8000") else 254
            if not name.startswith(("PCMU/8000", "PCMA/8000")):
                priority = 0
            self.ep.codecSetPriority(name, priority)

    # -- protocol ----------------------------------------------------------------------------

    def send(self, payload: dict[str, Any]) -> None:
        data = (json.dumps(payload) + "\n").encode()
        while data:
            written = os.write(self.out_fd, data)
            data = data[written:]

    def read_commands(self) -> None:
        while True:
            ready, _, _ = select.select([0], [], [], 0)
            if not ready:
                return
            chunk = os.read(0, 65536)
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

    def account_for(self, cmd: dict[str, Any]) -> Any:
        trunk = cmd["trunk"]
        # From (display name, caller ID in the trunk's format) comes checked from the carrier.
        from_uri = cmd.get("from") or f"sip:{cmd['caller_id'] or 'anonymous'}@{trunk['host']}"
        key = json.dumps([trunk, from_uri], sort_keys=True)
        account = self.accounts.get(key)
        if account is not None:
            return key, account
        # pjsua holds 8 accounts; drop idle ones (another trunk or caller ID) first.
        for old_key in [k for k, n in self.account_users.items() if n == 0]:
            self.accounts.pop(old_key).shutdown()
            del self.account_users[old_key]
        acfg = pj.AccountConfig()
        acfg.idUri = from_uri
        acfg.regConfig.registrarUri = ""
        acfg.regConfig.registerOnAdd = False
        if trunk.get("username"):
            acfg.sipConfig.authCreds.append(
                pj.AuthCredInfo("digest", _realm(trunk), trunk["username"], 0, trunk["password"])
            )
        if trunk.get("outbound_proxy"):
            # Through the SIP edge: a preloaded Route to its loopback socket names the trunk.
            acfg.sipConfig.proxies.append(trunk["outbound_proxy"])
        acfg.sipConfig.transportId = self.tcp_id if trunk.get("transport") == "tcp" else self.udp_id
        acfg.mediaConfig.transportConfig.boundAddress = self.bind
        acfg.mediaConfig.transportConfig.publicAddress = self.public_address
        acfg.mediaConfig.srtpUse = pj.PJMEDIA_SRTP_DISABLED  # G.711 in clear, as trunks expect
        if self.rtp_port:
            acfg.mediaConfig.transportConfig.port = self.rtp_port
            acfg.mediaConfig.transportConfig.portRange = self.rtp_range
        account = pj.Account()
        account.create(acfg)
        self.accounts[key] = account
        self.account_users[key] = 0
        return key, account

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
            acc_key, account = self.account_for(cmd)
        except pj.Error as exc:
            self.send({"ev": "done", "id": state.key, "error": f"account: {exc.reason}"})
            return
        state.account = account
        state.plan["_account"] = acc_key
        if cmd.get("record"):
            state.plan["_record"] = cmd["record"]
        self.calls[state.key] = state
        self.account_users[acc_key] += 1
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
            self.account_users[state.plan["_account"]] -= 1
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
            state.rx_at = time.monotonic()
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
        account_key = state.plan.get("_account")
        if account_key in self.account_users:
            self.account_users[account_key] -= 1
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
        if now >= self.next_media_check:
            self.next_media_check = now + MEDIA_CHECK_SECONDS
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
        for account in self.accounts.values():
            account.shutdown()
        self.accounts.clear()
        self.ep.libDestroy()


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


def main() -> None:
    bind = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    rtp_port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    rtp_range = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    out_fd = os.dup(1)
    os.dup2(2, 1)  # anything native that prints goes to stderr, not into the protocol
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the carrier decides when we stop
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
