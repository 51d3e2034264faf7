"""Real `python -m aicall dialer` processes against the test database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from django.db import connection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dialer_env(journal: Path, **extra: str) -> dict[str, str]:
    """The environment of a dialer process that uses this test run's database."""
    env = dict(os.environ)
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env["AICALL_SQLITE_PATH"] = str(settings["NAME"])
    else:
        auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
        host = settings["HOST"] or "127.0.0.1"
        port = settings["PORT"] or 5432
        env["DATABASE_URL"] = f"postgres://{auth}@{host}:{port}/{settings['NAME']}"
    env.update(
        AICALL_TELEPHONY="sandbox",
        AICALL_SANDBOX_JOURNAL=str(journal),
        AICALL_DIALER_POLL_SECONDS="0.05",
        AICALL_DIALER_HEARTBEAT_SECONDS="0.3",
        AICALL_DIALER_DEAD_AFTER_SECONDS="5",
        AICALL_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def start_dialer(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "aicall", "dialer", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop_dialer(process: subprocess.Popen, timeout: float = 30) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def read_journal(journal: Path) -> list[dict]:
    if not journal.exists():
        return []
    return [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
