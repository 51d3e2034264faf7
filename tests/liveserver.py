"""A real `aicall serve` for tests that need a live server (browser, memory, raw sockets)."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

RUN = [sys.executable, "-m", "aicall"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This environment without any AICALL_ or DATABASE_URL setting of the test run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AICALL_", "DATABASE_URL"))}
    env.update(AICALL_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


@contextmanager
def serving(env: dict[str, str], log_path: Path, *args: str) -> Iterator[tuple[str, int]]:
    """Runs `aicall serve ARGS` on a free loopback port until the block ends; yields its URL
    and its process id."""
    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*RUN, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: children go down with it
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base_url + "/login/", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise RuntimeError("aicall serve did not start:\n" + log_path.read_text())
        time.sleep(0.3)
    try:
        yield base_url, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
