"""Retries, calling hours (frozen clock), do-not-call, OTP expiry, stop/start, webhooks."""

from datetime import datetime, timedelta

import pytest

from aicall.calls.models import Call, CallAttempt, CallStatus
from aicall.calls.services import do_add_do_not_call
from aicall.campaigns.services import (
    do_create_campaign,
    do_start_campaign,
    do_stop_campaign,
)
from aicall.dialer.policy import VIETNAM
from aicall.webhooks.models import WebhookDelivery
from tests.dialer.conftest import FakeClock, RecordingCarrier, numbers, queue, settled, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ALWAYS = "00:00-24:00"


def ivr(user, **extra):
    raw = {"name": "b", "campaign_type": "ivr", "calling_hours": ALWAYS, **extra}
    return do_create_campaign(user.pk, raw, start=True)


def attempts_of(call_id: int) -> list[tuple[int, str]]:
    return list(
        CallAttempt.objects.filter(call_id=call_id)
        .order_by("attempt")
        .values_list("attempt", "hangup_cause")
    )


def test_retries_only_busy_no_answer_and_keep_history(user, harness):
    campaign = ivr(user, max_attempts=3, retry_interval_seconds=60, ring_timeout_seconds=5)
    ids = queue(
        campaign,
        [
            {"phone_number": "0901000003"},  # busy -> retried
            {"phone_number": "0901000004"},  # no answer -> retried
            {"phone_number": "0901000005"},  # rejected -> never retried
            {"phone_number": "0901000000"},  # answered
        ],
    )
    busy, no_answer, rejected, answered = ids
    clock = FakeClock()
    carrier = RecordingCarrier(speed=1000)
    h = harness(carrier, clock=clock)

    def first_round_done() -> bool:
        return (
            Call.objects.filter(pk__in=ids, status=CallStatus.DIALING).count() == 0
            and (Call.objects.filter(pk__in=[busy, no_answer], attempt_count=1).count() == 2)
            and Call.objects.filter(pk__in=[rejected, answered], status="done").count() == 2
        )

    wait_until(first_round_done)
    queued = Call.objects.get(pk=busy)
    assert queued.status == CallStatus.QUEUED and queued.state is None
    assert queued.due_at == clock.now() + timedelta(seconds=60)
    # Not due yet: nothing more is placed until the interval has passed.
    import time

    time.sleep(0.3)
    assert len(carrier.requests) == 4
    for attempt in (2, 3):
        clock.advance(61)
        wait_until(
            lambda attempt=attempt: (
                Call.objects.filter(pk__in=[busy, no_answer], attempt_count=attempt)
                .exclude(status=CallStatus.DIALING)
                .count()
                == 2
            )
        )
    wait_until(settled(campaign))
    clock.advance(1000)
    time.sleep(0.3)
    h.stop()
    assert len(carrier.requests) == 8  # 3 + 3 + 1 + 1
    assert attempts_of(busy) == [(1, "USER BUSY"), (2, "USER BUSY"), (3, "USER BUSY")]
    assert attempts_of(no_answer) == [(1, "NO ANSWER"), (2, "NO ANSWER"), (3, "NO ANSWER")]
    assert attempts_of(rejected) == [(1, "CALL REJECTED")]
    assert attempts_of(answered) == [(1, "NORMAL CLEARING")]
    final = Call.objects.get(pk=busy)
    assert (final.state, final.hangup_cause, final.attempt_count) == (50, "USER BUSY", 3)


def test_one_attempt_unless_the_campaign_asks_for_more(user, harness):
    campaign = ivr(user, retry_interval_seconds=10)
    (busy,) = queue(campaign, [{"phone_number": "0901000003"}])
    carrier = RecordingCarrier()
    clock = FakeClock()
    h = harness(carrier, clock=clock)
    wait_until(settled(campaign))
    clock.advance(3600)
    import time

    time.sleep(0.3)
    h.stop()
    assert len(carrier.requests) == 1
    assert Call.objects.get(pk=busy).state == 50


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


def test_calling_window_with_a_frozen_clock(user, harness):
    # Monday 2026-11-23, 07:59:30 in Vietnam; calls due a minute earlier.
    clock = FakeClock(vn(2026, 11, 23, 7, 59, 30))
    office = ivr(user, calling_hours="08:00-17:00", calling_weekdays="01234")
    otp = do_create_campaign(user.pk, {"name": "otp", "campaign_type": "voice_otp"}, start=True)
    queue(office, numbers(3, "0"))
    queue(otp, [{"phone_number": "0351234000", "otp_code": "654321"}])
    Call.objects.update(due_at=clock.now() - timedelta(minutes=1), created_at=clock.now())
    carrier = RecordingCarrier()
    h = harness(carrier, clock=clock)
    wait_until(settled(otp))  # OTP ignores calling hours
    import time

    time.sleep(0.4)
    assert carrier.numbers() == ["+84351234000"]
    clock.at = vn(2026, 11, 23, 8, 0, 0)  # the window opens
    wait_until(settled(office))
    assert len(carrier.requests) == 4
    # Saturday morning: weekdays 0-4 only.
    more = queue(office, numbers(2, "8", prefix="08"))
    clock.at = vn(2026, 11, 28, 10, 0, 0)
    Call.objects.filter(pk__in=more).update(due_at=clock.now())
    time.sleep(0.4)
    assert len(carrier.requests) == 4
    # 17:00 is outside 08:00-17:00 on a Monday too.
    clock.at = vn(2026, 11, 30, 17, 0, 0)
    time.sleep(0.4)
    assert len(carrier.requests) == 4
    clock.at = vn(2026, 11, 30, 16, 59, 59)
    wait_until(settled(office))
    h.stop()
    assert len(carrier.requests) == 6


def test_do_not_call_numbers_are_never_dialled(user, other_user, harness):
    campaign = ivr(user, webhook_url="https://example.com/hook")
    do_add_do_not_call(user.pk, "0901 000 010", note="asked on 2026-11-20")
    do_add_do_not_call(other_user.pk, "0901000020")  # another account's list: no effect
    ids = queue(
        campaign,
        [{"phone_number": "0901000010"}, {"phone_number": "0901000020"}],
    )
    carrier = RecordingCarrier()
    h = harness(carrier)
    wait_until(settled(campaign))
    h.stop()
    assert carrier.numbers() == ["+84901000020"]
    blocked = Call.objects.get(pk=ids[0])
    assert (blocked.state, blocked.hangup_cause, blocked.attempt_count) == (50, "DO NOT CALL", 0)
    assert blocked.called_at is not None and blocked.duration_seconds == 0
    assert not CallAttempt.objects.filter(call_id=ids[0]).exists()
    events = WebhookDelivery.objects.filter(call_id=ids[0])
    assert [e.payload["data"]["note"] for e in events] == ["DO NOT CALL"]


def test_expired_otp_is_never_placed(user, harness):
    otp = do_create_campaign(
        user.pk, {"name": "otp", "campaign_type": "voice_otp", "otp_expiry_seconds": 30}, start=True
    )
    stale, fresh = queue(
        otp,
        [
            {"phone_number": "0351234001", "otp_code": "111111"},
            {"phone_number": "0351234002", "otp_code": "222222"},
        ],
    )
    clock = FakeClock()
    Call.objects.filter(pk=stale).update(created_at=clock.now() - timedelta(seconds=31))
    carrier = RecordingCarrier()
    h = harness(carrier, clock=clock)
    wait_until(settled(otp))
    h.stop()
    assert carrier.numbers() == ["+84351234002"]
    expired = Call.objects.get(pk=stale)
    assert (expired.state, expired.hangup_cause, expired.attempt_count) == (50, "OTP EXPIRED", 0)
    assert Call.objects.get(pk=fresh).state == 40


def test_stop_lets_running_calls_finish_and_start_resumes(user, harness):
    campaign = ivr(user, max_concurrent_calls=2)
    ids = queue(campaign, numbers(8, "0"))
    carrier = RecordingCarrier(hold_seconds=0.6)
    h = harness(carrier)
    wait_until(lambda: len(carrier.requests) == 2)
    do_stop_campaign(campaign)
    wait_until(lambda: Call.objects.filter(pk__in=ids, status="done").count() == 2, timeout=5)
    import time

    time.sleep(0.5)
    assert len(carrier.requests) == 2  # nothing new after the stop
    assert Call.objects.filter(pk__in=ids, status="queued").count() == 6
    do_start_campaign(campaign)
    wait_until(settled(campaign))
    h.stop()
    assert len(carrier.requests) == 8
    assert Call.objects.filter(pk__in=ids, state=40).count() == 8


def test_webhook_events_are_queued_with_the_result(user, harness):
    campaign = ivr(
        user,
        webhook_url="https://example.com/hook",
        webhook_call_started=True,
        caller_id="0281234567",
    )
    answered, busy = queue(
        campaign, [{"phone_number": "0901000001"}, {"phone_number": "0901000003"}]
    )
    h = harness(RecordingCarrier())
    wait_until(settled(campaign))
    h.stop()
    events = {
        (e.call_id, e.event): e.payload for e in WebhookDelivery.objects.filter(campaign=campaign)
    }
    assert set(events) == {
        (answered, "call.started"),
        (answered, "call.finished"),
        (busy, "call.finished"),
    }
    assert events[(answered, "call.started")]["data"]["state"] == 20
    done = events[(answered, "call.finished")]["data"]
    assert (done["state"], done["key_press"], done["caller_id"]) == (40, "1 (2)", "0281234567")
    assert events[(busy, "call.finished")]["data"]["note"] == "USER BUSY"


def test_script_is_rendered_for_each_contact(user, harness):
    campaign = ivr(user, script="Chào {danh_xung} {ho_ten}, mã đơn {order_no}, {missing}.")
    queue(
        campaign,
        [{"phone_number": "0901000000", "danh_xung": "anh", "ho_ten": "Nam", "order_no": 42}],
    )
    carrier = RecordingCarrier()
    h = harness(carrier)
    wait_until(settled(campaign))
    h.stop()
    assert carrier.requests[0].script_text == "Chào anh Nam, mã đơn 42, {missing}."


def test_prometheus_counters_follow_the_calls(user, harness):
    from prometheus_client import REGISTRY

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    names = [
        ("aicall_dialer_calls_started_total", {}),
        ("aicall_dialer_calls_answered_total", {}),
        ("aicall_dialer_calls_failed_total", {"cause": "USER BUSY"}),
        ("aicall_dialer_calls_not_placed_total", {"reason": "DO NOT CALL"}),
    ]
    before = [value(n, **labels) for n, labels in names]
    campaign = ivr(user)
    do_add_do_not_call(user.pk, "0901000009")
    queue(
        campaign,
        [
            {"phone_number": "0901000001"},
            {"phone_number": "0901000003"},
            {"phone_number": "0901000009"},
        ],
    )
    h = harness(RecordingCarrier())
    wait_until(settled(campaign))
    h.stop()
    after = [value(n, **labels) for n, labels in names]
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1, 1]
