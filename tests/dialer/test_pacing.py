"""Pacing, measured by the carrier: concurrency per campaign and per trunk, calls per second,
and voice OTP ahead of broadcast."""

import pytest

from aicall.calls.models import Call
from aicall.campaigns.services import do_create_campaign
from aicall.telephony.models import Trunk
from tests.dialer.conftest import RecordingCarrier, numbers, queue, settled, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ALWAYS = "00:00-24:00"


def ivr(user, **extra):
    raw = {"name": "b", "campaign_type": "ivr", "calling_hours": ALWAYS, **extra}
    return do_create_campaign(user.pk, raw, start=True)


def test_campaign_max_concurrent_is_never_exceeded(user, harness, settings):
    settings.AICALL = {**settings.AICALL, "SANDBOX_CALLS_PER_SECOND": 0}
    campaign = ivr(user, max_concurrent_calls=3)
    queue(campaign, numbers(24, "0"))
    carrier = RecordingCarrier(hold_seconds=0.15)
    h = harness(carrier)
    wait_until(settled(campaign))
    h.stop()
    assert len(carrier.requests) == 24
    assert carrier.max_in_use == 3  # reached, never passed


def test_trunk_channels_and_rate_hold_across_campaigns(user, other_user, harness):
    trunk = Trunk.objects.create(
        name="t", proxy="sip:127.0.0.1:5060", max_channels=4, calls_per_second=20
    )
    first = ivr(user, max_concurrent_calls=10)
    second = do_create_campaign(
        other_user.pk,
        {"name": "c", "campaign_type": "ivr", "calling_hours": ALWAYS, "max_concurrent_calls": 10},
        start=True,
    )
    Trunk.objects.filter(pk=trunk.pk).update(is_default=True)
    queue(first, numbers(20, "0"))
    queue(second, numbers(20, "9", prefix="08"))
    carrier = RecordingCarrier(hold_seconds=0.3)
    h = harness(carrier)
    wait_until(settled(first), timeout=30)
    wait_until(settled(second), timeout=30)
    h.stop()
    assert len(carrier.requests) == 40
    assert carrier.max_in_use == 4
    starts = sorted(carrier.starts)
    # 40 calls at 20/s take about two seconds, never faster ...
    assert starts[-1] - starts[0] >= 39 / 20 * 0.95
    # ... and no 1-second window holds more than the rate (+1 for timer jitter).
    most = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert most <= 21
    # Both campaigns had their turn while sharing the trunk (rotation between rounds).
    firsts = [r.callee_e164[:4] for r in carrier.requests[:16]]
    assert "+849" in firsts and "+848" in firsts


def test_sandbox_limits_apply_without_a_trunk(user, harness, settings):
    settings.AICALL = {
        **settings.AICALL,
        "SANDBOX_MAX_CHANNELS": 2,
        "SANDBOX_CALLS_PER_SECOND": 0,
    }
    campaign = ivr(user, max_concurrent_calls=50)
    queue(campaign, numbers(10, "0"))
    carrier = RecordingCarrier(hold_seconds=0.1)
    h = harness(carrier)
    wait_until(settled(campaign))
    h.stop()
    assert carrier.max_in_use == 2


def test_the_carriers_own_capacity_caps_one_process(user, harness, settings):
    settings.AICALL = {**settings.AICALL, "SANDBOX_CALLS_PER_SECOND": 0}
    campaign = ivr(user, max_concurrent_calls=50)
    queue(campaign, numbers(12, "0"))
    carrier = RecordingCarrier(hold_seconds=0.1, limit=4)  # e.g. one PJSIP worker
    h = harness(carrier)
    wait_until(settled(campaign))
    h.stop()
    assert len(carrier.requests) == 12 and carrier.max_in_use == 4


def test_voice_otp_goes_ahead_of_queued_broadcast(user, harness):
    trunk = Trunk.objects.create(
        name="t", proxy="sip:127.0.0.1:5060", max_channels=1, calls_per_second=0, is_default=True
    )
    broadcast = ivr(user, max_concurrent_calls=5)
    queue(broadcast, numbers(6, "0"))  # queued first
    otp = do_create_campaign(user.pk, {"name": "otp", "campaign_type": "voice_otp"}, start=True)
    queue(otp, [{"phone_number": f"0351234{i:03d}", "otp_code": "123456"} for i in range(3)])
    carrier = RecordingCarrier(hold_seconds=0.05)
    h = harness(carrier)
    wait_until(settled(broadcast))
    wait_until(settled(otp))
    h.stop()
    assert trunk.max_channels == 1
    order = carrier.numbers()
    assert [n[:5] for n in order[:3]] == ["+8435"] * 3
    assert all(n.startswith("+8491") for n in order[3:])
    assert all(r.otp_code == "123456" for r in carrier.requests[:3])
    assert Call.objects.filter(campaign=otp, state=40).count() == 3
