"""The media worker's audio wiring: which conference slot is a call's, now.

PJSIP re-creates a call's stream, on a new conference slot, whenever its SDP changes: the
answer after early media, a re-INVITE or UPDATE (hold, resume, a codec change). An
AudioMedia looked up once keeps the old slot number, which the bridge later hands to
another call of the same process: a prompt (or an OTP) played into a stranger's call. So
the worker looks the audio up again on every media event, reconnects the player, recorder
and bridge to the new slot, and every connection into a call goes through `transmit`, which
refuses a slot the call does not hold at that moment.

Media timeout: a call's received-RTP counter (the stream's RTCP statistics, kept by the
native media thread) is read every quarter of the trunk's `media_timeout_seconds` (at most
every 5 s, at least every 0.5 s) and once more at the moment the timeout would be reached;
no new packet for `media_timeout_seconds` ends the call. So a silent call ends between 1 and
1.25 timeouts after its last packet, and a 20 s timeout costs one read per call every 5 s.
Nothing runs in Python per packet.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from aicall.telephony.sip.calls import BridgeLeg, CallState

# How often a call's received-packet counter is read: a quarter of its media timeout.
MEDIA_CHECK_FRACTION = 0.25
MEDIA_CHECK_MIN_SECONDS = 0.5
MEDIA_CHECK_MAX_SECONDS = 5.0
# A 200 OK whose SDP names no codec we offered leaves the call without audio: PJSIP ACKs
# and hangs up itself; this is the backstop should it not.
MEDIA_SETUP_GRACE_SECONDS = 2.0


def audio_of(call: Any) -> tuple[Any, int, int, int]:
    """The call's audio now: (AudioMedia or None, slot or -1, media index, media status)."""
    info = call.getInfo()
    for media in info.media:
        if media.type != pj.PJMEDIA_TYPE_AUDIO:
            continue
        status = media.status
        slot = media.audioConfSlot
        if slot < 0 or status not in (
            pj.PJSUA_CALL_MEDIA_ACTIVE,
            pj.PJSUA_CALL_MEDIA_REMOTE_HOLD,
            pj.PJSUA_CALL_MEDIA_LOCAL_HOLD,
        ):
            return None, -1, media.index, status
        try:
            return call.getAudioMedia(media.index), slot, media.index, status
        except pj.Error:
            return None, -1, media.index, pj.PJSUA_CALL_MEDIA_NONE  # the call just ended
    return None, -1, -1, pj.PJSUA_CALL_MEDIA_NONE


def owns_slot(call: Any, slot: int) -> bool:
    """Whether `slot` is this call's audio slot at this moment (asked of PJSIP, not cached)."""
    if call is None or slot < 0:
        return False
    try:
        info = call.getInfo()
    except pj.Error:
        return False
    return any(m.type == pj.PJMEDIA_TYPE_AUDIO and m.audioConfSlot == slot for m in info.media)


def transmit(source: Any, call: Any, audio: Any, slot: int) -> bool:
    """Connect `source` into `call`'s audio, only if `slot` is still that call's."""
    if audio is None or not owns_slot(call, slot) or audio.getPortId() != slot:
        print(f"aicall worker: refused audio into slot {slot}: not the call's", file=sys.stderr)
        return False
    try:
        source.startTransmit(audio)
    except pj.Error:
        return False
    return True


class MediaMixin:
    """Mixed into Worker: media events, hold/resume, the bridge's wiring, media timeouts."""

    calls: dict[str, CallState]
    legs: dict[str, BridgeLeg]

    if TYPE_CHECKING:  # provided by Worker and IvrMixin

        def hangup(self, state: CallState, reason: str) -> None: ...
        def play(self, state: CallState, clips: list[str], seconds: float, after: str) -> None: ...
        def stop_player(self, state: CallState) -> None: ...
        def maybe_start(self, state: CallState) -> None: ...
        def end_leg(self, parent: str) -> None: ...

    def on_media_state(self, key: str) -> None:
        if key in self.legs:
            self.on_leg_media(key)
            return
        state = self.calls.get(key)
        if state is None or state.call is None or state.hangup_reason:
            return
        audio, slot, index, status = audio_of(state.call)
        if status == pj.PJSUA_CALL_MEDIA_ERROR and not state.media_up:
            # The answer named no codec we offered: not a call anyone can hear.
            state.incompatible = True
            self.hangup(state, "incompatible")
            return
        # Hold is a state of an answered call; early media (often sendonly) is not one.
        held = status != pj.PJSUA_CALL_MEDIA_ACTIVE and state.answered_at is not None
        if held and not state.held:
            self.pause(state)
        if slot != state.slot:
            restart_watch(state, time.monotonic())  # a new stream counts from 0
        state.audio, state.slot, state.media_index = audio, slot, index
        if audio is not None:
            # Every media event, not only a new slot number: a re-created stream may get
            # the same number back, with none of the old connections.
            self.rewire(state)
        if not held and state.held:
            self.resume(state)
        self.maybe_start(state)

    def rewire(self, state: CallState) -> None:
        """Connect the recorder, the bridge and a playing prompt to the call's new slot."""
        if state.recorder is not None:
            try:
                state.audio.startTransmit(state.recorder)
            except pj.Error:
                pass
        if state.player is not None and not state.held:
            transmit(state.player, state.call, state.audio, state.slot)
        leg = self.legs.get(state.key + "/leg")
        if leg is not None:
            self.join(leg)

    def pause(self, state: CallState) -> None:
        """On hold: stop the prompt (nobody hears it) and the key timer; resume replays it."""
        state.held = True
        if not state.started_prompt:
            return
        if state.prompt_ends_at is not None:
            state.resume_with = "prompt"
        elif state.menu_deadline is not None:
            state.resume_with = "menu"
        self.stop_player(state)
        state.prompt_ends_at = None
        state.menu_deadline = None

    def resume(self, state: CallState) -> None:
        """Off hold: the interrupted prompt restarts, so the whole script (or OTP) is heard."""
        state.held = False
        # No RTP was expected on hold: the timeout counts from the resume.
        state.rx_at = state.rx_check_at = time.monotonic()
        resume_with, state.resume_with = state.resume_with, ""
        if resume_with == "prompt" and state.playing is not None:
            clips, seconds, after = state.playing
            self.play(state, clips, seconds, after)
        elif resume_with == "menu":
            node = state.stack[-1]
            state.menu_deadline = time.monotonic() + float(node.get("timeout_seconds", 8))

    # -- the bridged second leg ---------------------------------------------------------------

    def on_leg_media(self, key: str) -> None:
        leg = self.legs[key]
        if leg.call is None or leg.ending:
            return
        audio, slot, index, _status = audio_of(leg.call)
        if slot != leg.slot:
            restart_watch(leg, time.monotonic())
        leg.audio, leg.slot, leg.media_index = audio, slot, index
        self.join(leg)

    def join(self, leg: BridgeLeg) -> None:
        """Both ways between the callee and the target, each into a slot its call owns."""
        state = self.calls.get(leg.parent)
        if not leg.answered or leg.audio is None or state is None or state.audio is None:
            return
        transmit(leg.audio, state.call, state.audio, state.slot)
        transmit(state.audio, leg.call, leg.audio, leg.slot)
        if state.recorder is not None:
            try:
                leg.audio.startTransmit(state.recorder)
            except pj.Error:
                pass

    # -- media timeout ------------------------------------------------------------------------

    def check_media(self, now: float) -> None:
        """Every tick: end calls (and bridged legs) whose RTP stopped; reads only the
        counters that are due (see `_silent`), so most ticks call nothing in PJSIP."""
        for state in list(self.calls.values()):
            if (
                state.media_timeout > 0
                and state.media_up
                and not state.held
                and not state.hangup_reason
                and state.audio is not None
                and now >= state.rx_check_at
                and _silent(state, now, state.media_timeout)
            ):
                self.hangup(state, "media_timeout")
        for leg in list(self.legs.values()):
            parent = self.calls.get(leg.parent)
            timeout = parent.media_timeout if parent is not None else 0
            if (
                timeout > 0
                and leg.answered
                and not leg.ending
                and leg.audio is not None
                and now >= leg.rx_check_at
                and _silent(leg, now, timeout)
            ):
                leg.timed_out = True
                self.end_leg(leg.parent)


def restart_watch(holder: Any, now: float) -> None:
    """A new stream (a call's or a leg's): its counter starts at 0, silence counts from now."""
    holder.rx_packets, holder.rx_at, holder.rx_check_at = 0, now, now


def _silent(holder: Any, now: float, timeout: float) -> bool:
    """Whether `holder` (a call or a leg) has received no RTP packet for `timeout` seconds.

    Reads the counter and sets when to read it next: a quarter of the timeout on, or the
    moment the timeout would be reached if that comes first."""
    try:
        packets = holder.call.getStreamStat(holder.media_index).rtcp.rxStat.pkt
    except pj.Error:
        packets = holder.rx_packets  # no stream right now: nothing received either
    every = min(
        MEDIA_CHECK_MAX_SECONDS, max(MEDIA_CHECK_MIN_SECONDS, timeout * MEDIA_CHECK_FRACTION)
    )
    if packets != holder.rx_packets:
        holder.rx_packets, holder.rx_at = packets, now
        holder.rx_check_at = now + every
        return False
    if now - holder.rx_at >= timeout:
        return True
    holder.rx_check_at = min(now + every, holder.rx_at + timeout)
    return False
