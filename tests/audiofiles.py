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


def bursts(path: Path, pattern: list[tuple[float, float]], hz: float = 700) -> Path:
    """Tone bursts and gaps of irregular lengths, [(on s, off s), …], 16 kHz mono: an
    envelope no other sound shares, to recognise in what a callee receives."""
    import math
    import wave

    rate = 16000
    frames = bytearray()
    for on, off in pattern:
        for n in range(int(on * rate)):
            value = int(12000 * math.sin(2 * math.pi * hz * n / rate))
            frames += value.to_bytes(2, "little", signed=True)
        frames += b"\0\0" * int(off * rate)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return path


def dominant_tones(samples: list[int], tones: dict[str, float], rate: int = 8000) -> str:
    """The sequence of `tones` heard in `samples`: each 20 ms frame is labelled with the tone
    holding most of its energy (Goertzel), if that tone is nearly pure; runs of at least
    100 ms count once, in order."""
    import math

    frame = rate // 50
    labels: list[str] = []
    for start in range(0, len(samples) - frame + 1, frame):
        chunk = samples[start : start + frame]
        energy = sum(s * s for s in chunk) * frame / 2
        if energy < frame * frame * 200**2 / 2:
            labels.append("")
            continue
        best, best_power = "", 0.0
        for name, hz in tones.items():
            coeff = 2 * math.cos(2 * math.pi * hz / rate)
            s1 = s2 = 0.0
            for x in chunk:
                s1, s2 = x + coeff * s1 - s2, s1
            power = s1 * s1 + s2 * s2 - coeff * s1 * s2
            if power > best_power:
                best, best_power = name, power
        labels.append(best if best_power > 0.5 * energy else "")
    heard: list[str] = []
    run_label, run = "", 0
    for label in labels + [""]:
        if label == run_label:
            run += 1
            continue
        if run_label and run >= 5:
            heard.append(run_label)
        run_label, run = label, 1
    return "".join(heard)
