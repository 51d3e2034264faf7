"""A test phone's ear: collects the RTP audio sent to a UDP port and decodes G.711 (µ-law
and A-law)."""

from __future__ import annotations

import socket
import threading
import time
import wave
from pathlib import Path

FRAME = 160  # 20 ms at 8 kHz


def ulaw_to_linear(byte: int) -> int:
    byte = ~byte & 0xFF
    magnitude = ((((byte & 0x0F) << 3) + 0x84) << ((byte >> 4) & 0x07)) - 0x84
    return -magnitude if byte & 0x80 else magnitude


def alaw_to_linear(byte: int) -> int:
    byte ^= 0x55
    exponent = (byte >> 4) & 0x07
    mantissa = byte & 0x0F
    if exponent == 0:
        magnitude = (mantissa << 4) + 8
    else:
        magnitude = ((mantissa << 4) + 0x108) << (exponent - 1)
    return magnitude if byte & 0x80 else -magnitude


_ULAW = [ulaw_to_linear(b) for b in range(256)]
_ALAW = [alaw_to_linear(b) for b in range(256)]
_DECODE = {0: _ULAW, 8: _ALAW}  # RTP payload type -> G.711 table
_SILENCE = {0: 0xFF, 8: 0xD5}


class RtpEar:
    """Listens on 127.0.0.1:<port> in a thread and keeps the decoded PCMU samples.

    Like a real phone it also sends RTP back (silence in the codec it hears, one packet per
    packet heard, from the same port: symmetric RTP), so a call to it is not a media
    timeout; `talk_back=False` makes a phone that never sends. `codecs` keeps the payload
    type of each audio packet, in order (0 PCMU, 8 PCMA).
    """

    def __init__(self, talk_back: bool = True) -> None:
        self.talk_back: dict[str, int] | None = {"seq": 0, "ts": 0} if talk_back else None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.samples: list[int] = []
        self.packets = 0
        self.payload_types: set[int] = set()
        self.codecs: list[int] = []
        # (arrival time, index of the packet's first sample): when each bit of audio came.
        self.arrivals: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            if len(data) < 12:
                continue
            payload_type = data[1] & 0x7F
            if self.talk_back is not None:
                self._reply(data, peer, payload_type)
            self.payload_types.add(payload_type)
            table = _DECODE.get(payload_type)
            if table is not None:
                self.packets += 1
                self.codecs.append(payload_type)
                self.arrivals.append((time.monotonic(), len(self.samples)))
                self.samples.extend(table[b] for b in data[12:])

    def _reply(self, data: bytes, peer: tuple[str, int], payload_type: int) -> None:
        assert self.talk_back is not None
        if payload_type not in _SILENCE:
            return
        self.talk_back["seq"] = (self.talk_back["seq"] + 1) & 0xFFFF
        self.talk_back["ts"] = (self.talk_back["ts"] + FRAME) & 0xFFFFFFFF
        header = bytes([0x80, payload_type]) + self.talk_back["seq"].to_bytes(2, "big")
        header += self.talk_back["ts"].to_bytes(4, "big") + (0x5EED).to_bytes(4, "big")
        try:
            self.sock.sendto(header + bytes([_SILENCE[payload_type]]) * FRAME, peer)
        except OSError:
            pass

    def after_longest_gap(self) -> tuple[float, list[int]]:
        """The longest pause between two packets, and the samples received after it."""
        best, index = 0.0, 0
        for (t0, _), (t1, i1) in zip(self.arrivals, self.arrivals[1:], strict=False):
            if t1 - t0 > best:
                best, index = t1 - t0, i1
        return best, self.samples[index:]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def read_wav(path: Path | str) -> list[int]:
    with wave.open(str(path), "rb") as wav:
        raw = wav.readframes(wav.getnframes())
    return [int.from_bytes(raw[i : i + 2], "little", signed=True) for i in range(0, len(raw), 2)]


def frame_energy(samples: list[int], frame: int = 800) -> list[float]:
    """Mean absolute amplitude per 100 ms."""
    return [
        sum(abs(s) for s in samples[i : i + frame]) / frame
        for i in range(0, len(samples) - frame + 1, frame)
    ]


def voiced_seconds(samples: list[int], threshold: float = 200.0) -> float:
    """From the first to the last 100 ms frame louder than `threshold`."""
    energy = frame_energy(samples)
    loud = [i for i, e in enumerate(energy) if e > threshold]
    return (loud[-1] - loud[0] + 1) * 0.1 if loud else 0.0


def correlation(a: list[float], b: list[float]) -> float:
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    mean_a, mean_b = sum(a) / n, sum(b) / n
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b, strict=True))
    var_a = sum((x - mean_a) ** 2 for x in a) ** 0.5
    var_b = sum((y - mean_b) ** 2 for y in b) ** 0.5
    return cov / (var_a * var_b) if var_a and var_b else 0.0


def best_alignment(received: list[float], sent: list[float], max_shift: int = 20) -> float:
    """The highest correlation of the two energy envelopes over a small time shift."""
    return max(correlation(received[shift:], sent) for shift in range(max_shift))
