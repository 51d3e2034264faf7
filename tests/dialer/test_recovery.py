"""Crash safety in-process: dead dialers' calls, late results, and a graceful stop."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from aicall.calls.models import Call, CallAttempt, CallStatus
from aicall.campaigns.services import do_create_campaign
from aicall.dialer import liveness
from aicall.dialer.claims import claim_due_calls
from aicall.dialer.models import DialerProcess
from aicall.dialer.results import store_results
from aicall.dialer.snapshot import CampaignCache
from aicall.dialer.types import FinishedCall
from aicall.telephony.base import NORMAL_CLEARING, CallOutcome
from tests.dialer.conftest import RecordingCarrier, numbers, queue, settled, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def ivr(user, **extra):
    raw = {"name": "b", "campaign_type": "ivr", "calling_hours": "00:00-24:00", **extra}
    return do_create_campaign(user.pk, raw, start=True)


def claim_as(name: str, limit: int = 100):
    liveness.register(name)
    cache = CampaignCache()
    cache.refresh()
    return claim_due_calls(
        dialer=name,
        campaigns=cache.campaigns,
        trunks=cache.trunks,
        key_of=cache.pacing_keys(),
        limit=limit,
        now=timezone.now(),
        now_epoch=time.time(),
    ).claimed


def test_calls_of_a_dead_dialer_are_interrupted_or_retried_once(user):
    single = ivr(user, max_concurrent_calls=50)
    retried = ivr(user, max_concurrent_calls=50, max_attempts=2)
    queue(single, numbers(3, "0"))
    queue(retried, numbers(2, "9", prefix="08"))
    claimed = claim_as("ghost")
    assert len(claimed) == 5
    DialerProcess.objects.filter(name="ghost").update(
        heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    finished, again = liveness.recover_orphans("me", dead_after_seconds=30, now=timezone.now())
    assert (finished, again) == (3, 2)
    for call in Call.objects.filter(campaign=single):
        assert (call.status, call.state, call.hangup_cause) == ("done", 50, "INTERRUPTED")
        assert call.attempt_count == 1
    for call in Call.objects.filter(campaign=retried):
        assert (call.status, call.state, call.attempt_count) == ("queued", None, 1)
    assert set(CallAttempt.objects.values_list("hangup_cause", flat=True)) == {"INTERRUPTED"}
    assert DialerProcess.objects.get(name="ghost").stop_reason == "declared dead"
    # Recovery is idempotent: nothing is settled twice.
    assert liveness.recover_orphans("me", 30, timezone.now()) == (0, 0)
    # The dead dialer's heartbeat is refused; its late results are dropped.
    assert liveness.heartbeat("ghost") is False
    late = [
        FinishedCall(
            claimed=c,
            outcome=CallOutcome(answered=True, hangup_cause=NORMAL_CLEARING, duration_seconds=3),
            placed_at=timezone.now(),
            answered_at=timezone.now(),
            ended_at=timezone.now(),
        )
        for c in claimed
    ]
    stats = store_results("ghost", late, [], timezone.now())
    assert (stats.final, stats.dropped) == (0, 5)
    assert not Call.objects.filter(state=40).exists()


def test_live_dialers_calls_are_left_alone(user):
    campaign = ivr(user)
    queue(campaign, numbers(2, "0"))
    claim_as("busy-but-alive")
    assert liveness.recover_orphans("me", 30, timezone.now()) == (0, 0)
    assert Call.objects.filter(status=CallStatus.DIALING).count() == 2


def test_a_dead_pid_on_this_host_is_recovered_at_once(user):
    campaign = ivr(user)
    queue(campaign, numbers(1, "0"))
    claim_as("crashed")
    # A fresh heartbeat, but the pid no longer exists on this host (kill -9 and restart).
    DialerProcess.objects.filter(name="crashed").update(pid=2**22 + 12345)
    assert liveness.recover_orphans("me", 30, timezone.now()) == (1, 0)


def test_sigterm_lets_running_calls_end(user, harness):
    campaign = ivr(user, max_concurrent_calls=5)
    ids = queue(campaign, numbers(5, "0"))
    carrier = RecordingCarrier(hold_seconds=0.5)
    h = harness(carrier)
    wait_until(lambda: len(carrier.requests) == 5)
    h.stop()  # request_stop: what SIGTERM does
    calls = Call.objects.filter(pk__in=ids)
    assert all(
        (c.status, c.state, c.hangup_cause) == ("done", 40, "NORMAL CLEARING") for c in calls
    )
    assert DialerProcess.objects.get(name=h.dialer.name).stop_reason == "stopped"


def test_drain_timeout_interrupts_what_is_left(user, harness):
    campaign = ivr(user, max_concurrent_calls=5)
    ids = queue(campaign, numbers(3, "0"))
    carrier = RecordingCarrier(hold_seconds=30)
    h = harness(carrier, drain_seconds=0.2)
    wait_until(lambda: len(carrier.requests) == 3)
    h.stop()
    wait_until(settled(campaign))
    notes = set(Call.objects.filter(pk__in=ids).values_list("hangup_cause", flat=True))
    assert notes == {"INTERRUPTED"}


def test_a_dialer_declared_dead_stops_and_stores_nothing(user, harness):
    campaign = ivr(user, max_concurrent_calls=5)
    ids = queue(campaign, numbers(3, "0"))
    carrier = RecordingCarrier(hold_seconds=0.8)
    h = harness(carrier)
    wait_until(lambda: len(carrier.requests) == 3)
    # Another dialer decided this one was gone and settled its calls.
    DialerProcess.objects.filter(name=h.dialer.name).update(
        stopped_at=timezone.now(), stop_reason="declared dead"
    )
    liveness.recover_orphans("other", dead_after_seconds=30, now=timezone.now())
    wait_until(lambda: not h.thread.is_alive(), timeout=10)
    calls = Call.objects.filter(pk__in=ids)
    assert {(c.state, c.hangup_cause) for c in calls} == {(50, "INTERRUPTED")}
    assert CallAttempt.objects.filter(call_id__in=ids).count() == 3
