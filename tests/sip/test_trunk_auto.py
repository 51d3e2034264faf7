"""With AICALL_TELEPHONY unset, a trunk added by `aicall trunk add` makes the dialer place
real calls: a real `aicall dialer` process, SIPp as the phone, results through the API."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from aicall.calls.models import Call
from aicall.campaigns.services import do_create_campaign
from tests.dialer.conftest import settled, wait_until
from tests.dialer.processes import dialer_env, read_journal, start_dialer, stop_dialer

pytestmark = [pytest.mark.sip, pytest.mark.django_db(transaction=True)]


def children(pid: int) -> list[str]:
    """Command lines of the processes whose parent is `pid`."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError, IndexError):
            continue
    return out


def campaign(user, name: str):
    return do_create_campaign(
        user.pk,
        {
            "name": name,
            "campaign_type": "ivr",
            "script": "Xin chào, đơn hàng của quý khách đã sẵn sàng.",
            "calling_hours": "00:00-24:00",
            "ivr_menu": {
                "prompt": "Bấm phím 1 để xác nhận",
                "timeout_seconds": 5,
                "keys": {"1": {"action": "message", "message": "Cảm ơn quý khách"}},
            },
        },
        start=True,
    )


def test_trunk_add_without_telephony_setting_places_real_calls(api, token, user, sipp, tmp_path):
    journal = tmp_path / "sandbox.jsonl"
    env = dialer_env(
        journal,
        AICALL_SANDBOX_SPEED="50",
        AICALL_SIP_BIND_ADDRESS="127.0.0.1",
        AICALL_SIP_EDGE="direct",  # as the other tests in tests/sip (test_edge.py: Kamailio)
        AICALL_SIP_RTP_PORT_BASE=str(settings.AICALL["SIP_RTP_PORT_BASE"]),
        AICALL_LOG_LEVEL="INFO",
    )
    env.pop("AICALL_TELEPHONY")  # unset: the dialer picks the carrier per call
    dialer = start_dialer(env)
    try:
        # No trunk yet: the call is simulated, and PJSIP is not even started.
        before = campaign(user, "Trước khi có trunk")
        status, _ = api.post(
            f"/api/campaigns/{before.pk}/import",
            {"access_token": token, "contacts": [{"phone_number": "0901234560"}]},
        )
        assert status == 200
        wait_until(settled(before), timeout=60)
        assert len(read_journal(journal)) == 1
        assert Call.objects.get(campaign=before).carrier == "sandbox"
        assert not [c for c in children(dialer.pid) if "sip.worker" in c]
        status, body = api.get(f"/api/campaigns/{before.pk}", access_token=token)
        assert body["results"]["sandbox"] is True

        # The operator connects a trunk; nothing else changes.
        phone = sipp("answer_press1.xml", calls=1)
        out = io.StringIO()
        with redirect_stdout(out):
            call_command(
                "trunk", "add", "--name", "sipp", "--proxy", phone.proxy,
                "--caller-id", "02873001234",
            )  # fmt: skip
        assert json.loads(out.getvalue())["default"] is True
        after = campaign(user, "Sau khi có trunk")
        status, _ = api.post(
            f"/api/campaigns/{after.pk}/import",
            {"access_token": token, "contacts": [{"phone_number": "0901234561"}]},
        )
        assert status == 200
        wait_until(settled(after), timeout=90)
        assert phone.proc.wait(20) == 0, phone.errors()
        assert [c for c in children(dialer.pid) if "sip.worker" in c]  # started on demand
    finally:
        code = stop_dialer(dialer, timeout=60)
        stderr = dialer.stderr.read().decode(errors="replace") if dialer.stderr else ""
    assert code == 0, stderr[-3000:]
    assert len(read_journal(journal)) == 1  # the real call did not go to the sandbox
    status, body = api.get(f"/api/campaigns/{after.pk}/export", access_token=token, limit=10)
    assert status == 200 and body["results"]["total"] == 1
    [call] = body["results"]["calls"]
    assert (call["state"], call["note"], call["caller_id"]) == (
        40,
        "NORMAL CLEARING",
        "02873001234",
    )
    assert call["key_press"] in ("1 (0)", "1 (1)")
    assert Call.objects.get(pk=call["call_id"]).carrier == "sip"
    status, body = api.get(f"/api/campaigns/{after.pk}", access_token=token)
    assert body["results"]["sandbox"] is False and body["results"]["trunk"] == "sipp"
    assert body["results"]["trunk_state"] == "up"
