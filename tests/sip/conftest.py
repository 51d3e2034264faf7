import random
import shutil

import pytest

from tests.dialer.conftest import harness  # noqa: F401 - the in-process dialer fixture
from tests.sip.harness import Sipp

pytestmark = pytest.mark.sip


@pytest.fixture
def sipp(tmp_path):
    if shutil.which("sipp") is None:
        pytest.fail("sipp is not installed: run scripts/setup.sh (Debian package sip-tester)")
    started: list[Sipp] = []

    def start(scenario: str, **kwargs) -> Sipp:
        callee = Sipp(scenario, tmp_path, **kwargs)
        started.append(callee)
        return callee

    yield start
    for callee in started:
        callee.stop()


@pytest.fixture(autouse=True)
def own_rtp_ports(settings):
    """Tests of other checkouts may run at the same time: keep our RTP ports apart."""
    base = random.randrange(30000, 50000, 100)
    settings.AICALL = {**settings.AICALL, "SIP_RTP_PORT_BASE": base}


@pytest.fixture(autouse=True)
def direct_sip(settings):
    """SIP tests that are not about the edge call the SIPp trunk directly from the workers."""
    settings.AICALL = {**settings.AICALL, "SIP_EDGE": "direct"}


@pytest.fixture
def transfers_to_loopback(settings):
    """The SIPp agents of transfer tests listen on 127.0.0.1: the operator allow-lists it."""
    settings.AICALL = {**settings.AICALL, "TRANSFER_SIP_DOMAINS": ["127.0.0.1"]}
