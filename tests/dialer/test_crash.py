"""A real dialer process killed with SIGKILL mid-campaign, then restarted."""

import signal
import urllib.request
from collections import Counter

import pytest

from aicall.calls.models import Call, CallAttempt, CallStatus
from aicall.campaigns.services import do_create_campaign
from tests.dialer.conftest import numbers, queue, settled, wait_until
from tests.dialer.processes import (
    dialer_env,
    free_port,
    read_journal,
    start_dialer,
    stop_dialer,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_kill_9_mid_campaign_then_restart_accounts_for_every_contact(user, tmp_path):
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "crash",
            "campaign_type": "ivr",
            "calling_hours": "00:00-24:00",
            "max_concurrent_calls": 60,
        },
        start=True,
    )
    ids = queue(campaign, numbers(300, "0"))
    journal = tmp_path / "journal.jsonl"
    # 5 s calls at speed 5: each holds a channel for a second of wall time.
    env = dialer_env(
        journal,
        AICALL_SANDBOX_SPEED="5",
        AICALL_SANDBOX_MAX_CHANNELS="1000",
        AICALL_SANDBOX_CALLS_PER_SECOND="0",
    )
    first = start_dialer(env)
    try:
        wait_until(
            lambda: (
                Call.objects.filter(pk__in=ids, status=CallStatus.DONE).count() >= 30
                and Call.objects.filter(pk__in=ids, status=CallStatus.DIALING).count() >= 20
            ),
            timeout=30,
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    in_flight = set(
        Call.objects.filter(pk__in=ids, status=CallStatus.DIALING).values_list("id", flat=True)
    )
    assert in_flight, "the kill should catch calls in flight"

    port = free_port()
    second = start_dialer(env, "--metrics-port", str(port))
    try:
        wait_until(settled(campaign), timeout=40)
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    finally:
        assert stop_dialer(second) == 0

    calls = {c.pk: c for c in Call.objects.filter(pk__in=ids)}
    assert len(calls) == 300
    interrupted = {pk for pk, c in calls.items() if c.hangup_cause == "INTERRUPTED"}
    assert interrupted == in_flight  # the calls cut off, and only those
    assert all(c.state == 50 for pk, c in calls.items() if pk in interrupted)
    assert all(
        (c.state, c.hangup_cause) == (40, "NORMAL CLEARING")
        for pk, c in calls.items()
        if pk not in interrupted
    )
    # Exactly one attempt per contact (max_attempts = 1), never dialled twice.
    assert Counter(
        CallAttempt.objects.filter(call_id__in=ids).values_list("call_id", flat=True)
    ) == {pk: 1 for pk in ids}
    placed = Counter((e["call_id"], e["attempt"]) for e in read_journal(journal))
    assert max(placed.values()) == 1
    assert {call_id for call_id, _ in placed} >= set(ids) - interrupted
    assert b"aicall_dialer_calls_started_total" in metrics
    assert b"aicall_dialer_claim_latency_seconds_bucket" in metrics
