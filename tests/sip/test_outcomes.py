"""Outcomes as a carrier-grade user agent records them: 3xx, an answer without a codec in
common, temporary failures with Retry-After, and the caller identity in the INVITE."""

import asyncio

import pytest

from aicall.dialer import policy
from aicall.telephony import base, health
from aicall.telephony.sip.carrier import SipCarrier
from aicall.telephony.sip.causes import outcome_from_event
from tests.sip.harness import free_udp_port, scenario_with
from tests.sip.test_calls import place, request

pytestmark = pytest.mark.sip


def test_a_302_is_followed_through_the_same_trunk_to_the_number_it_names(sipp, tmp_path):
    second = sipp("redirect_target.xml")  # checks the INVITE is for 0901234567
    first = sipp(
        scenario_with("redirect.xml", tmp_path, code=302),
        keys={"target": f"sip:+84901234567@127.0.0.1:{second.port};user=phone"},
    )
    outcome, started = asyncio.run(place(first, request(first)))
    assert second.proc.wait(10) == 0, second.errors()
    assert outcome.answered and len(started) == 1
    assert outcome.hangup_cause == base.NORMAL_CLEARING and outcome.sip_code == 200
    assert outcome.redirect_hops == 1


def test_redirects_stop_after_three_hops_and_keep_the_3xx(sipp, tmp_path):
    port = free_udp_port()
    looping = sipp(
        scenario_with("redirect.xml", tmp_path, code=301),
        calls=4,
        port=port,
        keys={"target": f"sip:0901234567@127.0.0.1:{port}"},
    )
    outcome, started = asyncio.run(place(looping, request(looping)))
    assert not outcome.answered and not started
    assert (outcome.hangup_cause, outcome.sip_code) == (base.REDIRECTED, 301)
    assert outcome.redirect_hops == 3  # four INVITEs in all, SIPp saw each (exited 0)


@pytest.mark.parametrize(
    "target",
    ["sip:alice@evil.example.com", "sip:0901234567%0d%0aX-Injected:1@127.0.0.1"],
)
def test_a_redirect_to_something_other_than_a_phone_number_is_not_followed(sipp, tmp_path, target):
    callee = sipp(scenario_with("redirect.xml", tmp_path, code=302), keys={"target": target})
    outcome, started = asyncio.run(place(callee, request(callee)))
    assert not outcome.answered and not started
    assert (outcome.hangup_cause, outcome.sip_code) == (base.REDIRECTED, 302)
    assert outcome.redirect_hops == 0


def test_an_answer_offering_only_g722_is_incompatible_and_never_answered(sipp):
    callee = sipp("g722_only.xml")  # expects our ACK, then our BYE
    outcome, started = asyncio.run(place(callee, request(callee)))
    assert not outcome.answered and started == []  # no call.started
    assert (outcome.hangup_cause, outcome.sip_code) == (base.INCOMPATIBLE_DESTINATION, 488)
    assert outcome.duration_seconds == 0 and outcome.answered_after_seconds is None


@pytest.mark.parametrize(
    ("code", "note"),
    [
        (503, base.NORMAL_TEMPORARY_FAILURE),
        (480, base.NO_USER_RESPONSE),
        (486, base.USER_BUSY),
        (408, base.RECOVERY_ON_TIMER_EXPIRE),
    ],
)
def test_a_rejection_with_retry_after_carries_it_in_the_outcome(sipp, tmp_path, code, note):
    scenario = scenario_with("reject_retry_after.xml", tmp_path, code=code)
    callee = sipp(scenario, keys={"retry": "120"})
    outcome, _ = asyncio.run(place(callee, request(callee)))
    assert not outcome.answered
    assert (outcome.hangup_cause, outcome.sip_code) == (note, code)
    assert outcome.retry_after_seconds == 120


def test_a_rejection_without_retry_after_has_none(sipp):
    callee = sipp("busy_486.xml")
    outcome, _ = asyncio.run(place(callee, request(callee)))
    assert outcome.sip_code == 486 and outcome.retry_after_seconds is None


def test_caller_identity_headers_are_sent_as_the_trunk_says(sipp):
    # SIPp's regex actions (check_it) fail the scenario unless From, P-Asserted-Identity,
    # Privacy and the extra header are exactly as configured.
    callee = sipp("identity_check.xml")
    trunk = {
        "caller_id_format": "e164",
        "display_name": "Shop ABC",
        "send_pai": True,
        "privacy": "id",
        "extra_headers": {"X-Account-Code": "acme-42"},
    }
    outcome, _ = asyncio.run(place(callee, request(callee, caller_id="02873001234", trunk=trunk)))
    assert (outcome.hangup_cause, outcome.sip_code) == (base.USER_BUSY, 486)


def test_an_unsafe_extra_header_is_refused_and_nothing_is_sent(sipp):
    callee = sipp("busy_486.xml")
    trunk = {"extra_headers": {"X-Note": "ok\r\nP-Asserted-Identity: <sip:police@gov>"}}

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1")
        await carrier.start()
        try:
            return await carrier.place_call(request(callee, trunk=trunk))
        finally:
            await carrier.stop()

    outcome = asyncio.run(scenario())
    assert outcome.hangup_cause == base.NORMAL_TEMPORARY_FAILURE and outcome.sip_code is None
    assert callee.proc.poll() is None  # SIPp is still waiting: no INVITE reached it


def test_an_unreachable_tcp_trunk_is_a_temporary_failure_with_its_code():
    closed = free_udp_port()  # nothing listens on TCP there: the connection is refused

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1")
        await carrier.start()
        try:
            trunk = base.TrunkConfig(name="down", proxy=f"sip:127.0.0.1:{closed}", transport="tcp")
            req = base.CallRequest(
                call_id=1,
                attempt=1,
                callee_e164="+84912345678",
                caller_id="0281234567",
                script_text="Xin chào",
                trunk=trunk,
            )
            return await asyncio.wait_for(carrier.place_call(req), 20)
        finally:
            await carrier.stop()

    outcome = asyncio.run(scenario())
    assert not outcome.answered
    # PJSIP reports the transport error as a 503 of its own: the note says the trunk was
    # never reached (a 503 the trunk sends is NORMAL TEMPORARY FAILURE, test above).
    assert (outcome.hangup_cause, outcome.sip_code) == (base.TRUNK_UNREACHABLE, 503)
    assert outcome.hangup_cause in policy.TEMPORARY_CAUSES and health.is_timeout(outcome)


@pytest.mark.parametrize(
    ("event", "note"),
    [
        ({"code": 408, "local": True}, base.TRUNK_TIMEOUT),
        ({"code": 408}, base.RECOVERY_ON_TIMER_EXPIRE),
        ({"code": 503, "local": True}, base.TRUNK_UNREACHABLE),
        ({"code": 503}, base.NORMAL_TEMPORARY_FAILURE),
        ({"code": 486, "local": True}, base.USER_BUSY),
    ],
)
def test_a_final_response_pjsip_made_up_is_told_apart_from_the_trunks(event, note):
    outcome = outcome_from_event({"ev": "done", "answered": False, **event})
    assert (outcome.hangup_cause, outcome.sip_code) == (note, event["code"])
    # Either way a timeout or an unreachable trunk is retried and counts towards "down".
    if event["code"] in (408, 503):
        assert note in policy.TEMPORARY_CAUSES
    if event.get("local"):
        assert health.is_timeout(outcome) == (event["code"] in (408, 503))
