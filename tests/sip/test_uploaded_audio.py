"""The callee hears the campaign's uploaded audio, and OTP codes in recorded digits."""

import asyncio
import logging

import pytest

from aicall.campaigns.audio import digit_files_from_zip
from aicall.speech.clips import OTP_AGAIN, OTP_LEAD, OTP_REPLAY_HINT, default_engine, wav_seconds
from aicall.speech.normalize import normalize_vi
from aicall.speech.uploads import convert_upload
from aicall.telephony import base
from tests.audiofiles import DIGIT_HZ, bursts, digit_zip, dominant_tones
from tests.sip.rtp import RtpEar, best_alignment, frame_energy, read_wav, voiced_seconds
from tests.sip.test_audio import _call
from tests.sip.test_calls import request

pytestmark = pytest.mark.sip

PATTERN = [(0.3, 0.2), (0.7, 0.4), (0.2, 0.2), (1.1, 0.3), (0.4, 0.6), (0.9, 0.2), (0.5, 0.1)]


def _listen(sipp, **kwargs):
    ear = RtpEar()
    try:
        callee = sipp("record_audio.xml", keys={"rtp_port": str(ear.port)})
        outcome = asyncio.run(_call(request(callee, **kwargs)))
    finally:
        ear.close()
    assert callee.proc.wait(10) == 0, callee.errors()
    return outcome, ear


def test_callee_hears_the_uploaded_audio_not_the_script(sipp, settings, tmp_path):
    settings.AICALL = {**settings.AICALL, "AUDIO_CACHE_DIR": tmp_path / "audio"}
    source = bursts(tmp_path / "upload.wav", PATTERN)
    wav, seconds = convert_upload(source.read_bytes(), "upload.wav")
    stored = tmp_path / "stored.wav"
    stored.write_bytes(wav)
    outcome, ear = _listen(
        sipp,
        script_text="Kính chào quý khách, đây là nội dung không được phát",
        audio_path=str(stored),
        audio_seconds=seconds,
    )
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING
    assert ear.payload_types == {0}
    received = len(ear.samples) / 8000
    assert seconds - 0.3 < received < seconds + 1.5, (received, seconds)
    sent = read_wav(stored)
    assert abs(voiced_seconds(ear.samples) - voiced_seconds(sent)) < 0.3
    # The loudness follows the file's bursts, 100 ms by 100 ms.
    assert best_alignment(frame_energy(ear.samples), frame_energy(sent)) > 0.9
    # And not the script: nothing was rendered for it.
    assert not (tmp_path / "audio" / "tts").exists()


def test_otp_read_with_recorded_digits_in_the_code_order(sipp, settings, tmp_path, caplog):
    code = "472913"
    settings.AICALL = {**settings.AICALL, "AUDIO_CACHE_DIR": tmp_path / "audio"}
    digits = {}
    for digit, (data, name) in digit_files_from_zip(digit_zip(tmp_path)).items():
        wav, _ = convert_upload(data, name, trim_silence=True)
        digits[digit] = str(tmp_path / f"digit-{digit}.wav")
        with open(digits[digit], "wb") as out:
            out.write(wav)
    caplog.set_level(logging.DEBUG)
    req_kwargs = dict(script_text="", otp_code=code, otp_repeat_count=2, otp_digit_clips=digits)
    outcome, ear = _listen(sipp, **req_kwargs)
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING
    # The recorded tones, in the code's order, once per reading.
    assert dominant_tones(ear.samples, DIGIT_HZ) == code * 2
    assert code not in caplog.text
    # The cache holds only the sentences and silences: no digit was synthesised.
    engine = default_engine()
    cached = {p for p in engine.cache_dir.rglob("*.wav") if "silence" not in p.parts}
    sentences = (OTP_LEAD, OTP_AGAIN, OTP_REPLAY_HINT)
    assert cached == {engine.cache_path(normalize_vi(t)) for t in sentences}
    assert all(wav_seconds(p) > 0.5 for p in cached)
