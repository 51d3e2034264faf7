"""The dialer's pure rules: calling hours, retry policy, the contract's formats, the script,
and the sandbox's plan for each last digit."""

import functools
from datetime import datetime, time

import pytest

from aicall.campaigns.script import contact_values, render_script
from aicall.dialer.policy import (
    VIETNAM,
    format_key_press,
    in_calling_hours,
    retry_delay_seconds,
    should_retry,
    whole_seconds,
)
from aicall.telephony.base import CallRequest
from aicall.telephony.sandbox import plan_call, speech_seconds

MONDAY = datetime(2026, 11, 23, tzinfo=VIETNAM)


def at(hour: int, minute: int = 0, second: int = 0, day: int = 0) -> datetime:
    return MONDAY.replace(day=23 + day, hour=hour, minute=minute, second=second)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(7, 59, 59), False),
        (at(8, 0, 0), True),
        (at(16, 59, 59), True),
        (at(17, 0, 0), False),
        (at(23, 0), False),
    ],
)
def test_office_hours_are_start_inclusive_end_exclusive(moment, expected):
    assert in_calling_hours(time(8), time(17), "0123456", moment) is expected


def test_calling_hours_are_read_in_vietnam_time_whatever_the_clock_zone():
    from datetime import UTC

    # 01:30 UTC is 08:30 in Ho Chi Minh City.
    assert in_calling_hours(time(8), time(17), "0123456", datetime(2026, 11, 23, 1, 30, tzinfo=UTC))
    assert not in_calling_hours(
        time(8), time(17), "0123456", datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    )


def test_around_the_clock_and_weekdays():
    always = (time(0), time(0))
    assert in_calling_hours(*always, "0123456", at(0, 0))
    assert in_calling_hours(*always, "0123456", at(23, 59, 59))
    assert in_calling_hours(time(20), time(0), "0123456", at(23, 59))  # 20:00-24:00
    assert not in_calling_hours(time(20), time(0), "0123456", at(19, 59))
    assert not in_calling_hours(*always, "01234", at(10, day=5))  # Saturday
    assert in_calling_hours(*always, "56", at(10, day=6))  # Sunday


def test_retry_policy():
    for cause in ("USER BUSY", "NO ANSWER", "NO USER RESPONSE", "NORMAL TEMPORARY FAILURE"):
        assert should_retry(is_otp=False, cause=cause, attempt=1, max_attempts=2)
        assert not should_retry(is_otp=False, cause=cause, attempt=2, max_attempts=2)
        assert not should_retry(is_otp=False, cause=cause, attempt=1, max_attempts=1)
    # A busy or silent callee is not worth a late OTP; a failure of the network is.
    for cause in ("USER BUSY", "NO ANSWER", "NO USER RESPONSE", "CALL REJECTED"):
        assert not should_retry(is_otp=True, cause=cause, attempt=1, max_attempts=3)
    temporary = (
        "NORMAL TEMPORARY FAILURE",
        "RECOVERY ON TIMER EXPIRE",
        "NETWORK OUT OF ORDER",
        "TRUNK UNAVAILABLE",
    )
    for cause in temporary:
        assert should_retry(is_otp=False, cause=cause, attempt=1, max_attempts=2)
        assert should_retry(is_otp=True, cause=cause, attempt=1, max_attempts=2)
        assert not should_retry(is_otp=True, cause=cause, attempt=2, max_attempts=2)
    for cause in ("CALL REJECTED", "UNALLOCATED NUMBER", "NORMAL CLEARING", "DO NOT CALL"):
        assert not should_retry(is_otp=False, cause=cause, attempt=1, max_attempts=5)
    for cause in ("INCOMPATIBLE DESTINATION", "REDIRECTION TO NEW DESTINATION", "MEDIA TIMEOUT"):
        assert not should_retry(is_otp=False, cause=cause, attempt=1, max_attempts=5)


def test_retry_delay_honours_retry_after():
    delay = functools.partial(retry_delay_seconds, otp_retry_seconds=10.0)
    assert delay(is_otp=False, retry_interval_seconds=300, retry_after_seconds=None) == 300
    # Never sooner than the trunk asked, never sooner than the campaign's interval.
    assert delay(is_otp=False, retry_interval_seconds=300, retry_after_seconds=30) == 300
    assert delay(is_otp=False, retry_interval_seconds=60, retry_after_seconds=120) == 120
    assert delay(is_otp=False, retry_interval_seconds=60, retry_after_seconds=10**6) == 3600
    # An OTP retries soon (its code expires), but still waits for Retry-After.
    assert delay(is_otp=True, retry_interval_seconds=300, retry_after_seconds=None) == 10
    assert delay(is_otp=True, retry_interval_seconds=300, retry_after_seconds=25) == 25


def test_contract_formats():
    assert format_key_press([("1", 29.4), ("2", 35.0)]) == "1 (29), 2 (35)"
    assert format_key_press([]) == ""
    assert whole_seconds(7.0) == 7 and whole_seconds(6.5) == 7 and whole_seconds(0.2) == 0


def test_script_fills_placeholders_and_keeps_unknown_ones():
    values = contact_values(
        phone_e164="+84901234567",
        danh_xung="chị",
        ho_ten="Trần Thị B",
        custom_fields={"so_tien": 150000, "ho_ten": "ignored", "paid": True},
    )
    text = "Kính gửi {danh_xung} {ho_ten} ({phone_number}): {so_tien} đồng, {paid}. {unknown}"
    assert render_script(text, values) == (
        "Kính gửi chị Trần Thị B (0901234567): 150000 đồng, có. {unknown}"
    )


@pytest.mark.parametrize(
    "template", ["{", "}", "{}", "{{danh_xung}}", "{0}", "{a b}", "{danh_xung", "%s {!r}"]
)
def test_script_rendering_never_fails(template):
    out = render_script(template, contact_values(phone_e164="+84901234567", danh_xung="anh"))
    assert isinstance(out, str)
    assert render_script("{{danh_xung}}", {"danh_xung": "anh"}) == "{anh}"


def request(phone: str, script: str = "x" * 60, **extra) -> CallRequest:
    return CallRequest(
        call_id=1, attempt=1, callee_e164=phone, caller_id="", script_text=script, **extra
    )


def test_speech_seconds_rule():
    assert speech_seconds(request("+84901234560", "x" * 60)) == 5  # 60 chars / 12 per s
    assert speech_seconds(request("+84901234560", "x" * 61)) == 6
    assert speech_seconds(request("+84901234560", "")) == 3  # at least 3 s
    otp = request("+84901234560", "", otp_code="123456", otp_repeat_count=3)
    assert speech_seconds(otp) == 14  # 3 x (6 x 0.6 + 1) = 13.8


@pytest.mark.parametrize(
    ("digit", "answered", "note", "sip", "duration", "keys"),
    [
        ("0", True, "NORMAL CLEARING", 200, 5, []),
        ("1", True, "NORMAL CLEARING", 200, 5, [("1", 2.0)]),
        ("2", True, "NORMAL CLEARING", 200, 5, [("2", 2.0), ("9", 4.0)]),
        ("3", False, "USER BUSY", 486, 0, []),
        ("4", False, "NO ANSWER", 487, 0, []),
        ("5", False, "CALL REJECTED", 603, 0, []),
        ("6", False, "UNALLOCATED NUMBER", 404, 0, []),
        ("7", True, "NORMAL CLEARING", 200, 5, []),
        ("8", True, "NORMAL CLEARING", 200, 5, []),
        ("9", True, "NORMAL CLEARING", 200, 5, []),
    ],
)
def test_sandbox_plan(digit, answered, note, sip, duration, keys):
    outcome, _ = plan_call(request(f"+8490123456{digit}", ring_timeout_seconds=20))
    assert (outcome.answered, outcome.hangup_cause, outcome.sip_code) == (answered, note, sip)
    assert outcome.duration_seconds == duration and outcome.key_presses == keys


def test_sandbox_no_answer_rings_for_the_ring_timeout():
    _, seconds = plan_call(request("+84901234564", ring_timeout_seconds=20))
    assert seconds == 20


def test_carrier_registry(settings):
    from aicall.telephony.registry import RoutingCarrier, UnknownTelephony, get_carrier
    from aicall.telephony.sandbox import SandboxCarrier

    settings.AICALL = {**settings.AICALL, "TELEPHONY": "sandbox", "SANDBOX_SPEED": 50.0}
    carrier = get_carrier()
    assert isinstance(carrier, SandboxCarrier) and carrier.speed == 50.0
    with pytest.raises(UnknownTelephony):
        get_carrier("pots")
    # Unset means per call: a RoutingCarrier that has not loaded PJSIP.
    settings.AICALL = {**settings.AICALL, "TELEPHONY": ""}
    routed = get_carrier()
    assert isinstance(routed, RoutingCarrier) and routed.sip is None
    assert routed.name_for(request("+84901234560")) == "sandbox"
