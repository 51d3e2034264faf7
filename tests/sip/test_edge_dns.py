"""A trunk given as a domain: NAPTR, SRV by priority, and failover to the next SRV target.

The test's own DNS server (tests/sip/dns_server.py) answers on a loopback address of its
own, port 53; only the test's Kamailio is pointed at it, through a resolv.conf bind-mounted
over /etc/resolv.conf in a private mount namespace (`unshare --mount`): Kamailio's resolver
has no nameserver option of its own, and the machine's resolv.conf is left alone. The
domain's NAPTR names the UDP SRV record, whose first target (priority 10) is a port that
never answers and whose second (priority 20) is SIPp.
"""

import asyncio
import random
import shutil
import subprocess
import time

import pytest

from aicall.telephony import base
from aicall.telephony.services import do_add_trunk
from aicall.telephony.sip.carrier import SipCarrier
from tests.sip.dns_server import DnsServer, Zone
from tests.sip.edge_harness import methods_received, received, use_edge
from tests.sip.test_edge import call_request

pytestmark = [pytest.mark.sip, pytest.mark.django_db(transaction=True)]

DOMAIN = "trunk.aicall.test"


def own_resolver(tmp_path, kamailio: str, nameserver: str) -> str:
    """A wrapper that runs Kamailio with a resolv.conf naming only `nameserver`."""
    probe = subprocess.run(
        ["unshare", "--mount", "true"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.fail(f"this test needs a private mount namespace (root): {probe.stderr}")
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(f"nameserver {nameserver}\noptions timeout:1 attempts:2\n")
    wrapper = tmp_path / "kamailio-own-dns"
    wrapper.write_text(
        "#!/bin/sh\n"
        "exec unshare --mount --propagation private sh -c "
        '\'mount --bind "$0" /etc/resolv.conf && exec "$@"\' '
        f'"{resolv}" "{kamailio}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return str(wrapper)


@pytest.fixture
def dns():
    servers = []

    def start(zone: Zone) -> DnsServer:
        for _ in range(20):  # a loopback address of its own: port 53 is free there
            host = f"127.{random.randrange(1, 255)}.{random.randrange(1, 255)}.53"
            try:
                servers.append(DnsServer(zone, host))
                return servers[-1]
            except OSError:
                continue
        pytest.fail("no loopback address with port 53 free (the test binds it as root)")

    yield start
    for server in servers:
        server.close()


def test_a_domain_trunk_resolves_naptr_then_srv_and_fails_over_to_the_next_target(
    settings, tmp_path, sipp, dns
):
    edge = use_edge(settings, tmp_path)
    live = sipp("edge_answer.xml", calls=100000, timeout_s=120, extra=("-trace_msg",))
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as hole:
        hole.bind(("127.0.0.1", 0))  # priority 10: bound, never answers
        zone = Zone(
            a={"dead.aicall.test": "127.0.0.1", "live.aicall.test": "127.0.0.1"},
            srv={
                f"_sip._udp.{DOMAIN}": [
                    (10, 0, hole.getsockname()[1], "dead.aicall.test"),
                    (20, 0, live.port, "live.aicall.test"),
                ]
            },
            naptr={DOMAIN: [(10, 10, "S", "SIP+D2U", "", f"_sip._udp.{DOMAIN}")]},
        )
        server = dns(zone)
        settings.AICALL = {
            **settings.AICALL,
            "SIP_EDGE_BINARY": own_resolver(
                tmp_path,
                shutil.which("kamailio") or edge["SIP_EDGE_BINARY"],
                server.sock.getsockname()[0],
            ),
        }
        trunk = do_add_trunk(
            {"name": "domain", "proxy": f"sip:{DOMAIN}", "caller_id": "02873001234"}
        )
        request = call_request(trunk)

        async def scenario():
            carrier = SipCarrier(bind_address="127.0.0.1")
            await carrier.start()
            try:
                started = time.monotonic()
                outcome = await carrier.place_call(request)
                return outcome, time.monotonic() - started
            finally:
                await carrier.stop()

        outcome, seconds = asyncio.run(scenario())
        to_dead = methods_received(hole)
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING, (
        tmp_path / "edge" / "kamailio.log"
    ).read_text()[-3000:]
    # Kamailio asked the NAPTR, then the SRV record it named, then the targets' addresses.
    asked = server.queries
    assert (DOMAIN, "NAPTR") in asked and (f"_sip._udp.{DOMAIN}", "SRV") in asked
    assert asked.index((DOMAIN, "NAPTR")) < asked.index((f"_sip._udp.{DOMAIN}", "SRV"))
    # The INVITE went to the priority-10 target first, then, unanswered, to the next one.
    assert b"INVITE" in to_dead
    [invite] = received(live, "INVITE")
    assert invite.count(f"@{DOMAIN}") >= 1  # the request URI keeps the trunk's domain
    assert seconds < 4 + 2 + 8  # one fr_timer on the dead target, then a 2 s call
