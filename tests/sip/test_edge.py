"""The SIP edge: a real Kamailio in front of the PJSIP workers, SIPp trunks on 127.0.0.1.

Each test runs its own Kamailio on free ports with its run directory under tmp_path (the
carrier supervises it, as `aicall dialer` does) and SIPp as the carrier's side.
"""

import asyncio
import os
import re
import signal
import socket
import time
from pathlib import Path

import pytest

from aicall.calls.models import Call
from aicall.campaigns.services import do_create_campaign, do_start_campaign
from aicall.telephony import base
from aicall.telephony.base import CallRequest
from aicall.telephony.models import RegistrationState, Trunk
from aicall.telephony.services import do_add_trunk
from aicall.telephony.sip.carrier import SipCarrier
from aicall.telephony.trunks import public_trunk, trunk_config
from tests.dialer.conftest import settled, wait_until
from tests.sip.edge_harness import received, use_edge

pytestmark = [pytest.mark.sip, pytest.mark.django_db(transaction=True)]

LONG_SCRIPT = "Xin chào quý khách, đây là cuộc gọi nhắc lịch hẹn của cửa hàng. " * 3
PBX_USER, PBX_PASSWORD = "trunkuser", "s3cret-pw"  # what registrar_trunk.xml verifies


def registrar(sipp, expires: int = 300):
    return sipp(
        "registrar_trunk.xml",
        calls=100000,
        timeout_s=180,
        keys={"reg_expires": str(expires)},
        extra=("-trace_msg",),
    )


def add_registering_trunk(proxy: str, password: str = PBX_PASSWORD, **extra) -> Trunk:
    return do_add_trunk(
        {
            "name": "pbx",
            "proxy": proxy,
            "username": PBX_USER,
            "password": password,
            "caller_id": "02873001234",
            "register": True,
            **extra,
        }
    )


def call_request(trunk: Trunk, call_id: int = 1) -> CallRequest:
    return CallRequest(
        call_id=call_id,
        attempt=1,
        callee_e164=f"+8491234{call_id:04d}",
        caller_id="02873001234",
        script_text=LONG_SCRIPT,
        trunk=trunk_config(Trunk.objects.get(pk=trunk.pk)),
    )


def trunk_state(trunk: Trunk) -> tuple[str, int | None]:
    trunk.refresh_from_db()
    return trunk.registration_state, trunk.registration_code


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def vias(invite: str) -> list[str]:
    return re.findall(r"^Via: SIP/2.0/UDP ([^;\s]+)", invite, re.M)


def campaign_of(user):
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "Nhắc lịch",
            "campaign_type": "ivr",
            "script": LONG_SCRIPT,
            "calling_hours": "00:00-24:00",
            "max_concurrent_calls": 50,
        },
    )
    return campaign


def import_numbers(api, token, campaign, count: int, start: int = 0) -> None:
    contacts = [{"phone_number": f"09012{i:05d}"} for i in range(start, start + count)]
    status, _ = api.post(
        f"/api/campaigns/{campaign.pk}/import", {"access_token": token, "contacts": contacts}
    )
    assert status == 200


def run_registrar_campaign(settings, tmp_path, sipp, harness, api, token, user, *, calls, cps,
                           workers):  # fmt: skip
    """A registrar trunk behind its own edge, and a running campaign of `calls` calls on it."""
    edge = use_edge(settings, tmp_path)
    trunk_side = registrar(sipp)
    trunk = add_registering_trunk(trunk_side.proxy, max_channels=40, calls_per_second=cps)
    campaign = campaign_of(user)
    import_numbers(api, token, campaign, calls)
    carrier = SipCarrier(bind_address="127.0.0.1", min_workers=workers)
    do_start_campaign(campaign)
    return edge, trunk_side, trunk, campaign, carrier, harness(carrier)


def test_registrar_trunk_twenty_calls_one_address_bye_reaches_the_worker(
    settings, tmp_path, sipp, harness, api, token, user
):
    edge, trunk_side, trunk, campaign, _, h = run_registrar_campaign(
        settings, tmp_path, sipp, harness, api, token, user, calls=20, cps=20, workers=6
    )
    wait_until(settled(campaign), timeout=90)
    registered = trunk_state(trunk)
    listed = public_trunk(trunk)
    h.stop()

    status, body = api.get(f"/api/campaigns/{campaign.pk}/export", access_token=token, limit=50)
    assert status == 200 and body["results"]["total"] == 20
    for call in body["results"]["calls"]:
        # The trunk hung up after 2 s with a BYE through the edge (the prompt lasts ~15 s).
        assert (call["state"], call["note"]) == (40, "NORMAL CLEARING"), trunk_side.errors()
        assert 1 <= call["duration"] <= 4
    # Registered once with digest (401, then verifyauth), and the state says so.
    assert registered == (RegistrationState.REGISTERED, 200)
    assert listed["registration"]["state"] == "registered"
    registers = received(trunk_side, "REGISTER")
    assert len(registers) == 2 and "Authorization: Digest" in registers[1]
    # Every INVITE came from the edge's one address (the registered contact) …
    invites = received(trunk_side, "INVITE")
    assert len(invites) == 20
    edge_address = f"127.0.0.1:{edge['SIP_EDGE_PORT']}"
    assert {vias(i)[0] for i in invites} == {edge_address}
    assert f"@{edge_address}" in re.search(r"^Contact: (.*)$", registers[1], re.M).group(1)
    # … placed by several workers (the next Via is the worker's own port).
    assert len({vias(i)[1] for i in invites}) >= 3
    # The trunk's 20 BYEs were answered by the workers that held the calls.
    assert len(received(trunk_side, "BYE")) == 0  # SIPp sent them; it received none
    assert sum(m.count("SIP/2.0 200 OK") for m in received_responses(trunk_side, "BYE")) == 20


def received_responses(callee, method: str) -> list[str]:
    from tests.sip.edge_harness import messages

    return [
        m
        for m in messages(callee)
        if re.search(r"message received \[\d+\] bytes :\s+SIP/2.0 ", m)
        and re.search(rf"^CSeq: \d+ {method}", m, re.M)
    ]


def test_failed_registration_shows_its_code_and_calls_say_so(settings, tmp_path, sipp):
    use_edge(settings, tmp_path)
    trunk_side = registrar(sipp)
    trunk = add_registering_trunk(trunk_side.proxy, password="wrong-password")
    request = call_request(trunk)

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1")
        await carrier.start()
        try:
            return await carrier.place_call(request)
        finally:
            await carrier.stop()

    outcome = asyncio.run(scenario())
    assert (outcome.hangup_cause, outcome.sip_code) == (base.REGISTRATION_FAILED, 403)
    assert not outcome.answered
    assert trunk_state(trunk) == (RegistrationState.FAILED, 403)
    listed = public_trunk(trunk)["registration"]
    assert (listed["state"], listed["code"]) == ("failed", 403)
    assert received(trunk_side, "INVITE") == []  # the call never went out
    assert PBX_PASSWORD not in (tmp_path / "edge" / "kamailio.log").read_text()
    assert "wrong-password" not in (tmp_path / "edge" / "kamailio.log").read_text()


def test_registration_is_refreshed_before_it_expires(settings, tmp_path, sipp):
    use_edge(settings, tmp_path)
    trunk_side = registrar(sipp, expires=20)
    trunk = add_registering_trunk(trunk_side.proxy, register_expiry_seconds=20)

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1")
        await carrier.start()
        states = []
        try:
            started = time.monotonic()
            while time.monotonic() - started < 19:  # within the first registration's life
                await asyncio.sleep(0.5)
                states.append(carrier.edge.trunk_status(trunk.pk).registration)
                if len(received(trunk_side, "REGISTER")) >= 4:
                    break
            return states, time.monotonic() - started
        finally:
            await carrier.stop()

    states, elapsed = asyncio.run(scenario())
    registers = received(trunk_side, "REGISTER")
    assert len(registers) >= 4, f"no refresh within {elapsed:.0f} s"
    assert all("Authorization: Digest" in r for r in registers[1::2])
    assert elapsed < 19
    assert states[-1] in ("registered", "registering") and "failed" not in states


def test_a_dead_first_target_fails_over_to_the_second(settings, tmp_path, sipp):
    use_edge(settings, tmp_path)
    trunk_side = sipp("edge_answer.xml", calls=100000, timeout_s=120, extra=("-trace_msg",))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as hole:
        hole.bind(("127.0.0.1", 0))  # a port nobody answers on (kept bound, never read)
        dead = f"sip:127.0.0.1:{hole.getsockname()[1]}"
        trunk = do_add_trunk({"name": "two", "proxy": dead, "failover_proxies": [trunk_side.proxy]})
        requests = [call_request(trunk, i) for i in range(1, 4)]

        async def scenario():
            carrier = SipCarrier(bind_address="127.0.0.1")
            await carrier.start()
            try:
                first = await carrier.place_call(requests[0])
                # The keepalives mark the dead target down: later calls go straight over.
                deadline = time.monotonic() + 40
                while carrier.edge.trunk_status(trunk.pk).targets.get(dead) != "down":
                    assert time.monotonic() < deadline, carrier.edge.trunk_status(trunk.pk)
                    await asyncio.sleep(0.5)
                started = time.monotonic()
                rest = await asyncio.gather(*(carrier.place_call(r) for r in requests[1:]))
                return [first, *rest], time.monotonic() - started
            finally:
                await carrier.stop()

        outcomes, later_seconds = asyncio.run(scenario())
    assert [o.hangup_cause for o in outcomes] == [base.NORMAL_CLEARING] * 3
    assert len(received(trunk_side, "INVITE")) == 3
    assert later_seconds < 4 + 3  # 2 s calls, no 4 s wait on the dead target
    trunk.refresh_from_db()
    assert trunk.target_health == {dead: "down", trunk_side.proxy: "up"}


def test_trunk_side_requests_outside_a_dialog_are_refused(settings, tmp_path, sipp):
    edge = use_edge(settings, tmp_path)
    trunk_side = sipp("edge_answer.xml", calls=100000, timeout_s=60)
    do_add_trunk({"name": "one", "proxy": trunk_side.proxy})

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1")
        await carrier.start()
        try:
            return await asyncio.to_thread(_invite_from_outside, edge["SIP_EDGE_PORT"])
        finally:
            await carrier.stop()

    answer = asyncio.run(scenario())
    # Nobody outside may use the edge to call out through our trunks (toll fraud).
    assert answer.startswith("SIP/2.0 403"), answer


def _invite_from_outside(port: int) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        me = f"127.0.0.1:{sock.getsockname()[1]}"
        invite = (
            f"INVITE sip:0912345678@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {me};branch=z9hG4bK-fraud-1;rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:attacker@{me}>;tag=1\r\n"
            f"To: <sip:0912345678@127.0.0.1:{port}>\r\n"
            "Call-ID: fraud-1@test\r\n"
            "CSeq: 1 INVITE\r\n"
            f"Contact: <sip:attacker@{me}>\r\n"
            f"Route: <sip:127.0.0.1:{port};lr;aicall-trunk=1>\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        sock.sendto(invite.encode(), ("127.0.0.1", port))
        while True:
            data = sock.recv(65535).decode()
            if not data.startswith("SIP/2.0 100"):
                return data


def test_kamailio_killed_mid_campaign_is_restarted_and_no_call_is_lost(
    settings, tmp_path, sipp, harness, api, token, user
):
    _, trunk_side, trunk, campaign, carrier, h = run_registrar_campaign(
        settings, tmp_path, sipp, harness, api, token, user, calls=24, cps=4, workers=4
    )
    # Kill the edge once calls are up (some answered, more being placed).
    wait_until(lambda: Call.objects.filter(campaign=campaign, status="done").count() >= 1, 60)
    first_pid = carrier.edge.process.pid
    first_children = set(carrier.edge.pids()) - {first_pid}
    os.kill(first_pid, signal.SIGKILL)
    wait_until(lambda: carrier.edge.process.pid != first_pid and carrier.edge._ready.is_set(), 30)
    # The dead Kamailio's children would keep its sockets: none of them is left running.
    assert first_children and not [pid for pid in first_children if running(pid)]
    restarted_at = time.monotonic()
    wait_until(settled(campaign), timeout=120)
    h.stop()
    assert carrier.edge.restarts >= 1
    assert trunk_state(trunk)[0] == RegistrationState.REGISTERED
    status, body = api.get(f"/api/campaigns/{campaign.pk}/export", access_token=token, limit=50)
    calls = body["results"]["calls"]
    # Every call was settled, none lost; the calls placed after the restart went through.
    assert body["results"]["total"] == 24
    assert all(c["state"] in (40, 50) for c in calls)
    answered = [c for c in calls if c["state"] == 40]
    assert len(answered) >= 20, [c["note"] for c in calls]
    assert time.monotonic() - restarted_at > 0


def test_behind_nat_only_rtp_advertises_the_public_address(settings, tmp_path, sipp, monkeypatch):
    monkeypatch.setenv("AICALL_SIP_PUBLIC_ADDRESS", "198.51.100.7")  # read by the workers
    use_edge(settings, tmp_path)
    trunk_side = sipp("edge_answer.xml", calls=100000, timeout_s=60, extra=("-trace_msg",))
    trunk = do_add_trunk({"name": "nat", "proxy": trunk_side.proxy})
    request = call_request(trunk)

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1")
        await carrier.start()
        try:
            return await carrier.place_call(request)
        finally:
            await carrier.stop()

    outcome = asyncio.run(scenario())
    # The trunk's BYE went edge -> the worker's local Contact (no hairpin through the NAT).
    assert outcome.hangup_cause == base.NORMAL_CLEARING and 1.5 < outcome.duration_seconds < 4
    [invite] = received(trunk_side, "INVITE")
    assert re.search(r"^Contact: <sip:02873001234@127\.0\.0\.1:\d+", invite, re.M)
    assert "c=IN IP4 198.51.100.7" in invite  # the media still faces the trunk


def test_a_trunk_answering_503_hands_the_call_to_the_next_trunk(settings, tmp_path, sipp):
    from aicall.telephony.services import do_set_fallback_trunk

    use_edge(settings, tmp_path)
    refusing = sipp("unavailable_503.xml", calls=100000, timeout_s=60, extra=("-trace_msg",))
    answering = sipp("edge_answer.xml", calls=100000, timeout_s=60, extra=("-trace_msg",))
    first = do_add_trunk({"name": "first", "proxy": refusing.proxy})
    second = do_add_trunk({"name": "second", "proxy": answering.proxy})
    do_set_fallback_trunk(first, second)
    request = call_request(first)
    assert request.trunk.fallback.name == "second"

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1")
        await carrier.start()
        try:
            return await carrier.place_call(request)
        finally:
            await carrier.stop()

    outcome = asyncio.run(scenario())
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING
    assert len(received(refusing, "INVITE")) == 1
    assert len(received(answering, "INVITE")) == 1


def test_the_edges_own_timeout_and_trunk_down_are_told_from_the_trunks(settings, tmp_path, sipp):
    """No target answered: the edge's 408 is NO ANSWER FROM TRUNK, as PJSIP's timer B is in
    direct mode; every target down: its 503 is TRUNK UNREACHABLE. A trunk's own 408 keeps
    its note, even when it copies the edge's mark (the edge drops it)."""
    use_edge(settings, tmp_path)
    marked = sipp("timeout_408_marked.xml", calls=100000, timeout_s=90, extra=("-trace_msg",))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as hole:
        hole.bind(("127.0.0.1", 0))  # a port nobody answers on (kept bound, never read)
        dead = f"sip:127.0.0.1:{hole.getsockname()[1]}"
        silent = do_add_trunk({"name": "silent", "proxy": dead})
        own_408 = do_add_trunk({"name": "own408", "proxy": marked.proxy})
        requests = [call_request(silent, 1), call_request(silent, 2), call_request(own_408, 3)]

        async def scenario():
            carrier = SipCarrier(bind_address="127.0.0.1")
            await carrier.start()
            try:
                timed_out = await carrier.place_call(requests[0])
                deadline = time.monotonic() + 40  # the keepalives mark the target down
                while carrier.edge.trunk_status(silent.pk).targets.get(dead) != "down":
                    assert time.monotonic() < deadline, carrier.edge.trunk_status(silent.pk)
                    await asyncio.sleep(0.5)
                down = await carrier.place_call(requests[1])
                return timed_out, down, await carrier.place_call(requests[2])
            finally:
                await carrier.stop()

        timed_out, down, trunk_408 = asyncio.run(scenario())
    assert (timed_out.hangup_cause, timed_out.sip_code) == (base.TRUNK_TIMEOUT, 408)
    assert (down.hangup_cause, down.sip_code) == (base.TRUNK_UNREACHABLE, 503)
    assert (trunk_408.hangup_cause, trunk_408.sip_code) == (base.RECOVERY_ON_TIMER_EXPIRE, 408)
    assert len(received(marked, "INVITE")) == 1
