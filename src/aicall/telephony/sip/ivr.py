"""The media worker's IVR: prompts, keys, the menu tree, and transfers (REFER or a bridge)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import pjsua2 as pj

from aicall.telephony.sip.calls import BridgeLeg, CallState, WorkerCall, call_param
from aicall.telephony.sip.media import transmit

# A prompt's end is computed from its length; the margin covers the jitter of the clock.
PLAYBACK_MARGIN_SECONDS = 0.3


class IvrMixin:
    """Mixed into Worker: everything that happens on an answered call until it ends."""

    calls: dict[str, CallState]
    legs: dict[str, BridgeLeg]

    if TYPE_CHECKING:  # provided by Worker and MediaMixin

        def hangup(self, state: CallState, reason: str) -> None: ...
        def join(self, leg: BridgeLeg) -> None: ...

    def play(self, state: CallState, clips: list[str], seconds: float, after: str) -> None:
        self.stop_player(state)
        state.menu_deadline = None
        state.playing = None
        if not clips:
            state.prompt_ends_at = time.monotonic()
            state.after_prompt = after
            return
        player = pj.AudioMediaPlayer()
        try:
            if len(clips) == 1:
                player.createPlayer(clips[0], pj.PJMEDIA_FILE_NO_LOOP)
            else:
                player.createPlaylist(clips, "prompt", pj.PJMEDIA_FILE_NO_LOOP)
            # Into the call's own slot only; on hold (or a stale slot) the next media
            # event connects it (media.py).
            if not state.held:
                transmit(player, state.call, state.audio, state.slot)
            if state.recorder is not None:
                player.startTransmit(state.recorder)
        except pj.Error as exc:
            # A missing or unreadable clip: say so and end the call rather than hold a
            # silent line until the call's time limit.
            print(f"aicall worker: cannot play prompt: {exc.reason}", file=sys.stderr)
            del player
            self.hangup(state, "error")
            return
        state.player = player
        state.playing = (clips, seconds, after)
        state.after_prompt = after
        if state.held:
            # A key pressed while on hold: nobody hears it now; the resume plays it whole.
            state.resume_with = "prompt"
            state.prompt_ends_at = None
            return
        state.prompt_ends_at = time.monotonic() + seconds + PLAYBACK_MARGIN_SECONDS

    def play_node(self, state: CallState) -> None:
        node = state.stack[-1]
        self.play(state, node.get("clips", []), node.get("seconds", 0.0), "menu")

    def stop_player(self, state: CallState) -> None:
        if state.player is not None:
            player, state.player = state.player, None
            try:
                player.stopTransmit(state.audio)
            except pj.Error:
                pass
            del player

    def on_dtmf(self, key: str, digit: str, method: int, flags: int, timestamp: int) -> None:
        state = self.calls.get(key)
        if state is None or state.answered_at is None:
            return
        if method == pj.PJSUA_DTMF_METHOD_RFC2833:
            if not flags & 2:
                return  # start/update of the event; the digit counts once, at its end
            if state.last_rfc_event == (digit, timestamp):
                return  # the end packet is sent three times
            state.last_rfc_event = (digit, timestamp)
        second = round(time.monotonic() - state.answered_at, 2)
        state.keys.append((digit, second))
        self.on_key(state, digit)

    def on_key(self, state: CallState, digit: str) -> None:
        if state.transfer_pending or state.hangup_reason:
            return
        node = state.stack[-1]
        option = node.get("keys", {}).get(digit)
        if option is None:
            return
        action = option["action"]
        if action == "message":
            after = "hangup" if option.get("then", "hangup") == "hangup" else "replay"
            self.play(state, option.get("clips", []), option.get("seconds", 0.0), after)
        elif action == "repeat":
            self.play_node(state)
        elif action == "back" and len(state.stack) > 1:
            state.stack.pop()
            self.play_node(state)
        elif action == "submenu":
            state.stack.append(option["menu"])
            self.play_node(state)
        elif action == "transfer":
            self.transfer(state, option["uri"])
        elif action == "hangup":
            self.hangup(state, "local")

    def transfer(self, state: CallState, uri: str) -> None:
        self.stop_player(state)
        state.prompt_ends_at = None
        state.menu_deadline = None
        state.transfer_pending = True
        state.transferred_to = uri
        try:
            state.call.xfer(uri, pj.CallOpParam(True))
        except pj.Error:
            state.transfer_pending = False
            state.transferred_to = ""
            self.hangup(state, "local")

    def on_transfer_status(self, key: str, code: int, final: bool) -> None:
        state = self.calls.get(key)
        if state is None:
            return
        state.transfer_code = code
        if code >= 300:
            # The trunk refused the REFER (or the target failed): call the target
            # ourselves and join the two calls' audio.
            if not self.bridge(state):
                state.transfer_pending = False
                state.transferred_to = ""
                self.hangup(state, "local")
        elif final and code >= 200:
            state.transfer_pending = False
            self.hangup(state, "local")  # the callee talks to the target now

    # -- a bridged second leg when REFER is refused -------------------------------------------

    def bridge(self, state: CallState) -> bool:
        leg_key = state.key + "/leg"
        if leg_key in self.legs or state.hangup_reason:
            return leg_key in self.legs
        try:
            call = WorkerCall(self, state.account, leg_key)
            call.dtmf_payload_type = state.call.dtmf_payload_type
            self.legs[leg_key] = BridgeLeg(parent=state.key, call=call)
            call.makeCall(state.transferred_to, call_param(state.headers))
        except (pj.Error, ValueError):
            # Most likely all 4 call slots of this process are busy.
            self.legs.pop(leg_key, None)
            return False
        return True

    def on_leg_state(self, key: str) -> None:
        leg = self.legs[key]
        info = leg.call.getInfo()
        state = self.calls.get(leg.parent)
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            leg.answered = True
            self.join(leg)
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            if leg.audio is not None and state is not None and state.audio is not None:
                for a, b in ((leg.audio, state.audio), (state.audio, leg.audio)):
                    try:
                        a.stopTransmit(b)
                    except pj.Error:
                        pass
            leg.audio = None
            del self.legs[key]
            leg.call = None  # released inside its own DISCONNECTED handler, as every Call
            if state is not None:
                if not leg.answered:
                    state.transferred_to = ""
                state.transfer_pending = False
                # The target hung up or never answered, or the bridge went silent.
                self.hangup(state, "media_timeout" if leg.timed_out else "local")

    def end_leg(self, parent: str) -> None:
        leg = self.legs.get(parent + "/leg")
        if leg is not None and not leg.ending:
            leg.ending = True
            try:
                leg.call.hangup(pj.CallOpParam(True))
            except pj.Error:
                pass
