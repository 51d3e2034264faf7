"""The OPTIONS prober of down trunks (pure asyncio, no PJSIP) against SIPp on loopback."""

import asyncio
import sys
import time

import pytest

from aicall.telephony.sip.options import build_options, parse_status, parse_target, probe
from tests.sip.harness import free_udp_port

pytestmark = pytest.mark.sip


def test_probe_gets_200_over_udp(sipp):
    trunk = sipp("options_200.xml")
    result = asyncio.run(probe(trunk.proxy, "udp", timeout_seconds=5))
    assert result.up and result.status == 200 and result.reason == "200 OK"
    assert trunk.proc.wait(10) == 0, trunk.errors()


def test_probe_gets_200_over_tcp(sipp):
    trunk = sipp("options_200.xml", extra=("-t", "t1"))
    result = asyncio.run(probe(trunk.proxy, "tcp", timeout_seconds=5))
    assert result.up and result.status == 200
    assert trunk.proc.wait(10) == 0, trunk.errors()


def test_a_503_means_still_down(sipp):
    trunk = sipp("options_503.xml")
    result = asyncio.run(probe(trunk.proxy, "udp", timeout_seconds=5))
    assert not result.up and result.status == 503
    assert trunk.proc.wait(10) == 0, trunk.errors()


def test_nothing_listening_is_down_within_the_timeout():
    port = free_udp_port()
    started = time.monotonic()
    result = asyncio.run(probe(f"sip:127.0.0.1:{port}", "udp", timeout_seconds=1.5))
    assert not result.up and result.status is None
    assert result.reason in ("timeout", "connection refused")
    assert time.monotonic() - started < 3
    result = asyncio.run(probe(f"sip:127.0.0.1:{port}", "tcp", timeout_seconds=1.5))
    assert not result.up and result.reason == "connection refused"


def test_the_prober_does_not_load_pjsua2():
    import subprocess

    code = "import sys, aicall.telephony.sip.options; sys.exit(1 if 'pjsua2' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_request_and_response_parsing():
    request = build_options("10.0.0.1", 5070, "tcp", ("192.0.2.5", 40000), "abc", "cid@aicall")
    text = request.decode()
    assert text.startswith("OPTIONS sip:10.0.0.1:5070;transport=tcp SIP/2.0\r\n")
    assert "Via: SIP/2.0/TCP 192.0.2.5:40000;branch=z9hG4bKabc;rport\r\n" in text
    assert "Call-ID: cid@aicall\r\n" in text and text.endswith("Content-Length: 0\r\n\r\n")
    ok = b"SIP/2.0 200 OK\r\nCall-ID: cid@aicall\r\nContent-Length: 0\r\n\r\n"
    assert parse_status(ok, "cid@aicall") == (200, "OK")
    assert parse_status(ok.replace(b"cid@", b"other@"), "cid@aicall") is None  # not ours
    assert parse_status(b"i: cid@aicall\r\n", "cid@aicall") is None  # not a response
    assert parse_status(b"SIP/2.0 404 Not Found\r\ni: cid@aicall\r\n\r\n", "cid@aicall") == (
        404,
        "Not Found",
    )
    assert parse_target("sip:user@carrier.example.com:5080;transport=tcp") == (
        "carrier.example.com",
        5080,
    )
    assert parse_target("sip:203.0.113.10") == ("203.0.113.10", 5060)
    with pytest.raises(ValueError):
        parse_target("http://x")
