"""`AICALL_SIP_EDGE=external`: Kamailio runs as a system service on aicall's cfg.

The test starts Kamailio itself, as systemd would (`aicall sip-edge config --write`, then
`kamailio -DD -E -f kamailio.cfg`); the SIP carrier must not start or stop it, only route
through it, keep its trunk files in step (reloaded on a trunk change) and read its state.
"""

import asyncio
import time

import pytest
from django.core.management import call_command

from aicall.telephony import base
from aicall.telephony.models import Trunk
from aicall.telephony.services import do_add_trunk, do_update_trunk
from aicall.telephony.sip.carrier import SipCarrier
from tests.sip.edge_harness import ServiceKamailio, received, use_edge
from tests.sip.test_edge import call_request

pytestmark = [pytest.mark.sip, pytest.mark.django_db(transaction=True)]


async def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.2)


def test_an_external_kamailio_is_fed_and_watched_not_run(settings, tmp_path, sipp, capsys):
    conf = use_edge(settings, tmp_path)
    settings.AICALL = {**settings.AICALL, "SIP_EDGE": "external"}
    first = sipp("edge_answer.xml", calls=100000, timeout_s=120, extra=("-trace_msg",))
    second = sipp("edge_answer.xml", calls=100000, timeout_s=120, extra=("-trace_msg",))
    trunk = do_add_trunk({"name": "svc", "proxy": first.proxy, "caller_id": "02873001234"})
    # What the operator does before starting the service.
    call_command("sip_edge", "config", "--write")
    assert f"listen=udp:127.0.0.1:{conf['SIP_EDGE_PORT']}" in capsys.readouterr().out
    service = ServiceKamailio(conf)
    requests = [call_request(trunk, 1)]
    try:

        async def scenario():
            carrier = SipCarrier(bind_address="127.0.0.1")
            await carrier.start()
            edge = carrier.edge
            try:
                assert edge is not None and edge.spawn is False and edge.process is None
                assert edge.wait_ready(0)  # it answered RPC: the service's own Kamailio
                # Its state is read: the keepalives found the first target up.
                await wait_for(
                    lambda: edge.trunk_status(trunk.pk).targets == {first.proxy: "up"},
                    30,
                    f"no target health read: {edge.trunk_status(trunk.pk)}",
                )
                one = await carrier.place_call(requests[0])
                # A trunk change reaches the running service: files rewritten, reloaded.
                await asyncio.to_thread(
                    lambda: do_update_trunk(Trunk.objects.get(pk=trunk.pk), {"proxy": second.proxy})
                )
                await wait_for(
                    lambda: second.proxy in edge.trunk_status(trunk.pk).targets,
                    20,
                    f"trunk change not reloaded: {edge.trunk_status(trunk.pk)}",
                )
                two = await carrier.place_call(await asyncio.to_thread(call_request, trunk, 2))
                return one, two
            finally:
                await carrier.stop()

        one, two = asyncio.run(scenario())
        # Stopping the dialer's carrier leaves the system service running (same process).
        assert service.running(), service.log_path.read_text()[-2000:]
    finally:
        service.stop()
    assert (one.hangup_cause, two.hangup_cause) == (base.NORMAL_CLEARING,) * 2
    assert len(received(first, "INVITE")) == 1 and len(received(second, "INVITE")) == 1
    dispatcher = (tmp_path / "edge" / "dispatcher.list").read_text()
    assert second.proxy in dispatcher and first.proxy not in dispatcher
    trunk.refresh_from_db()
    assert set(trunk.target_health) == {second.proxy}  # what the service said, stored
