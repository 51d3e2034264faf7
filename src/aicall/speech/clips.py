"""Prompts as lists of cached clips: scripts, uploaded audio, silence and voice OTP codes.

A voice OTP is never rendered as one file: the code is spoken by playing the cached clip of
each digit in turn, so the code itself exists only in the caller's memory and the media
worker's playlist, never in the audio cache or in a file that outlives the call.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import wave
from pathlib import Path

from aicall.speech.base import SpeechEngine
from aicall.speech.espeak import EspeakEngine, to_telephone_wav
from aicall.speech.normalize import DIGITS

OTP_LEAD = "Mã xác thực của quý khách là"
OTP_AGAIN = "Xin nhắc lại, mã xác thực là"
OTP_REPLAY_HINT = "Bấm phím 1 để nghe lại"
SAMPLE_RATE = 8000


def default_engine() -> SpeechEngine:
    from django.conf import settings

    return EspeakEngine(settings.AICALL["AUDIO_CACHE_DIR"])


def wav_seconds(path: Path | str) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


def silence(cache_dir: Path, milliseconds: int) -> Path:
    """A cached clip of silence (what separates digits and repetitions)."""
    path = cache_dir / "silence" / f"{milliseconds}ms.wav"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    with wave.open(tmp, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(b"\0\0" * (SAMPLE_RATE * milliseconds // 1000))
    os.replace(tmp, path)
    return path


def uploaded_audio(cache_dir: Path, source: Path | str) -> Path:
    """An uploaded WAV/MP3 converted once to telephone format, cached by content and name."""
    source = Path(source)
    stat = source.stat()
    key = f"{source.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
    digest = hashlib.sha256(key).hexdigest()
    path = cache_dir / "uploads" / f"{digest}.wav"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.wav")
        os.close(fd)
        try:
            to_telephone_wav(source, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return path


def otp_clips(engine: SpeechEngine, code: str, repeat: int) -> list[Path]:
    """The code read digit by digit, slowly, `repeat` times, then the replay hint."""
    pause = silence(engine.cache_dir, 350)
    gap = silence(engine.cache_dir, 800)
    # One clip per digit, spoken slowly; each clip alone says nothing about a code.
    digit_clip = {
        d: engine.render(DIGITS[int(d)], slow=True, normalize=False) for d in "0123456789"
    }
    clips: list[Path] = []
    for index in range(max(1, repeat)):
        clips.append(engine.render(OTP_LEAD if index == 0 else OTP_AGAIN))
        clips.append(pause)
        for digit in code:
            if digit in digit_clip:
                clips += [digit_clip[digit], pause]
        clips.append(gap)
    clips.append(engine.render(OTP_REPLAY_HINT))
    return clips
