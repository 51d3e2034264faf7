"""`aicall serve` for real: API, sandbox dialer and webhook sender as separate processes.

A customer creates a webhook campaign with aicall.client, imports contacts, and a receiver
that refuses every event's first attempt still ends up with one verified event per call,
whose `data` is the call object export returns.
"""

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from aicall.client import Client
from aicall.webhooks.models import DeliveryStatus, WebhookDelivery
from aicall.webhooks.signing import new_secret
from tests.dialer.processes import dialer_env, free_port
from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _children(pid: int) -> list[int]:
    """Child processes, whichever of the process's threads started them."""
    tasks = Path(f"/proc/{pid}/task").glob("*/children")
    return [int(child) for task in tasks for child in task.read_text().split()]


def _wait_for_server(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()[-3000:]
        try:
            httpx.get(url + "/api/openapi.json", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not come up")


def test_serve_delivers_every_call_event_to_a_flaky_receiver(user, tmp_path):
    port = free_port()
    env = dialer_env(
        tmp_path / "journal.jsonl",
        AICALL_SANDBOX_SPEED="20",
        AICALL_WEBHOOK_FIRST_RETRY="0.2",
        AICALL_WEBHOOK_MAX_RETRY="0.5",
        AICALL_WEBHOOK_TIMEOUT="2",
        AICALL_WEBHOOK_ALLOW_PRIVATE="1",  # the receiver listens on 127.0.0.1
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "aicall", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    secret = new_secret()
    try:
        _wait_for_server(url, server)
        with (
            Receiver(secret, fail_first=1) as receiver,
            Client(url, secret_key=user.secret_key) as api,
        ):
            campaign = api.create_campaign(
                name="E2E",
                campaign_type="ivr",
                caller_id="0281234567",
                script="Xin chào",
                calling_hours="00:00-24:00",
                webhook_url=receiver.url,
                webhook_secret=secret,
                webhook_call_started=True,
            )
            campaign_id = campaign["campaign_id"]
            contacts = [{"phone_number": f"0901{i:06d}"} for i in range(40)]
            api.start_campaign(campaign_id)
            api.import_contacts(campaign_id, contacts)
            deadline = time.monotonic() + 90
            while True:
                finished = [
                    events[0]
                    for events in list(receiver.events.values())
                    if events[0]["event"] == "call.finished"
                ]
                if len(finished) == 40:
                    break
                assert time.monotonic() < deadline, f"{len(finished)} of 40 events"
                time.sleep(0.2)
            exported = {c["call_id"]: c for c in api.iter_export(campaign_id)}
            # The CSV download streams through uvicorn (ASGI) the same rows.
            api.download_csv(str(tmp_path / "calls.csv"), campaign_id)
            with open(tmp_path / "calls.csv", newline="") as handle:
                rows = list(csv.DictReader(handle))
            assert rows == [{k: str(v) for k, v in c.items()} for c in exported.values()]
        assert receiver.bad_signatures == 0
        assert len(exported) == 40
        for event in finished:
            data = dict(event["data"])
            assert data.pop("campaign_id") == campaign_id and data.pop("attempt") == 1
            # No trunk: the calls were simulated, and the event says so.
            assert data.pop("sandbox") is True
            assert data == exported[data["call_id"]]
        started = [e[0] for e in receiver.events.values() if e[0]["event"] == "call.started"]
        answered = [c for c in exported.values() if c["state"] == 40]
        assert {e["data"]["call_id"] for e in started} == {c["call_id"] for c in answered}
        assert all(e["data"]["state"] == 20 and e["data"]["sandbox"] is True for e in started)
        assert all(n >= 2 for n in receiver.attempts.values())  # each refused once, then sent
        children = _children(server.pid)
        assert len(children) == 2  # the dialer and the webhook sender
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    # serve stops its children before it exits: none is left behind.
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
    delivered = WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
    assert delivered == WebhookDelivery.objects.count() == 40 + len(started)
