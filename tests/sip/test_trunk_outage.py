"""Trunk failures through the real dialer and SIP carrier, SIPp playing the trunk:
an unreachable trunk (timeouts retried, trunk marked down, calls wait, and succeed once
it answers OPTIONS again), and a 503 with Retry-After honoured for the retry."""

from __future__ import annotations

import socket
import time

import pytest
from django.utils import timezone

import tests.sip.harness as sip_harness
from aicall.calls.models import Call, CallAttempt, CallStatus
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import do_create_campaign
from aicall.telephony.base import NORMAL_TEMPORARY_FAILURE, TRUNK_TIMEOUT
from aicall.telephony.models import Trunk, TrunkHealth
from aicall.telephony.services import do_add_trunk
from aicall.telephony.sip.carrier import SipCarrier
from tests.dialer.conftest import queue, settled, wait_until
from tests.sip.harness import free_udp_port, scenario_with

pytestmark = [pytest.mark.sip, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fast_health(settings):
    settings.AICALL = {
        **settings.AICALL,
        "TRUNK_DOWN_AFTER_TIMEOUTS": 3,
        "TRUNK_PROBE_SECONDS": 1.0,
        "TRUNK_PROBE_TIMEOUT_SECONDS": 0.5,
    }


def sipp_on(sipp, monkeypatch, port: int, scenario: str, **kwargs):
    """SIPp listening on a port chosen by the test (the trunk's address stays the same)."""
    monkeypatch.setattr(sip_harness, "free_udp_port", lambda: port)
    try:
        return sipp(scenario, **kwargs)
    finally:
        monkeypatch.undo()


def campaign_on(user, trunk, **extra) -> Campaign:
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "Nhắc lịch",
            "campaign_type": "ivr",
            "caller_id": "02873001234",
            # Longer than the 2 s after which the SIPp callee hangs up.
            "script": "Xin chào quý khách, đây là cuộc gọi nhắc lịch hẹn khám bệnh vào sáng "
            "thứ hai tuần sau tại phòng khám đa khoa.",
            "calling_hours": "00:00-24:00",
            "ring_timeout_seconds": 60,  # longer than timer B: the trunk's silence decides
            **extra,
        },
        start=True,
    )
    # The API's floor is 10 s; the test does not wait that long between attempts.
    Campaign.objects.filter(pk=campaign.pk).update(trunk=trunk, retry_interval_seconds=1)
    campaign.refresh_from_db()
    return campaign


def test_unreachable_trunk_is_retried_marked_down_and_calls_succeed_once_it_is_back(
    user, sipp, harness, fast_health, monkeypatch
):
    # A trunk that swallows every packet (a dead carrier, a firewall dropping SIP).
    black_hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    black_hole.bind(("127.0.0.1", 0))
    port = black_hole.getsockname()[1]
    trunk = do_add_trunk(
        {"name": "dead", "proxy": f"sip:127.0.0.1:{port}", "caller_id": "02873001234"}
    )
    campaign = campaign_on(user, trunk, max_attempts=2, max_concurrent_calls=3)
    first = queue(campaign, [{"phone_number": f"090123456{i}"} for i in range(3)])
    h = harness(SipCarrier(bind_address="127.0.0.1"))
    try:
        # Timer B: 32 s until each INVITE times out, then the trunk goes down.
        wait_until(lambda: Trunk.objects.get(pk=trunk.pk).health == TrunkHealth.DOWN, timeout=90)
        attempts = CallAttempt.objects.filter(call_id__in=first, attempt=1)
        # PJSIP's own 408 (timer B, no response at all), not one the trunk sent.
        assert {(a.hangup_cause, a.sip_code) for a in attempts} == {(TRUNK_TIMEOUT, 408)}
        # While it is down, calls wait: retried ones and new ones stay queued, none fails.
        [later] = queue(campaign, [{"phone_number": "0901234569"}])
        time.sleep(3)
        calls = Call.objects.filter(campaign=campaign)
        assert set(calls.values_list("status", flat=True)) == {CallStatus.QUEUED}
        assert Call.objects.get(pk=later).attempt_count == 0
        assert Trunk.objects.get(pk=trunk.pk).last_probe_result == "timeout"
        # The carrier is back on the same address: OPTIONS brings the trunk up.
        black_hole.close()
        back = sipp_on(sipp, monkeypatch, port, "back_online.xml", calls=100, timeout_s=120)
        wait_until(settled(campaign), timeout=60)
    finally:
        h.stop()
        black_hole.close()
    up = Trunk.objects.get(pk=trunk.pk)
    assert up.health == TrunkHealth.UP and up.last_probe_result == "200 OK"
    assert "Aborted" not in back.errors()
    calls = {c.pk: c for c in Call.objects.filter(campaign=campaign)}
    for call_id in first:
        call = calls[call_id]
        assert (call.state, call.hangup_cause, call.attempt_count) == (40, "NORMAL CLEARING", 2)
        assert 1 <= call.duration_seconds <= 4 and call.carrier == "sip"
    assert (calls[later].state, calls[later].attempt_count) == (40, 1)


def test_503_retry_after_is_honoured_for_the_next_attempt(
    user, sipp, harness, fast_health, monkeypatch, tmp_path
):
    port = free_udp_port()
    rejecting = sipp_on(
        sipp,
        monkeypatch,
        port,
        scenario_with("reject_retry_after.xml", tmp_path, code=503),
        keys={"retry": "4"},
    )
    trunk = do_add_trunk(
        {"name": "busy-carrier", "proxy": f"sip:127.0.0.1:{port}", "caller_id": "02873001234"}
    )
    campaign = campaign_on(user, trunk, max_attempts=2)
    [call_id] = queue(campaign, [{"phone_number": "0901234567"}])
    h = harness(SipCarrier(bind_address="127.0.0.1"))
    try:
        assert rejecting.proc.wait(30) == 0, rejecting.errors()
        wait_until(lambda: CallAttempt.objects.filter(call_id=call_id, sip_code=503).exists())
        refused_at = timezone.now()
        paused = Trunk.objects.get(pk=trunk.pk)
        assert paused.paused_until_at is not None and paused.health == TrunkHealth.UP
        # The carrier answers again on the same address; the retry waits for Retry-After.
        answering = sipp_on(sipp, monkeypatch, port, "back_online.xml", calls=1)
        wait_until(settled(campaign), timeout=40)
    finally:
        h.stop()
    assert answering.proc.wait(10) == 0, answering.errors()
    first, second = CallAttempt.objects.filter(call_id=call_id).order_by("attempt")
    assert (first.hangup_cause, first.sip_code) == (NORMAL_TEMPORARY_FAILURE, 503)
    # Retry-After: 4 wins over the campaign's 1 s retry interval.
    assert (second.called_at - first.ended_at).total_seconds() >= 3.9
    assert second.called_at >= paused.paused_until_at
    assert second.called_at > refused_at
    call = Call.objects.get(pk=call_id)
    assert (call.state, call.hangup_cause, call.attempt_count) == (40, "NORMAL CLEARING", 2)
