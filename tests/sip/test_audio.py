"""The callee hears the rendered script: a test phone records the RTP it receives."""

import asyncio
import logging

import pytest

from aicall.speech.clips import (
    OTP_AGAIN,
    OTP_LEAD,
    OTP_REPLAY_HINT,
    default_engine,
    wav_seconds,
)
from aicall.speech.normalize import DIGITS, normalize_vi
from aicall.telephony import base
from aicall.telephony.sip.carrier import SipCarrier
from tests.sip.rtp import RtpEar, best_alignment, frame_energy, read_wav, voiced_seconds
from tests.sip.test_calls import request

pytestmark = pytest.mark.sip

SCRIPT = "Kính chào quý khách, đơn hàng 150.000 đồng sẽ được giao ngày 26/11/2026."


async def _call(req):
    carrier = SipCarrier(bind_address="127.0.0.1")
    await carrier.start()
    try:
        return await asyncio.wait_for(carrier.place_call(req), 60)
    finally:
        await carrier.stop()


def test_callee_hears_the_rendered_script_and_the_call_is_recorded(sipp, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ear = RtpEar()
    try:
        callee = sipp("record_audio.xml", keys={"rtp_port": str(ear.port)})
        outcome = asyncio.run(_call(request(callee, script_text=SCRIPT, record=True)))
    finally:
        ear.close()
    assert callee.proc.wait(10) == 0, callee.errors()
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING

    prompt = default_engine().render(SCRIPT)
    prompt_seconds = wav_seconds(prompt)
    assert prompt_seconds > 4  # the numbers were read out as words
    assert ear.payload_types == {0}  # PCMU only, as the lean media configuration offers
    received_seconds = len(ear.samples) / 8000
    assert prompt_seconds - 0.3 < received_seconds < prompt_seconds + 1.5
    heard = voiced_seconds(ear.samples)
    spoken = voiced_seconds(read_wav(prompt))
    assert abs(heard - spoken) < 0.5, (heard, spoken)
    # Not just any noise: the loudness follows the prompt's, 100 ms by 100 ms.
    assert best_alignment(frame_energy(ear.samples), frame_energy(read_wav(prompt))) > 0.9

    assert outcome.recording_path.startswith("recordings/")
    recording = settings.MEDIA_ROOT / outcome.recording_path
    assert abs(wav_seconds(recording) - outcome.duration_seconds) < 0.6
    assert voiced_seconds(read_wav(recording)) > spoken - 0.5


def test_voice_otp_reads_the_code_and_keeps_it_out_of_logs_and_cache(
    sipp, caplog, settings, tmp_path
):
    code = "472913"
    settings.AICALL = {**settings.AICALL, "AUDIO_CACHE_DIR": tmp_path / "audio"}
    engine = default_engine()
    cache = engine.cache_dir
    ear = RtpEar()
    caplog.set_level(logging.DEBUG)
    try:
        callee = sipp("record_audio.xml", keys={"rtp_port": str(ear.port)})
        req = request(callee, script_text="", otp_code=code, otp_repeat_count=2)
        outcome = asyncio.run(_call(req))
    finally:
        ear.close()
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING
    assert code not in caplog.text and code not in repr(req)
    # Only clips that say nothing about the code were added to the cache: single digits,
    # silences and the fixed sentences.
    added = {p for p in cache.rglob("*") if p.is_file()}
    allowed = {engine.cache_path(d, slow=True) for d in DIGITS}
    allowed |= {engine.cache_path(normalize_vi(t)) for t in (OTP_LEAD, OTP_AGAIN, OTP_REPLAY_HINT)}
    assert {p for p in added if "silence" not in p.parts} == allowed
    # Six digits read slowly, twice, plus the lead-in and the replay hint: well over 10 s.
    heard = voiced_seconds(ear.samples)
    assert heard > 10, heard
    # After the hint the worker waits for "1" (6 s), then hangs up.
    assert outcome.duration_seconds > heard + 5
