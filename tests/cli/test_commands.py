import json
import os
import subprocess
import sys

import pytest

from aicall.accounts.models import User
from aicall.campaigns.models import Campaign


def aicall(*args: str, env_db: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AICALL_SQLITE_PATH": env_db}
    return subprocess.run(
        [sys.executable, "-m", "aicall", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture
def db_path(tmp_path, settings):
    if "sqlite" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("the command line is exercised against a fresh SQLite file on the SQLite pass")
    path = str(tmp_path / "cli.sqlite3")
    assert aicall("migrate", "-v", "0", env_db=path).returncode == 0
    return path


def test_createuser_campaign_and_rotate_secret(db_path):
    created = aicall(
        "createuser", "--email", "a@example.com", "--password", "pw-123456", env_db=db_path
    )
    assert created.returncode == 0, created.stderr
    user = json.loads(created.stdout)
    assert isinstance(user["user_id"], int) and len(user["secret_key"]) >= 43

    rotated = aicall("rotate-secret", "--email", "a@example.com", env_db=db_path)
    assert rotated.returncode == 0
    assert json.loads(rotated.stdout)["secret_key"] != user["secret_key"]

    create = [
        "campaign",
        "create",
        "--email",
        "a@example.com",
        "--name",
        "OTP",
        "--type",
        "voice_otp",
        "--caller-id",
        "0281234567",
        "--start",
        "--calling-hours",
        "00:00-24:00",
        "--max-concurrent",
        "5",
    ]
    # A caller ID the operator has not verified for the account is refused...
    refused = aicall(*create, env_db=db_path)
    assert refused.returncode == 1 and "caller_id is not verified" in refused.stderr
    verified = aicall("callerid", "add", "--email", "a@example.com", "0281234567", env_db=db_path)
    assert json.loads(verified.stdout)["caller_ids"] == ["0281234567"]
    # ...and accepted once verified.
    made = aicall(*create, env_db=db_path)
    assert made.returncode == 0, made.stderr
    campaign_id = json.loads(made.stdout)["campaign_id"]
    stopped = aicall("campaign", "stop", str(campaign_id), env_db=db_path)
    assert json.loads(stopped.stdout) == {"campaign_id": campaign_id, "status": "stopped"}


def test_errors_go_to_stderr_with_non_zero_exit(db_path):
    assert (
        aicall(
            "createuser", "--email", "b@example.com", "--password", "pw-123456", env_db=db_path
        ).returncode
        == 0
    )
    again = aicall(
        "createuser", "--email", "b@example.com", "--password", "pw-123456", env_db=db_path
    )
    assert again.returncode != 0 and again.stdout == "" and "exists already" in again.stderr
    missing = aicall(
        "campaign",
        "create",
        "--email",
        "nobody@example.com",
        "--name",
        "x",
        "--type",
        "ivr",
        env_db=db_path,
    )
    assert missing.returncode != 0 and "no account" in missing.stderr
    bad_hours = aicall(
        "campaign",
        "create",
        "--email",
        "b@example.com",
        "--name",
        "x",
        "--type",
        "ivr",
        "--calling-hours",
        "17:00-08:00",
        env_db=db_path,
    )
    assert bad_hours.returncode != 0 and "calling hours" in bad_hours.stderr


def test_campaign_command_in_process(db):
    from django.core.management import call_command

    User.objects.create_user(email="c@example.com", password="x")
    call_command(
        "campaign",
        "create",
        "--email",
        "c@example.com",
        "--name",
        "N",
        "--type",
        "ivr",
        "--max-attempts",
        "3",
        "--retry-interval",
        "60",
        "--otp-expiry",
        "120",
        "--calling-hours",
        "09:30-18:00",
        "--weekdays",
        "01234",
    )
    campaign = Campaign.objects.get()
    assert (campaign.max_attempts, campaign.retry_interval_seconds) == (3, 60)
    assert campaign.otp_expiry_seconds == 120 and campaign.calling_weekdays == "01234"
    assert campaign.calling_hours_start.strftime("%H:%M") == "09:30"
    call_command("campaign", "update", str(campaign.pk), "--calling-hours", "00:00-24:00")
    campaign.refresh_from_db()
    assert str(campaign.calling_hours_start) == "00:00:00" == str(campaign.calling_hours_end)


def test_serve_runs_the_api_and_static_files_and_stops_on_sigterm(db_path, tmp_path):
    import signal
    import socket
    import time

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "AICALL_SQLITE_PATH": db_path, "AICALL_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "aicall", "serve", "--port", str(port), "--no-dialer"], env=env
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                response = httpx.get(f"{base}/api/users/call-log", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert response.status_code == 401 and response.json()["code"] == "401"
        assert httpx.get(f"{base}/api/docs").status_code == 200
        css = httpx.get(f"{base}/static/admin/css/base.css")
        assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0


def test_createuser_applies_the_password_validators(db_path):
    for password, reason in [
        ("short", "too short"),
        ("password1", "too common"),
        ("73920584617", "entirely numeric"),
        ("weak@example.com", "too similar"),
    ]:
        refused = aicall(
            "createuser", "--email", "weak@example.com", "--password", password, env_db=db_path
        )
        assert refused.returncode != 0 and refused.stdout == "", password
        assert "password refused" in refused.stderr and reason in refused.stderr, refused.stderr
    count = "from aicall.accounts.models import User; print(User.objects.count())"
    assert aicall("shell", "-c", count, env_db=db_path).stdout.split()[-1] == "0"
    accepted = aicall(
        "createuser", "--email", "weak@example.com", "--password", "pw-123456", env_db=db_path
    )
    assert accepted.returncode == 0, accepted.stderr
