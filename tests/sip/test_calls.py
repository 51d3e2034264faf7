"""Real calls through the SIP carrier to SIPp callees on 127.0.0.1, one scenario each."""

import asyncio

import pytest

from aicall.telephony import base
from aicall.telephony.base import CallRequest, TrunkConfig
from aicall.telephony.sip.carrier import SipCarrier
from tests.sip.harness import Sipp

pytestmark = pytest.mark.sip

THANKS = "Cảm ơn quý khách đã xác nhận đơn hàng, chúc quý khách một ngày tốt lành"
PRESS_1 = {
    "timeout_seconds": 5,
    "keys": {"1": {"action": "message", "message": THANKS, "then": "hangup"}},
}


def request(callee: Sipp, **kwargs) -> CallRequest:
    trunk = TrunkConfig(name="test", proxy=callee.proxy, **kwargs.pop("trunk", {}))
    defaults = {
        "call_id": 1,
        "attempt": 1,
        "callee_e164": "+84912345678",
        "caller_id": "0281234567",
        "script_text": "Xin chào quý khách",
        "trunk": trunk,
    }
    return CallRequest(**{**defaults, **kwargs})


async def place(callee: Sipp, req: CallRequest, during=None) -> tuple[base.CallOutcome, list]:
    carrier = SipCarrier(bind_address="127.0.0.1")
    answered: list[float] = []
    await carrier.start()
    try:
        call = asyncio.create_task(
            carrier.place_call(req, lambda: answered.append(asyncio.get_running_loop().time()))
        )
        if during is not None:
            await during(carrier)
        outcome = await asyncio.wait_for(call, 30)
    finally:
        await carrier.stop()
    code = await callee.wait()
    assert code == 0, f"SIPp exited with {code}: {callee.errors()}"
    return outcome, answered


def test_answer_and_press_1_rfc4733(sipp):
    callee = sipp("answer_press1.xml")
    outcome, answered = asyncio.run(place(callee, request(callee, ivr_menu=PRESS_1)))
    assert outcome.answered and len(answered) == 1
    assert outcome.hangup_cause == base.NORMAL_CLEARING and outcome.sip_code == 200
    assert [k for k, _ in outcome.key_presses] == ["1"]
    assert 0 <= outcome.key_presses[0][1] < 2
    # The thanks message (~4 s) plays after the key, then aicall hangs up.
    assert 3 < outcome.duration_seconds < 9


def test_keys_by_sip_info(sipp):
    callee = sipp("info_keys.xml")
    menu = {"timeout_seconds": 3, "keys": {"2": {"action": "repeat"}}}
    outcome, _ = asyncio.run(place(callee, request(callee, ivr_menu=menu)))
    assert outcome.hangup_cause == base.NORMAL_CLEARING
    assert [k for k, _ in outcome.key_presses] == ["2", "9"]
    first, second = (s for _, s in outcome.key_presses)
    assert 0.8 < first < 2 and 0.5 < second - first < 1.5


@pytest.mark.parametrize(
    ("scenario", "note", "code"),
    [
        ("busy_486.xml", base.USER_BUSY, 486),
        ("decline_603.xml", base.CALL_REJECTED, 603),
        ("unknown_404.xml", base.UNALLOCATED_NUMBER, 404),
    ],
)
def test_failed_calls(sipp, scenario, note, code):
    callee = sipp(scenario)
    outcome, answered = asyncio.run(place(callee, request(callee)))
    assert not outcome.answered and not answered
    assert (outcome.hangup_cause, outcome.sip_code) == (note, code)
    assert outcome.duration_seconds == 0 and outcome.key_presses == []


def test_ring_without_answer_cancels_after_ring_timeout(sipp):
    callee = sipp("ring_no_answer.xml")
    started = asyncio.run(_timed(callee, request(callee, ring_timeout_seconds=2)))
    outcome, elapsed = started
    assert not outcome.answered
    assert outcome.hangup_cause == base.NO_ANSWER and outcome.sip_code == 487
    assert 1.9 < elapsed < 5


async def _timed(callee, req):
    loop = asyncio.get_running_loop()
    begin = loop.time()
    outcome, _ = await place(callee, req)
    return outcome, loop.time() - begin


def test_callee_hangs_up_after_5_seconds(sipp):
    callee = sipp("callee_hangup.xml")
    menu = {"timeout_seconds": 30, "keys": {"1": {"action": "hangup"}}}
    outcome, _ = asyncio.run(place(callee, request(callee, ivr_menu=menu)))
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING
    assert 4.8 < outcome.duration_seconds < 6.0


def test_trunk_with_digest_authentication(sipp):
    callee = sipp("digest_auth.xml")
    trunk = {"username": "trunkuser", "password": "s3cret-pw", "realm": "trunk.test"}
    outcome, _ = asyncio.run(place(callee, request(callee, trunk=trunk)))
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING


def test_digest_authentication_with_a_wrong_password_is_rejected(sipp):
    callee = sipp("digest_auth.xml")
    trunk = {"username": "trunkuser", "password": "wrong", "realm": "trunk.test"}
    outcome, _ = asyncio.run(place(callee, request(callee, trunk=trunk)))
    assert not outcome.answered
    assert (outcome.hangup_cause, outcome.sip_code) == (base.CALL_REJECTED, 403)


def test_transfer_on_key_press_sends_refer(sipp):
    callee = sipp("transfer_refer.xml")
    menu = {"timeout_seconds": 5, "keys": {"1": {"action": "transfer", "target": "0901234567"}}}
    outcome, _ = asyncio.run(place(callee, request(callee, ivr_menu=menu)))
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING
    assert [k for k, _ in outcome.key_presses] == ["1"]
    assert outcome.transferred_to == f"sip:0901234567@127.0.0.1:{callee.port}"


def test_media_worker_killed_mid_call_settles_the_call(sipp):
    import os
    import signal

    callee = sipp("answer_hold.xml", timeout_s=15, extra=("-d", "8000"))
    menu = {"timeout_seconds": 30, "keys": {"1": {"action": "hangup"}}}

    async def kill_worker(carrier):
        while carrier.channels_in_use() == 0:
            await asyncio.sleep(0.05)
        await asyncio.sleep(2)
        os.kill(carrier.worker_pids()[0], signal.SIGKILL)

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1")
        await carrier.start()
        try:
            call = asyncio.create_task(carrier.place_call(request(callee, ivr_menu=menu)))
            await kill_worker(carrier)
            outcome = await asyncio.wait_for(call, 10)
            # The pool replaces the worker: the next call goes through.
            again = sipp("busy_486.xml")
            second = await carrier.place_call(request(again))
        finally:
            await carrier.stop()
        return outcome, second

    outcome, second = asyncio.run(scenario())
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_TEMPORARY_FAILURE
    assert 1.5 < outcome.duration_seconds < 4
    assert second.hangup_cause == base.USER_BUSY


def test_a_stuck_media_worker_is_killed_and_its_call_settled(sipp, monkeypatch):
    import os
    import signal

    from aicall.telephony.sip import carrier as carrier_module

    monkeypatch.setattr(carrier_module, "MAX_CALL_SECONDS", 2)
    monkeypatch.setattr(carrier_module, "STUCK_GRACE_SECONDS", 0)
    monkeypatch.setattr(carrier_module, "HANGUP_GRACE_SECONDS", 1)
    callee = sipp("answer_hold.xml", timeout_s=15, extra=("-d", "6000"))
    menu = {"timeout_seconds": 30, "keys": {"1": {"action": "hangup"}}}

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1")
        await carrier.start()
        try:
            call = asyncio.create_task(
                carrier.place_call(request(callee, ivr_menu=menu, ring_timeout_seconds=1))
            )
            while carrier.channels_in_use() == 0:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            pid = carrier.worker_pids()[0]
            os.kill(pid, signal.SIGSTOP)  # alive but deaf: no event will ever come
            outcome = await asyncio.wait_for(call, 15)
            assert pid not in carrier.worker_pids()
        finally:
            await carrier.stop()
        return outcome

    outcome = asyncio.run(scenario())
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_TEMPORARY_FAILURE
    assert 3 < outcome.duration_seconds < 6


@pytest.mark.usefixtures("transfers_to_loopback")
def test_refused_refer_falls_back_to_a_bridged_second_leg(sipp):
    callee = sipp("refer_refused.xml")
    agent = sipp("agent_answer.xml")
    target = f"sip:agent@127.0.0.1:{agent.port}"
    menu = {"timeout_seconds": 5, "keys": {"1": {"action": "transfer", "target": target}}}
    outcome, _ = asyncio.run(place(callee, request(callee, ivr_menu=menu)))
    assert agent.proc.wait(10) == 0, agent.errors()  # the target was called and answered
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING
    assert outcome.transferred_to == target
    # Bridged until the agent hung up (2 s after answering), then aicall ended the call.
    assert 2 < outcome.duration_seconds < 6


def test_proxy_authentication_407_is_answered_with_the_trunk_credentials(sipp):
    callee = sipp("digest_auth_407.xml")
    trunk = {"username": "trunkuser", "password": "s3cret-pw", "realm": "trunk.test"}
    outcome, _ = asyncio.run(place(callee, request(callee, trunk=trunk)))
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING


def test_a_tcp_trunk_places_its_calls_over_tcp(sipp):
    callee = sipp("busy_486.xml", extra=("-t", "t1"))
    outcome, _ = asyncio.run(place(callee, request(callee, trunk={"transport": "tcp"})))
    assert (outcome.hangup_cause, outcome.sip_code) == (base.USER_BUSY, 486)


def test_a_prompt_that_cannot_be_played_ends_the_call_as_a_temporary_failure(sipp, monkeypatch):
    from tests.sip.harness import free_udp_port

    callee = sipp("record_audio.xml", keys={"rtp_port": str(free_udp_port())})
    broken = {"clips": ["/nonexistent/prompt.wav"], "seconds": 3.0, "keys": {}}
    monkeypatch.setattr(SipCarrier, "build_plan", lambda self, request, trunk: broken)
    outcome, _ = asyncio.run(place(callee, request(callee)))
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_TEMPORARY_FAILURE
    assert outcome.duration_seconds < 1


def test_stopping_the_carrier_hangs_up_calls_in_progress_and_settles_them(sipp):
    callee = sipp("answer_hold.xml", extra=("-d", "1000"))
    menu = {"timeout_seconds": 30, "keys": {"1": {"action": "hangup"}}}

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1")
        await carrier.start()
        call = asyncio.create_task(carrier.place_call(request(callee, ivr_menu=menu)))
        while carrier.channels_in_use() == 0:
            await asyncio.sleep(0.05)
        await asyncio.sleep(2)
        await carrier.stop()
        return await asyncio.wait_for(call, 5)

    outcome = asyncio.run(scenario())
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING
    assert 1.5 < outcome.duration_seconds < 4
    assert callee.proc.wait(10) == 0, callee.errors()  # it got our BYE


@pytest.mark.usefixtures("transfers_to_loopback")
def test_transfer_calls_keep_a_slot_for_their_bridged_leg_when_workers_are_full(sipp):
    refusing = sipp("refer_refused.xml", calls=2)
    agent = sipp("agent_answer.xml", calls=2)
    others = sipp("answer_hold.xml", calls=2, extra=("-d", "1000"))
    target = f"sip:agent@127.0.0.1:{agent.port}"
    transfer_menu = {"timeout_seconds": 5, "keys": {"1": {"action": "transfer", "target": target}}}
    hold_menu = {"timeout_seconds": 5, "keys": {"9": {"action": "hangup"}}}

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1")
        await carrier.start()
        try:
            calls = [
                carrier.place_call(request(others, call_id=1, ivr_menu=hold_menu)),
                carrier.place_call(request(others, call_id=2, ivr_menu=hold_menu)),
                carrier.place_call(request(refusing, call_id=3, ivr_menu=transfer_menu)),
                carrier.place_call(request(refusing, call_id=4, ivr_menu=transfer_menu)),
            ]
            return await asyncio.wait_for(asyncio.gather(*calls), 40)
        finally:
            await carrier.stop()

    outcomes = asyncio.run(scenario())
    assert all(o.answered and o.hangup_cause == base.NORMAL_CLEARING for o in outcomes)
    assert [o.transferred_to for o in outcomes[2:]] == [target, target]
    for callee in (refusing, agent, others):
        assert callee.proc.wait(15) == 0, callee.errors()
