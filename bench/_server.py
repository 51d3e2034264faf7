"""Start a throwaway aicall server on 127.0.0.1 for a benchmark, and stop it afterwards."""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process so far, all its threads; (0, 0) once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def run(args: list[str], env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "aicall", *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


@contextlib.contextmanager
def server(
    extra_env: dict | None = None, dialer: bool = False, serve_args: tuple[str, ...] = ()
) -> Iterator[tuple[str, dict, int]]:
    """Yields (base URL, environment for `aicall` commands, server pid).

    `extra_env` may set DATABASE_URL (a database of the bench's own, created empty);
    `serve_args` are more options of `aicall serve` (e.g. `--dialer-metrics-port N`).
    """
    data_dir = Path(tempfile.mkdtemp(prefix="aicall-bench-"))
    env = {**os.environ, "AICALL_DATA_DIR": str(data_dir), **(extra_env or {})}
    port = free_port()
    run(["migrate", "-v", "0"], env)
    args = [sys.executable, "-m", "aicall", "serve", "--port", str(port), *serve_args]
    if not dialer:
        args += ["--no-dialer", "--no-webhooks"]
    process = subprocess.Popen(args, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/api/openapi.json", timeout=2).status_code == 200:
                break
        time.sleep(0.2)
    try:
        yield base, env, process.pid
    finally:
        process.terminate()
        process.wait(30)


def fresh_postgres_database(url: str) -> None:
    """Drop and create the database `url` names (a bench's own, never a shared one)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def account_with_campaign(base: str, env: dict) -> tuple[dict, int, str]:
    """A new account and ivr campaign: (createuser's output, campaign_id, access_token)."""
    import json

    user = json.loads(
        run(["createuser", "--email", "bench@example.com", "--password", "bench-password"], env)
    )
    campaign = json.loads(
        run(
            [
                "campaign",
                "create",
                "--email",
                "bench@example.com",
                "--name",
                "bench",
                "--type",
                "ivr",
            ],
            env,
        )
    )
    answer = httpx.get(
        f"{base}/api/users/generate-access-token", params={"secret_key": user["secret_key"]}
    )
    return user, campaign["campaign_id"], answer.json()["results"]["access_token"]


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
