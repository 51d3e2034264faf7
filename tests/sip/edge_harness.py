"""A real Kamailio edge on 127.0.0.1 for a test: free ports, run directory under tmp_path."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.sip.harness import Sipp


def free_port_pair() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (Kamailio listens on both)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port on 127.0.0.1")


def use_edge(settings, tmp_path: Path) -> dict:
    """Point the SIP carrier at its own Kamailio (AICALL_SIP_EDGE=kamailio) on free ports."""
    if shutil.which("kamailio") is None and not Path("/usr/sbin/kamailio").exists():
        pytest.fail("kamailio is not installed: run scripts/setup.sh (Debian package kamailio)")
    conf = {
        "SIP_EDGE": "kamailio",
        "SIP_EDGE_ADDRESS": "127.0.0.1",
        "SIP_EDGE_PORT": free_port_pair(),
        "SIP_EDGE_LOCAL_PORT": free_port_pair(),
        "SIP_EDGE_RUN_DIR": str(tmp_path / "edge"),
        "SIP_EDGE_BINARY": shutil.which("kamailio") or "/usr/sbin/kamailio",
    }
    settings.AICALL = {**settings.AICALL, **conf}
    return conf


def methods_received(hole: socket.socket) -> list[bytes]:
    """The first word of each datagram waiting on a bound socket that never answers."""
    hole.setblocking(False)
    methods = []
    while True:
        try:
            methods.append(hole.recv(65535).split(b" ", 1)[0])
        except BlockingIOError:
            return methods


def messages(callee: Sipp) -> list[str]:
    """The SIP messages SIPp received and sent (it runs with -trace_msg)."""
    logs = callee.tmp_path.glob(f"*_{callee.proc.pid}_messages.log")  # this SIPp's own
    text = "\n".join(p.read_text(errors="replace") for p in logs)
    return re.split(r"\n-{20,} [^\n]*\n", text)


def received(callee: Sipp, method: str) -> list[str]:
    return [
        m
        for m in messages(callee)
        if re.search(rf"message received \[\d+\] bytes :\s+{method} ", m)
    ]


class ServiceKamailio:
    """Kamailio started the way a system service runs it (`kamailio -DD -E -f cfg`), by the
    test itself, not by aicall: `AICALL_SIP_EDGE=external`."""

    def __init__(self, conf: dict, prefix: tuple[str, ...] = ()) -> None:
        run_dir = Path(conf["SIP_EDGE_RUN_DIR"])
        self.log_path = run_dir / "service.log"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    *prefix,
                    conf["SIP_EDGE_BINARY"],
                    "-DD",
                    "-E",
                    "-f",
                    str(run_dir / "kamailio.cfg"),
                ],
                cwd=run_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """The whole process group: Kamailio's children outlive a main process killed hard."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # children left behind
        except ProcessLookupError:
            pass
