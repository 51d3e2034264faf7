"""SIP OPTIONS keep-alive probe of a trunk, in pure asyncio (no PJSIP).

The dialer probes a trunk it marked down (telephony/health.py) until it answers. This
runs in the dialer process itself, so it must not load pjsua2 (a singleton that belongs in
the supervised media workers). UDP retransmits the request on RFC 3261's timer E schedule
(T1 = 0.5 s, doubling up to T2 = 4 s) until the probe's own timeout; TCP sends it once.
Only the status line of the first final response is read.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
import time
from dataclasses import dataclass

_T1, _T2 = 0.5, 4.0
_PROXY = re.compile(
    r"^sips?:(?:[^@\s]+@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)(?::(?P<port>\d{1,5}))?"
)
_STATUS = re.compile(rb"^SIP/2\.0 (\d{3}) ?([^\r\n]*)")
_HEADER_END = b"\r\n\r\n"
_MAX_RESPONSE_BYTES = 65536


@dataclass(frozen=True)
class ProbeResult:
    up: bool
    status: int | None  # the SIP status code, None when nothing answered
    reason: str  # "200 OK", "timeout", "connection refused", ...
    seconds: float


def answers_mean_up(status: int) -> bool:
    """Any answer below 500 but 408 means a live SIP server (many answer OPTIONS with
    401/403/404/405); 5xx means it is there but not taking calls."""
    return 100 <= status < 500 and status != 408


def parse_target(proxy: str) -> tuple[str, int]:
    """(host, port) of `sip:HOST[:PORT][;params]` (port 5060 when absent)."""
    match = _PROXY.match(proxy.strip())
    if not match:
        raise ValueError(f"not a SIP URI: {proxy!r}")
    host = match.group("host").strip("[]")
    return host, int(match.group("port") or 5060)


def build_options(
    host: str, port: int, transport: str, local: tuple[str, int], branch: str, call_id: str
) -> bytes:
    lhost, lport = local
    lhost_uri = f"[{lhost}]" if ":" in lhost else lhost
    thost = f"[{host}]" if ":" in host else host
    uri = f"sip:{thost}:{port}" + (";transport=tcp" if transport == "tcp" else "")
    tag = secrets.token_hex(6)
    lines = [
        f"OPTIONS {uri} SIP/2.0",
        f"Via: SIP/2.0/{transport.upper()} {lhost_uri}:{lport};branch=z9hG4bK{branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:aicall@{lhost_uri}>;tag={tag}",
        f"To: <sip:{thost}:{port}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 OPTIONS",
        f"Contact: <sip:aicall@{lhost_uri}:{lport}>",
        "Accept: application/sdp",
        "User-Agent: aicall",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def parse_status(data: bytes, call_id: str) -> tuple[int, str] | None:
    """(code, reason) if `data` is a response to our request (matched by Call-ID)."""
    match = _STATUS.match(data)
    if not match:
        return None
    head = data.split(_HEADER_END, 1)[0]
    ids = re.findall(rb"(?im)^(?:call-id|i)[ \t]*:[ \t]*(\S+)", head)
    if ids and ids[0].decode(errors="replace") != call_id:
        return None
    return int(match.group(1)), match.group(2).decode(errors="replace").strip()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        self.final: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self.error: str = ""

    def datagram_received(self, data: bytes, addr) -> None:
        status = parse_status(data, self.call_id)
        if status is not None and status[0] >= 200 and not self.final.done():
            self.final.set_result(status)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable: keep retransmitting (the trunk may come back in time),
        # but remember why nothing answers.
        self.error = "connection refused" if isinstance(exc, ConnectionRefusedError) else str(exc)


async def probe(proxy: str, transport: str = "udp", timeout_seconds: float = 4.0) -> ProbeResult:
    """Send OPTIONS to the trunk's proxy and wait up to `timeout_seconds` for an answer."""
    started = time.monotonic()
    status: tuple[int, str] | str
    try:
        host, port = parse_target(proxy)
        if transport == "tcp":
            status = await asyncio.wait_for(_probe_tcp(host, port), timeout_seconds)
        else:
            status = await _probe_udp(host, port, timeout_seconds)
    except TimeoutError:
        status = "timeout"
    except (OSError, ValueError) as exc:
        status = _os_reason(exc)
    seconds = time.monotonic() - started
    if isinstance(status, str):
        return ProbeResult(False, None, status, seconds)
    code, reason = status
    return ProbeResult(answers_mean_up(code), code, f"{code} {reason}".strip(), seconds)


def _os_reason(exc: Exception) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "host not found"
    return (str(exc) or type(exc).__name__)[:80]


async def _probe_udp(host: str, port: int, timeout_seconds: float) -> tuple[int, str] | str:
    loop = asyncio.get_running_loop()
    call_id = f"{secrets.token_hex(12)}@aicall"
    transport, proto = await loop.create_datagram_endpoint(
        lambda: _Udp(call_id), remote_addr=(host, port)
    )
    try:
        sock = transport.get_extra_info("sockname")
        request = build_options(
            host, port, "udp", (sock[0], sock[1]), secrets.token_hex(8), call_id
        )
        deadline = loop.time() + timeout_seconds
        interval = _T1
        while True:
            transport.sendto(request)
            wait = min(interval, deadline - loop.time())
            if wait <= 0:
                return proto.error or "timeout"
            try:
                return await asyncio.wait_for(asyncio.shield(proto.final), wait)
            except TimeoutError:
                interval = min(interval * 2, _T2)
    finally:
        transport.close()


async def _probe_tcp(host: str, port: int) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        call_id = f"{secrets.token_hex(12)}@aicall"
        sock = writer.get_extra_info("sockname")
        writer.write(
            build_options(host, port, "tcp", (sock[0], sock[1]), secrets.token_hex(8), call_id)
        )
        await writer.drain()
        while True:
            head = await reader.readuntil(_HEADER_END)
            if len(head) > _MAX_RESPONSE_BYTES:
                raise ValueError("response too large")
            length = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", head)
            if length:
                await reader.readexactly(min(int(length.group(1)), _MAX_RESPONSE_BYTES))
            status = parse_status(head, call_id)
            if status is not None and status[0] >= 200:
                return status
    except asyncio.IncompleteReadError:
        raise ConnectionResetError("connection closed before an answer") from None
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
