"""espeak-ng's Vietnamese voices, resampled to telephone rate with sox."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from aicall.speech.base import SpeechEngine, SpeechError

TELEPHONE_FORMAT = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]
# espeak-ng does not speak slower than 80 words a minute (a lower -s is raised to 80);
# slower rates are reached by stretching the audio with sox's pitch-keeping `tempo`.
ESPEAK_MIN_WPM = 80


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

    def speed(self, *, slow: bool) -> tuple[int, float]:
        """(espeak-ng's -s in words a minute, sox tempo factor; 1.0 = none) for this rate."""
        base = self.slow_words_per_minute if slow else self.words_per_minute
        wpm = base * self.rate_percent / 100
        if wpm >= ESPEAK_MIN_WPM:
            return round(wpm), 1.0
        return ESPEAK_MIN_WPM, wpm / ESPEAK_MIN_WPM

    def synthesize(self, text: str, dest: Path, *, slow: bool = False) -> None:
        wpm, tempo = self.speed(slow=slow)
        with tempfile.NamedTemporaryFile(suffix=".wav", dir=dest.parent) as raw:
            # The text goes on stdin, never on the command line where `ps` would show it.
            result = subprocess.run(
                ["espeak-ng", "-v", self.voice, "-s", str(wpm), "-w", raw.name, "--stdin"],
                input=text.encode(),
                capture_output=True,
                timeout=120,
            )
            if result.returncode != 0:
                raise SpeechError(f"espeak-ng failed: {result.stderr.decode()[-300:]}")
            extra = ("tempo", "-s", f"{tempo:.4f}") if tempo != 1.0 else ()
            to_telephone_wav(raw.name, dest, *extra)
