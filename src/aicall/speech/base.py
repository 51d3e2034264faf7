"""The speech-engine interface: text in, an 8 kHz mono 16-bit WAV file out.

This is the one place that turns text into audio: the SIP carrier, the sandbox's timing and
the website's "listen" preview all go through an engine. espeak-ng is the offline default;
a neural or cloud voice is another subclass (it only has to implement `synthesize`).
Rendered audio is cached by a hash of the engine, voice, speaking rate and normalised text,
so a campaign of 100,000 identical scripts renders once and every process (dialer, media
workers, web) shares the files.
"""

from __future__ import annotations

import abc
import hashlib
import os
import tempfile
from pathlib import Path

from aicall.speech.normalize import normalize_vi
from aicall.speech.voices import DEFAULT_RATE_PERCENT, DEFAULT_VOICE


class SpeechError(RuntimeError):
    """The engine could not render the text (missing binary, bad audio file)."""


class SpeechEngine(abc.ABC):
    name = "speech"

    def __init__(
        self,
        cache_dir: Path | str,
        voice: str = DEFAULT_VOICE,
        rate_percent: int = DEFAULT_RATE_PERCENT,
    ):
        self.cache_dir = Path(cache_dir)
        self.voice = voice
        self.rate_percent = rate_percent

    def with_voice(self, voice: str, rate_percent: int) -> SpeechEngine:
        """The same engine and cache speaking with another voice or speed."""
        if voice == self.voice and rate_percent == self.rate_percent:
            return self
        return type(self)(self.cache_dir, voice, rate_percent)

    @abc.abstractmethod
    def synthesize(self, text: str, dest: Path, *, slow: bool = False) -> None:
        """Write `text` (already normalised) to `dest` as an 8 kHz mono 16-bit WAV.

        `slow` asks for the slower delivery used for OTP digits; the engine applies its
        own voice and `rate_percent` (100 = the engine's normal pace) to both.
        """

    def cache_path(self, text: str, *, slow: bool = False) -> Path:
        key = f"{self.name}\0{self.voice}\0{self.rate_percent}\0{int(slow)}\0{text}".encode()
        digest = hashlib.sha256(key).hexdigest()
        return self.cache_dir / "tts" / digest[:2] / f"{digest}.wav"

    def render(self, text: str, *, slow: bool = False, normalize: bool = True) -> Path:
        """The cached WAV of `text`, rendering it on first use. Safe across processes."""
        spoken = normalize_vi(text) if normalize else text
        path = self.cache_path(spoken, slow=slow)
        if path.exists():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Render beside the target and rename: a concurrent reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.wav")
        os.close(fd)
        try:
            self.synthesize(spoken, Path(tmp), slow=slow)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path
