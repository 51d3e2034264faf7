"""Audio files for tests, made with sox: tones, silences, and a zip of ten digits."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

# One tone per digit: an OTP read with these recordings can be decoded from the audio.
DIGIT_HZ = {str(d): 500 + 150 * d for d in range(10)}


def tone(path: Path, seconds: float, hz: float = 440, rate: int = 44100, channels: int = 2):
    """A sine tone (44.1 kHz stereo by default, like a file a customer would upload)."""
    subprocess.run(
        ["sox", "-n", "-r", str(rate), "-c", str(channels), str(path)]
        + ["synth", str(seconds), "sine", str(hz), "vol", "0.5"],
        check=True,
    )
    return path


def speechlike(path: Path, seconds: float) -> Path:
    """A tone whose loudness rises and falls (4 bursts a second), so that its envelope
    can be recognised in what a callee receives."""
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "1", str(path)]
        + ["synth", str(seconds), "sine", "600", "tremolo", "1.3", "90", "vol", "0.6"],
        check=True,
    )
    return path


def digit_zip(tmp: Path, seconds: float = 0.5) -> bytes:
    """`0.wav` … `9.wav`, each its digit's tone with some silence around it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for digit, hz in DIGIT_HZ.items():
            path = tmp / f"{digit}.wav"
            subprocess.run(
                ["sox", "-n", "-r", "16000", "-c", "1", str(path)]
                + ["synth", str(seconds), "sine", str(hz), "vol", "0.5", "pad", "0.3", "0.3"],
                check=True,
            )
            archive.write(path, f"digits/{digit}.wav")
    return buffer.getvalue()
