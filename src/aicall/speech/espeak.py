"""espeak-ng's Vietnamese voice, resampled to telephone rate with sox."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from aicall.speech.base import SpeechEngine, SpeechError

TELEPHONE_FORMAT = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]


def to_telephone_wav(source: Path | str, dest: Path | str, *extra: str) -> None:
    """Convert any audio sox reads (WAV, MP3 with libsox-fmt-mp3) to 8 kHz mono 16-bit WAV."""
    result = subprocess.run(
        # -G: guard against clipping when resampling (espeak-ng renders close to full scale).
        ["sox", "-G", str(source), *TELEPHONE_FORMAT, "-t", "wav", str(dest), *extra],
        capture_output=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise SpeechError(f"sox could not convert audio: {result.stderr.decode()[-300:]}")


class EspeakEngine(SpeechEngine):
    name = "espeak-ng"
    words_per_minute = 150
    slow_words_per_minute = 110

    def synthesize(self, text: str, dest: Path, *, slow: bool = False) -> None:
        speed = self.slow_words_per_minute if slow else self.words_per_minute
        with tempfile.NamedTemporaryFile(suffix=".wav", dir=dest.parent) as raw:
            # The text goes on stdin, never on the command line where `ps` would show it.
            result = subprocess.run(
                ["espeak-ng", "-v", self.voice, "-s", str(speed), "-w", raw.name, "--stdin"],
                input=text.encode(),
                capture_output=True,
                timeout=120,
            )
            if result.returncode != 0:
                raise SpeechError(f"espeak-ng failed: {result.stderr.decode()[-300:]}")
            to_telephone_wav(raw.name, dest)
