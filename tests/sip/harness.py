"""SIPp as the called phone on 127.0.0.1, one scenario per outcome, and free ports for it."""

from __future__ import annotations

import asyncio
import random
import socket
import subprocess
from pathlib import Path

SCENARIOS = Path(__file__).parent / "scenarios"


def _bindable(port: int) -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_media_ports() -> int:
    """An even port with the next three free: SIPp's media and pcap-play sockets."""
    for _ in range(200):
        port = random.randrange(20000, 60000, 2)
        if all(_bindable(port + i) for i in range(4)):
            return port
    raise RuntimeError("no free media ports on 127.0.0.1")


def scenario_with(name: str, directory: Path, **values: object) -> str:
    """A copy of a scenario with `{{name}}` placeholders filled (SIPp takes no -key in
    numeric attributes such as a pause's milliseconds); returns its absolute path."""
    text = (SCENARIOS / name).read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    assert "{{" not in text, f"unfilled placeholder in {name}"
    path = directory / f"filled-{name}"
    path.write_text(text)
    return str(path)


class Sipp:
    """A SIPp callee (uas) running one scenario file; stops by itself after `timeout_s`."""

    def __init__(
        self,
        scenario: str,
        tmp_path: Path,
        *,
        calls: int = 1,
        timeout_s: int = 60,
        keys: dict[str, str] | None = None,
        extra: tuple[str, ...] = (),
        port: int | None = None,
    ):
        self.port = port or free_udp_port()
        self.media_port = free_media_ports()
        args = [
            "sipp",
            "-sf",
            str(SCENARIOS / scenario),
            "-i",
            "127.0.0.1",
            "-mi",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-mp",
            str(self.media_port),
            "-m",
            str(calls),
            "-timeout",
            f"{timeout_s}s",
            "-timeout_error",
            "-nostdin",
            "-trace_err",
            *extra,
        ]
        for name, value in (keys or {}).items():
            args += ["-key", name, value]
        self.proc = subprocess.Popen(
            args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.tmp_path = tmp_path
        try:
            self.proc.wait(0.3)
        except subprocess.TimeoutExpired:
            return  # running and listening
        stderr = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
        raise RuntimeError(f"SIPp did not start ({scenario}): {stderr[-1000:]}")

    @property
    def proxy(self) -> str:
        return f"sip:127.0.0.1:{self.port}"

    def errors(self) -> str:
        logs = sorted(self.tmp_path.glob("*_errors.log"))
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in logs)

    async def wait(self, timeout: float = 30) -> int:
        return await asyncio.to_thread(self.proc.wait, timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
