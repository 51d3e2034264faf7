"""Voices and speeds: real espeak-ng voices, a cache key per voice and speed."""

import subprocess

import pytest

from aicall.speech.clips import wav_seconds
from aicall.speech.espeak import EspeakEngine
from aicall.speech.voices import VOICES
from aicall.telephony.base import CallRequest
from aicall.telephony.sandbox import speech_seconds

TEXT = "Xin chào quý khách, đơn hàng của quý khách sẽ được giao hôm nay"


@pytest.mark.parametrize("voice", list(VOICES))
def test_every_listed_voice_exists_in_espeak(voice, tmp_path):
    result = subprocess.run(
        ["espeak-ng", "-v", voice, "-w", str(tmp_path / "v.wav"), "xin chào"], capture_output=True
    )
    assert result.returncode == 0 and b"does not exist" not in result.stderr


def test_cache_key_has_voice_and_speed_and_speed_changes_length(tmp_path):
    base = EspeakEngine(tmp_path)
    normal = base.render(TEXT)
    paths = {normal}
    for voice, rate in [("vi+f3", 100), ("vi", 150), ("vi-vn-x-south", 100), ("vi", 50)]:
        paths.add(base.with_voice(voice, rate).render(TEXT))
    assert len(paths) == 5  # five renders, five files
    assert base.with_voice("vi", 100) is base
    fast = wav_seconds(base.with_voice("vi", 150).render(TEXT))
    slow = wav_seconds(base.with_voice("vi", 50).render(TEXT))  # below espeak's 80 wpm: tempo
    assert fast < wav_seconds(normal) * 0.8
    assert 1.7 < slow / wav_seconds(normal) < 2.3
    assert base.with_voice("vi", 50).speed(slow=False) == (80, 75 / 80)


def test_sandbox_length_follows_speed_and_uploaded_audio():
    request = CallRequest(1, 1, "+84901234560", "", script_text="x" * 60)
    assert speech_seconds(request) == 5
    request.speech_rate = 50
    assert speech_seconds(request) == 10
    request.audio_path, request.audio_seconds = "/nonexistent.wav", 7.2
    assert speech_seconds(request) == 8
