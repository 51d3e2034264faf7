"""Customers' audio files: checked, converted once to telephone format, measured.

A file is accepted when sox can read it as WAV or MP3 and it lasts at most the allowed
length; anything else (a text file renamed `.mp3`, an empty file, an hour of music) is
refused with an `AudioRejected` naming the problem, before anything is stored.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import wave
from pathlib import Path

from aicall.speech.base import SpeechError
from aicall.speech.clips import wav_seconds
from aicall.speech.espeak import to_telephone_wav

AUDIO_EXTENSIONS = (".wav", ".mp3")
MAX_AUDIO_SECONDS = 600  # ten minutes
MIN_AUDIO_SECONDS = 0.1


class AudioRejected(ValueError):
    """The upload is not usable audio; `message` says why (shown to the customer)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _extension(name: str) -> str:
    ext = Path(name or "").suffix.lower()
    if ext not in AUDIO_EXTENSIONS:
        raise AudioRejected("the file must be a WAV or MP3 audio file")
    return ext


def probe_seconds(path: Path | str) -> float:
    """The length sox reads from the file's header; AudioRejected if it is not audio."""
    result = subprocess.run(
        ["sox", "--info", "-D", str(path)], capture_output=True, timeout=60, text=True
    )
    try:
        seconds = float(result.stdout.strip()) if result.returncode == 0 else -1.0
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise AudioRejected("the file is not WAV or MP3 audio")
    return seconds


def convert_upload(
    data: bytes,
    name: str,
    *,
    max_seconds: float = MAX_AUDIO_SECONDS,
    trim_silence: bool = False,
) -> tuple[bytes, float]:
    """(8 kHz mono 16-bit WAV bytes, seconds) of an uploaded WAV/MP3 file.

    `trim_silence` cuts the quiet before and after the sound (for recorded digits, which
    are played back to back).
    """
    ext = _extension(name)
    with tempfile.TemporaryDirectory(prefix="aicall-upload-") as work:
        source = os.path.join(work, "upload" + ext)
        dest = os.path.join(work, "telephone.wav")
        with open(source, "wb") as out:
            out.write(data)
        seconds = probe_seconds(source)
        if seconds > max_seconds:
            raise AudioRejected(f"the audio lasts {seconds:.0f} s; at most {max_seconds:.0f} s")
        extra: tuple[str, ...] = ()
        if trim_silence:
            # Leading and trailing quiet below 1% of full scale, kept 50 ms of each.
            extra = ("silence", "1", "0.02", "1%", "reverse", "silence", "1", "0.02", "1%")
            extra += ("reverse", "pad", "0.05", "0.05")
        try:
            to_telephone_wav(source, dest, *extra)
            converted = wav_seconds(dest)
        except (SpeechError, OSError, EOFError, wave.Error) as exc:
            raise AudioRejected("the file is not WAV or MP3 audio") from exc
        if converted < MIN_AUDIO_SECONDS:
            raise AudioRejected("the file holds no sound")
        with open(dest, "rb") as wav:
            return wav.read(), round(converted, 2)
