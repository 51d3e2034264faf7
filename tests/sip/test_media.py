"""Media that follows the call: early media, hold/resume, an UPDATE moving the media, a codec
change by re-INVITE, two calls in one worker, and the
RTP watchdog (media timeout), with SIPp playing what carriers and SBCs send."""

import asyncio

import pytest

from aicall.speech.clips import default_engine, wav_seconds
from aicall.telephony import base
from aicall.telephony.sip.carrier import SipCarrier
from tests.sip.harness import scenario_with
from tests.sip.rtp import RtpEar, best_alignment, frame_energy, read_wav, voiced_seconds
from tests.sip.test_calls import PRESS_1, THANKS, place, request

pytestmark = pytest.mark.sip

SCRIPT = "Kính chào quý khách, đơn hàng 150.000 đồng sẽ được giao ngày 26/11/2026."
KEY_1 = "/usr/share/sip-tester/dtmf_2833_1.pcap"
HANG_UP_ON_1 = {"timeout_seconds": 10, "keys": {"1": {"action": "hangup"}}}


def _prompt() -> tuple[float, float, list[float]]:
    prompt = default_engine().render(SCRIPT)
    samples = read_wav(prompt)
    return wav_seconds(prompt), voiced_seconds(samples), frame_energy(samples)


def test_early_media_then_an_answer_with_another_sdp_plays_to_the_answered_address(sipp):
    early, answered = RtpEar(), RtpEar()
    try:
        callee = sipp(
            "early_media.xml",
            keys={"early_port": str(early.port), "rtp_port": str(answered.port)},
        )
        outcome, started = asyncio.run(place(callee, request(callee, script_text=SCRIPT)))
    finally:
        early.close()
        answered.close()
    assert outcome.answered and len(started) == 1
    assert outcome.hangup_cause == base.NORMAL_CLEARING and outcome.sip_code == 200
    seconds, spoken, energy = _prompt()
    # Nothing is played before the answer, and all of it after, to the 200 OK's address.
    assert voiced_seconds(early.samples) == 0
    assert abs(voiced_seconds(answered.samples) - spoken) < 0.5
    assert best_alignment(frame_energy(answered.samples), energy) > 0.9
    assert seconds - 0.5 < outcome.duration_seconds < seconds + 2


def test_hold_then_resume_mid_prompt_replays_the_prompt_so_all_of_it_is_heard(sipp, tmp_path):
    seconds, spoken, energy = _prompt()
    ear = RtpEar(talk_back=False)  # the callee's RTP is SIPp's key press, from its own port
    try:
        scenario = scenario_with(
            "hold_resume.xml",
            tmp_path,
            hold_after=2000,  # on hold 2 s into the prompt...
            hold_for=2500,
            key_after=int((seconds + 1.5) * 1000),  # ...then time for the whole prompt
        )
        callee = sipp(scenario, keys={"rtp_port": str(ear.port), "key_pcap": KEY_1})
        outcome, _ = asyncio.run(
            place(callee, request(callee, script_text=SCRIPT, ivr_menu=HANG_UP_ON_1))
        )
    finally:
        ear.close()
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING
    assert [k for k, _ in outcome.key_presses] == ["1"]
    gap, resumed = ear.after_longest_gap()
    assert gap > 2.0  # nothing was sent while the callee held the call
    # After the resume the callee hears the prompt from its start, whole.
    assert abs(voiced_seconds(resumed) - spoken) < 0.5, (voiced_seconds(resumed), spoken)
    assert best_alignment(frame_energy(resumed), energy) > 0.9
    # Before the hold: the first two seconds of it.
    assert 1.0 < voiced_seconds(ear.samples[: len(ear.samples) - len(resumed)]) < 2.6


def test_a_key_pressed_on_hold_plays_its_message_after_the_resume(sipp, tmp_path):
    thanks = default_engine().render(THANKS)
    ear = RtpEar(talk_back=False)
    try:
        scenario = scenario_with(
            "hold_key_during.xml",
            tmp_path,
            hold_after=1000,
            hold_for=2500,
            key_after=100,  # then wait for our BYE after the message
        )
        callee = sipp(scenario, keys={"rtp_port": str(ear.port), "key_pcap": KEY_1})
        outcome, _ = asyncio.run(
            place(callee, request(callee, script_text=SCRIPT, ivr_menu=PRESS_1))
        )
    finally:
        ear.close()
    assert outcome.answered and [k for k, _ in outcome.key_presses] == ["1"]
    gap, resumed = ear.after_longest_gap()
    assert gap > 2.0
    # The thanks message, whole, after the resume; then aicall hangs up.
    assert abs(voiced_seconds(resumed) - voiced_seconds(read_wav(thanks))) < 0.5
    assert best_alignment(frame_energy(resumed), frame_energy(read_wav(thanks))) > 0.9


def test_two_calls_in_one_worker_a_held_call_never_plays_into_the_other(sipp, tmp_path):
    """Call A is held (its stream moves to a new conference slot), call B is placed during
    the hold and may get A's old slot; A resumes and presses 1: B must hear nothing."""
    ear_a, ear_b = RtpEar(talk_back=False), RtpEar()  # A's RTP is SIPp's key press
    try:
        scenario = scenario_with(
            "hold_resume.xml", tmp_path, hold_after=1000, hold_for=3000, key_after=500
        )
        held = sipp(scenario, keys={"rtp_port": str(ear_a.port), "key_pcap": KEY_1})
        quiet = sipp("record_audio.xml", keys={"rtp_port": str(ear_b.port)})
        silent_menu = {"timeout_seconds": 9, "keys": {"9": {"action": "hangup"}}}

        async def scenario():
            carrier = SipCarrier(bind_address="127.0.0.1", max_workers=1)
            await carrier.start()
            try:
                a = asyncio.create_task(
                    carrier.place_call(request(held, call_id=1, ivr_menu=PRESS_1))
                )
                await asyncio.sleep(2.0)  # A is on hold now
                b = asyncio.create_task(
                    carrier.place_call(
                        request(quiet, call_id=2, script_text="", ivr_menu=silent_menu)
                    )
                )
                outcomes = await asyncio.wait_for(asyncio.gather(a, b), 40)
                pids = carrier.worker_pids()
            finally:
                await carrier.stop()
            return outcomes, pids

        (out_a, out_b), pids = asyncio.run(scenario())
    finally:
        ear_a.close()
        ear_b.close()
    assert len(pids) == 1  # both calls were in the same worker
    assert held.proc.wait(10) == 0, held.errors()
    assert quiet.proc.wait(10) == 0, quiet.errors()
    assert out_a.answered and [k for k, _ in out_a.key_presses] == ["1"]
    # A heard its prompt before the hold and the thanks message after the key (~4 s).
    thanks = wav_seconds(default_engine().render(THANKS))
    assert out_a.duration_seconds > 1 + 3 + thanks - 1
    assert voiced_seconds(ear_a.samples) > 0.5
    # B: its RTP flowed the whole time, and none of it was speech.
    assert out_b.answered and out_b.hangup_cause == base.NORMAL_CLEARING
    assert len(ear_b.samples) / 8000 > 8
    assert max(frame_energy(ear_b.samples)) < 50, max(frame_energy(ear_b.samples))


def test_no_rtp_after_the_answer_ends_the_call_with_media_timeout(sipp):
    callee = sipp("silent_answer.xml")
    menu = {"timeout_seconds": 30, "keys": {"1": {"action": "hangup"}}}
    req = request(callee, ivr_menu=menu, trunk={"media_timeout_seconds": 3})
    outcome, started = asyncio.run(place(callee, req))
    assert outcome.answered and len(started) == 1
    assert (outcome.hangup_cause, outcome.sip_code) == (base.MEDIA_TIMEOUT, 200)
    assert 2.8 < outcome.duration_seconds < 5.5  # callee got our BYE (SIPp exited 0)


def test_rtp_that_keeps_flowing_is_not_a_media_timeout(sipp):
    # SIPp echoes our audio back: RTP arrives the whole call, which outlasts the timeout.
    callee = sipp("answer_hold.xml", extra=("-d", "3000", "-rtp_echo"))
    menu = {"timeout_seconds": 6, "keys": {"1": {"action": "hangup"}}}
    req = request(callee, script_text="", ivr_menu=menu, trunk={"media_timeout_seconds": 2})
    outcome, _ = asyncio.run(place(callee, req))
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING
    assert 5.5 < outcome.duration_seconds < 8


@pytest.mark.usefixtures("transfers_to_loopback")
def test_a_bridged_transfer_whose_two_sides_go_silent_ends_both_legs(sipp):
    callee = sipp("refer_refused.xml")  # presses 1, refuses the REFER, then sends nothing
    agent = sipp("silent_answer.xml")  # the target answers and never sends RTP either
    target = f"sip:agent@127.0.0.1:{agent.port}"
    menu = {"timeout_seconds": 5, "keys": {"1": {"action": "transfer", "target": target}}}
    req = request(callee, ivr_menu=menu, trunk={"media_timeout_seconds": 3})
    outcome, _ = asyncio.run(place(callee, req))
    assert agent.proc.wait(10) == 0, agent.errors()  # the bridged leg got its BYE too
    assert outcome.answered and outcome.transferred_to == target
    assert outcome.hangup_cause == base.MEDIA_TIMEOUT
    assert 2.8 < outcome.duration_seconds < 8


def _with_a_quiet_call_beside(sipp, first, moved, quiet_ear: RtpEar, seconds: float):
    """Place `first` (the prompt, then the call ends), and, once `moved()` says its media
    changed, a second call into the same worker that plays nothing: it may get the slot the
    first call's stream left. Returns both outcomes and the pool's worker pids."""
    quiet = sipp("record_audio.xml", keys={"rtp_port": str(quiet_ear.port)})
    silent_menu = {"timeout_seconds": int(seconds) + 2, "keys": {"9": {"action": "hangup"}}}

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1", max_workers=1)
        await carrier.start()
        try:
            a = asyncio.create_task(
                carrier.place_call(request(first, call_id=1, script_text=SCRIPT))
            )
            deadline = asyncio.get_running_loop().time() + 15
            while not moved() and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.02)
            assert moved(), "the first call's media never changed"
            b = asyncio.create_task(
                carrier.place_call(request(quiet, call_id=2, script_text="", ivr_menu=silent_menu))
            )
            outcomes = await asyncio.wait_for(asyncio.gather(a, b), 40)
            pids = carrier.worker_pids()
        finally:
            await carrier.stop()
        return outcomes, pids

    outcomes, pids = asyncio.run(scenario())
    assert len(pids) == 1  # both calls were in the same worker
    assert first.proc.wait(10) == 0, first.errors()  # its regex checks on our answer passed
    assert quiet.proc.wait(10) == 0, quiet.errors()
    return outcomes


def test_an_update_moving_the_media_keeps_the_prompt_flowing_to_that_call_only(sipp, tmp_path):
    """An UPDATE with new SDP (another RTP port) 1.5 s into the prompt: the rest of the
    prompt goes to the new address, the prompt carries on where it was, and a call placed
    after the UPDATE into the same worker (it may get the old slot) hears none of it."""
    seconds, spoken, energy = _prompt()
    before, after, other = RtpEar(), RtpEar(), RtpEar()
    try:
        callee = sipp(
            scenario_with("update_new_sdp.xml", tmp_path, update_after=1500),
            keys={"rtp_port": str(before.port), "new_port": str(after.port)},
        )
        out_a, out_b = _with_a_quiet_call_beside(
            sipp, callee, lambda: after.packets > 0, other, seconds
        )
    finally:
        for ear in (before, after, other):
            ear.close()
    assert out_a.answered and out_a.hangup_cause == base.NORMAL_CLEARING
    assert seconds - 0.5 < out_a.duration_seconds < seconds + 2
    # The first 1.5 s at the old address, the rest at the new one: one prompt, not restarted.
    assert 0.5 < voiced_seconds(before.samples) < 2.5, voiced_seconds(before.samples)
    assert voiced_seconds(after.samples) > spoken - 2.5
    heard = before.samples + after.samples
    assert abs(voiced_seconds(heard) - spoken) < 0.5, (voiced_seconds(heard), spoken)
    assert best_alignment(frame_energy(heard), energy) > 0.9
    # The other call's RTP flowed all along, and none of it was speech.
    assert out_b.answered and out_b.hangup_cause == base.NORMAL_CLEARING
    assert len(other.samples) / 8000 > seconds - 2.5
    assert max(frame_energy(other.samples)) < 50, max(frame_energy(other.samples))


def test_a_reinvite_changing_the_codec_keeps_the_prompt_flowing_in_the_new_codec(sipp, tmp_path):
    """A re-INVITE offering only PCMA 1.5 s into a PCMU prompt: our answer takes PCMA (SIPp
    checks it), the prompt carries on in PCMA to the same call, and a call placed after the
    change into the same worker hears none of it."""
    seconds, spoken, energy = _prompt()
    ear, other = RtpEar(), RtpEar()
    try:
        callee = sipp(
            scenario_with("reinvite_pcma.xml", tmp_path, change_after=1500),
            keys={"rtp_port": str(ear.port)},
        )
        out_a, out_b = _with_a_quiet_call_beside(
            sipp, callee, lambda: 8 in ear.payload_types, other, seconds
        )
    finally:
        ear.close()
        other.close()
    assert out_a.answered and out_a.hangup_cause == base.NORMAL_CLEARING
    assert seconds - 0.5 < out_a.duration_seconds < seconds + 2
    # PCMU until the change, PCMA only after it.
    switch = ear.codecs.index(8)
    assert ear.codecs[0] == 0 and 0 not in ear.codecs[switch:]
    first_part = ear.samples[: ear.arrivals[switch][1]]
    assert 0.5 < voiced_seconds(first_part) < 2.5, voiced_seconds(first_part)
    assert voiced_seconds(ear.samples[len(first_part) :]) > spoken - 2.5
    # Decoded across both codecs, it is the prompt once, whole, in order.
    assert abs(voiced_seconds(ear.samples) - spoken) < 0.5, (voiced_seconds(ear.samples), spoken)
    assert best_alignment(frame_energy(ear.samples), energy) > 0.9
    assert out_b.answered and out_b.hangup_cause == base.NORMAL_CLEARING
    assert max(frame_energy(other.samples)) < 50, max(frame_energy(other.samples))
