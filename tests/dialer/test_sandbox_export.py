"""The sandbox's last-digit table, end to end: import, dial, export through the API."""

import pytest

from aicall.calls.models import Call, CallAttempt
from aicall.campaigns.services import do_create_campaign, do_start_campaign
from aicall.telephony.sandbox import SandboxCarrier
from tests.dialer.conftest import settled, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = (
    "Xin chào {danh_xung} {ho_ten}, đơn hàng {order_no} sẽ giao hôm nay. Bấm phím 1 để xác nhận."
)
# Rendered for chị Lan / DH1 it is 71 characters: 6 s at 12 characters a second.
RENDERED = "Xin chào chị Lan, đơn hàng DH1 sẽ giao hôm nay. Bấm phím 1 để xác nhận."
EXPECTED = {
    "0": (40, "NORMAL CLEARING", 6, ""),
    "1": (40, "NORMAL CLEARING", 6, "1 (2)"),
    "2": (40, "NORMAL CLEARING", 6, "2 (2), 9 (4)"),
    "3": (50, "USER BUSY", 0, ""),
    "4": (50, "NO ANSWER", 0, ""),
    "5": (50, "CALL REJECTED", 0, ""),
    "6": (50, "UNALLOCATED NUMBER", 0, ""),
    "7": (40, "NORMAL CLEARING", 5, ""),
    "8": (40, "NORMAL CLEARING", 6, ""),
    "9": (40, "NORMAL CLEARING", 6, ""),
}


def test_sandbox_table_through_the_export_api(api, token, user, harness):
    assert len(RENDERED) == 71
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "Giao hàng",
            "campaign_type": "ivr",
            "caller_id": "0281234567",
            "script": SCRIPT,
            "calling_hours": "00:00-24:00",
            "ring_timeout_seconds": 20,
        },
    )
    contacts = [
        {"phone_number": f"09012345{d}{d}", "danh_xung": "chị", "ho_ten": "Lan", "order_no": "DH1"}
        for d in "0123456789"
    ]
    status, body = api.post(
        f"/api/campaigns/{campaign.pk}/import", {"access_token": token, "contacts": contacts}
    )
    assert status == 200 and len(body["results"]) == 10
    do_start_campaign(campaign)
    carrier = SandboxCarrier(speed=400)
    h = harness(carrier)
    wait_until(settled(campaign), timeout=30)
    h.stop()

    status, body = api.get(f"/api/campaigns/{campaign.pk}/export", access_token=token, limit=100)
    assert status == 200
    assert body["results"]["total"] == 10
    calls = body["results"]["calls"]
    by_digit = {c["callee_id"][-1]: c for c in calls}
    assert sorted(by_digit) == list("0123456789")
    for digit, (state, note, duration, key_press) in EXPECTED.items():
        call = by_digit[digit]
        assert (call["state"], call["note"], call["duration"], call["key_press"]) == (
            state,
            note,
            duration,
            key_press,
        ), digit
        assert call["caller_id"] == "0281234567"
        assert call["callee_id"] == f"09012345{digit}{digit}"
        assert len(call["called_at"]) == 19  # YYYY-MM-DD HH:MM:SS, Vietnam time
    # One attempt each (max_attempts defaults to 1), and the attempt row says the same.
    assert CallAttempt.objects.filter(call__campaign=campaign).count() == 10
    busy = Call.objects.get(campaign=campaign, phone_e164="+84901234533")
    attempt = busy.attempts.get()
    assert (attempt.attempt, attempt.hangup_cause, attempt.sip_code) == (1, "USER BUSY", 486)
    answered = Call.objects.get(campaign=campaign, phone_e164="+84901234511")
    assert answered.answered_at is not None and answered.key_presses == [["1", 2.0]]


def test_sandbox_reports_call_time_not_wall_time(user, harness):
    """At speed 400 a 6-second call lasts ~20 ms, yet its duration says 6."""
    import time

    campaign = do_create_campaign(
        user.pk,
        {"name": "x", "campaign_type": "ivr", "script": SCRIPT, "calling_hours": "00:00-24:00"},
        start=True,
    )
    from tests.dialer.conftest import queue

    queue(
        campaign,
        [{"phone_number": "0901234500", "danh_xung": "chị", "ho_ten": "Lan", "order_no": "DH1"}],
    )
    began = time.monotonic()
    h = harness(SandboxCarrier(speed=400))
    wait_until(settled(campaign), timeout=20)
    elapsed = time.monotonic() - began
    h.stop()
    call = Call.objects.get(campaign=campaign)
    assert call.duration_seconds == 6
    assert elapsed < 5
