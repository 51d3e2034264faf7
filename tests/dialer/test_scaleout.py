"""Three dialer processes on one PostgreSQL database share one campaign and one trunk."""

from collections import Counter

import pytest
from django.db import connection

from aicall.calls.models import Call, CallAttempt
from aicall.campaigns.services import do_create_campaign
from aicall.telephony.models import Trunk
from tests.dialer.conftest import numbers, queue, settled, wait_until
from tests.dialer.processes import dialer_env, read_journal, start_dialer, stop_dialer

pytestmark = pytest.mark.django_db(transaction=True)

MAX_CHANNELS = 40
CALLS_PER_SECOND = 300


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    most = current = 0
    for _, step in events:  # at equal times an end (-1) sorts before a start (+1)
        current += step
        most = max(most, current)
    return most


def test_three_dialers_one_campaign_no_call_twice_none_left_limits_held(user, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("several dialers need PostgreSQL row locks; SQLite runs one dialer")
    Trunk.objects.create(
        name="carrier",
        proxy="sip:127.0.0.1:5060",
        max_channels=MAX_CHANNELS,
        calls_per_second=CALLS_PER_SECOND,
        caller_id="02873000000",
        is_default=True,
    )
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "scale",
            "campaign_type": "ivr",
            "calling_hours": "00:00-24:00",
            "max_concurrent_calls": 1000,
            "ring_timeout_seconds": 5,
        },
        start=True,
    )
    ids = queue(campaign, numbers(3000))  # every last digit: every sandbox outcome
    journal = tmp_path / "journal.jsonl"
    env = dialer_env(journal, AICALL_SANDBOX_SPEED="100")
    dialers = [start_dialer(env) for _ in range(3)]
    try:
        wait_until(settled(campaign), timeout=60, step=0.2)
    finally:
        codes = [stop_dialer(d) for d in dialers]
    assert codes == [0, 0, 0]

    entries = read_journal(journal)
    placed = Counter((e["call_id"], e["attempt"]) for e in entries)
    assert len(placed) == 3000 and max(placed.values()) == 1  # none twice
    assert {call_id for call_id, _ in placed} == set(ids)  # none left
    assert len({e["pid"] for e in entries}) == 3  # all three took part
    assert Call.objects.filter(pk__in=ids, status="done").count() == 3000
    assert CallAttempt.objects.filter(call_id__in=ids).count() == 3000
    assert not Call.objects.filter(pk__in=ids, hangup_cause="INTERRUPTED").exists()
    assert set(Call.objects.filter(pk__in=ids).values_list("caller_id", flat=True)) == {
        "02873000000"
    }
    # Trunk limits held in total, as the calls were placed (wall-clock times of all three).
    assert max_overlap([(e["placed_at"], e["ended_at"]) for e in entries]) <= MAX_CHANNELS
    starts = sorted(e["placed_at"] for e in entries)
    window = 0
    most = 0
    for i, t in enumerate(starts):
        while starts[window] <= t - 1.0:
            window += 1
        most = max(most, i - window + 1)
    # Start slots are handed out exactly 1/cps apart across the three processes; a process
    # the OS starves starts its (few, <= 0.1 s worth) claimed calls late, which can crowd
    # another's slots: the check allows that 10%.
    assert most <= CALLS_PER_SECOND * 1.1 + 1, f"{most} calls started within one second"
