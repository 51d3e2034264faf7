"""The SIP edge: real Kamailio in front of the PJSIP workers, SIPp trunks on 127.0.0.1."""

import asyncio

import pytest

from aicall.telephony import base
from aicall.telephony.base import CallRequest
from aicall.telephony.models import Trunk
from aicall.telephony.services import do_add_trunk
from aicall.telephony.sip.carrier import SipCarrier
from aicall.telephony.trunks import trunk_config
from tests.sip.edge_harness import received, use_edge

pytestmark = [pytest.mark.sip, pytest.mark.django_db(transaction=True)]

LONG_SCRIPT = "Xin chào quý khách. " * 12  # far longer than the 2 s the trunk keeps a call


def call_request(trunk: Trunk, call_id: int = 1) -> CallRequest:
    return CallRequest(
        call_id=call_id,
        attempt=1,
        callee_e164=f"+8491234{call_id:04d}",
        caller_id="02873001234",
        script_text=LONG_SCRIPT,
        trunk=trunk_config(Trunk.objects.get(pk=trunk.pk)),
    )


def test_registrar_trunk_calls_through_the_edge(settings, tmp_path, sipp):
    use_edge(settings, tmp_path)
    trunk_side = sipp(
        "registrar_trunk.xml",
        calls=100000,
        timeout_s=120,
        keys={"reg_expires": "300"},
        extra=("-trace_msg",),
    )
    trunk = do_add_trunk(
        {
            "name": "pbx",
            "proxy": trunk_side.proxy,
            "username": "trunkuser",
            "password": "s3cret-pw",
            "caller_id": "02873001234",
            "register": True,
        }
    )

    requests = [call_request(trunk, i) for i in range(1, 5)]

    async def scenario():
        carrier = SipCarrier(bind_address="127.0.0.1", min_workers=3)
        await carrier.start()
        try:
            return await asyncio.gather(*(carrier.place_call(r) for r in requests))
        finally:
            await carrier.stop()

    outcomes = asyncio.run(scenario())
    assert [o.hangup_cause for o in outcomes] == [base.NORMAL_CLEARING] * 4, trunk_side.errors()
    assert all(1.5 < o.duration_seconds < 4 for o in outcomes)
    invites = received(trunk_side, "INVITE")
    assert len(invites) == 4
