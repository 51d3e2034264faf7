"""Prompts as lists of cached clips: scripts, uploaded audio, silence and voice OTP codes.

A voice OTP is never rendered as one file: the code is spoken by playing the clip of each
digit in turn (synthetic, or the account's own recordings), so the code itself exists only
in the caller's memory and the media worker's playlist, never in the audio cache or in a
file that outlives the call.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aicall.speech.base import SpeechEngine
from aicall.speech.espeak import EspeakEngine, to_telephone_wav
from aicall.speech.normalize import DIGITS
from aicall.speech.voices import DEFAULT_RATE_PERCENT, DEFAULT_VOICE

OTP_LEAD = "Mã xác thực của quý khách là"
OTP_AGAIN = "Xin nhắc lại, mã xác thực là"
OTP_REPLAY_HINT = "Bấm phím 1 để nghe lại"
OTP_CLOSING = ""
OTP_PAUSE_MS = 800  # between two readings of the code
DIGIT_PAUSE_MS = 350  # between two digits
SAMPLE_RATE = 8000


@dataclass(frozen=True)
class OtpWording:
    """What is said around the code; empty sentences are left out."""

    lead: str = OTP_LEAD
    again: str = OTP_AGAIN
    replay_hint: str = OTP_REPLAY_HINT
    closing: str = OTP_CLOSING
    pause_ms: int = OTP_PAUSE_MS


def default_engine(
    voice: str = DEFAULT_VOICE, rate_percent: int = DEFAULT_RATE_PERCENT
) -> SpeechEngine:
    from django.conf import settings

    return EspeakEngine(settings.AICALL["AUDIO_CACHE_DIR"], voice, rate_percent)


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


def otp_clips(
    engine: SpeechEngine,
    code: str,
    repeat: int,
    wording: OtpWording | None = None,
    recorded_digits: Mapping[str, str] | None = None,
) -> list[Path]:
    """The code read digit by digit, slowly, `repeat` times, then the replay hint and the
    closing sentence. `recorded_digits` (digit -> WAV path, all ten) replaces the
    synthetic digits with the account's own recordings."""
    wording = wording or OtpWording()
    pause = silence(engine.cache_dir, DIGIT_PAUSE_MS)
    gap = silence(engine.cache_dir, wording.pause_ms) if wording.pause_ms > 0 else None
    # One clip per digit; each clip alone says nothing about a code.
    if recorded_digits and all(d in recorded_digits for d in "0123456789"):
        digit_clip = {d: Path(recorded_digits[d]) for d in "0123456789"}
    else:
        digit_clip = {
            d: engine.render(DIGITS[int(d)], slow=True, normalize=False) for d in "0123456789"
        }
    clips: list[Path] = []
    for index in range(max(1, repeat)):
        lead = wording.lead if index == 0 else wording.again
        if lead.strip():
            clips += [engine.render(lead), pause]
        for digit in code:
            if digit in digit_clip:
                clips += [digit_clip[digit], pause]
        if gap is not None:
            clips.append(gap)
    for sentence in (wording.replay_hint, wording.closing):
        if sentence.strip():
            clips.append(engine.render(sentence))
    return clips


def join_wav(clips: Sequence[Path | str]) -> bytes:
    """The clips played one after the other, as one 8 kHz WAV, in memory (never on disk:
    a preview of a voice OTP holds a code)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as joined:
        joined.setnchannels(1)
        joined.setsampwidth(2)
        joined.setframerate(SAMPLE_RATE)
        for clip in clips:
            with wave.open(str(clip), "rb") as wav:
                joined.writeframes(wav.readframes(wav.getnframes()))
    return out.getvalue()
