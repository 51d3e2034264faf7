"""Registration fails over with the trunk: a dead proxy, a live `--failover-proxy`.

The edge's REGISTER to the proxy times out (408, tm's 32 s); the supervisor moves the
registration to the next target, which challenges it (SIPp `verifyauth`), and the trunk's
calls then go to that registered target first (the SIPp registrar takes INVITEs only from
the registered contact).
"""

import asyncio
import re
import socket
import time

import pytest

from aicall.telephony import base
from aicall.telephony.models import RegistrationState
from aicall.telephony.sip.carrier import SipCarrier
from tests.sip.edge_harness import methods_received, received, use_edge
from tests.sip.test_edge import add_registering_trunk, call_request, registrar, trunk_state

pytestmark = [pytest.mark.sip, pytest.mark.django_db(transaction=True)]


def test_registration_fails_over_to_the_next_target_and_calls_follow_it(settings, tmp_path, sipp):
    use_edge(settings, tmp_path)
    live = registrar(sipp)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as hole:
        hole.bind(("127.0.0.1", 0))  # the primary registrar: never answers
        dead = f"sip:127.0.0.1:{hole.getsockname()[1]}"
        trunk = add_registering_trunk(dead, failover_proxies=[live.proxy])
        request = call_request(trunk)

        async def scenario():
            carrier = SipCarrier(bind_address="127.0.0.1")
            await carrier.start()
            try:
                deadline = time.monotonic() + 60  # the dead one's REGISTER: 32 s to time out
                while (carrier.edge.trunk_status(trunk.pk) or None) is None or (
                    carrier.edge.trunk_status(trunk.pk).registration != "registered"
                ):
                    assert time.monotonic() < deadline, carrier.edge.trunk_status(trunk.pk)
                    await asyncio.sleep(0.5)
                return await carrier.place_call(request)
            finally:
                await carrier.stop()

        outcome = asyncio.run(scenario())
        to_dead = methods_received(hole)
    assert b"REGISTER" in to_dead and b"INVITE" not in to_dead
    registers = received(live, "REGISTER")
    assert len(registers) == 2 and "Authorization: Digest" in registers[1]
    # The AOR stays the trunk's own (the proxy's domain); only the next hop moved.
    assert re.search(rf"^To: <?sip:trunkuser@{re.escape(dead[4:])}", registers[1], re.M)
    assert trunk_state(trunk) == (RegistrationState.REGISTERED, 200)
    # The call went to the registered target first, and it took it (registered contact).
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING, live.errors()
    assert outcome.answered_after_seconds is not None and outcome.answered_after_seconds < 3
    assert len(received(live, "INVITE")) == 1
    dispatcher = (tmp_path / "edge" / "dispatcher.list").read_text().splitlines()[1:]
    assert [line.split()[1] for line in dispatcher] == [live.proxy, dead]
    assert [int(line.split()[3]) for line in dispatcher] == [2, 1]
