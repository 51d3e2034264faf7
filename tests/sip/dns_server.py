"""A tiny authoritative DNS server over UDP for tests: A, SRV and NAPTR records.

It answers from a fixed zone (names are case-insensitive), NXDOMAIN for names it does not
know and an empty answer for a known name without records of the asked type, and keeps
the (name, type) of every query so that a test can see what its resolver asked for.
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass, field

A, NAPTR, SRV = 1, 35, 33
TYPES = {A: "A", SRV: "SRV", NAPTR: "NAPTR", 28: "AAAA"}


def encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def _text(value: str) -> bytes:
    return bytes([len(value)]) + value.encode()


@dataclass
class Zone:
    a: dict[str, str] = field(default_factory=dict)  # name -> IPv4
    srv: dict[str, list[tuple[int, int, int, str]]] = field(default_factory=dict)
    # name -> [(order, preference, flags, services, regexp, replacement)]
    naptr: dict[str, list[tuple[int, int, str, str, str, str]]] = field(default_factory=dict)

    def names(self) -> set[str]:
        return {n.lower().rstrip(".") for n in (*self.a, *self.srv, *self.naptr)}

    def rdata(self, name: str, qtype: int) -> list[bytes]:
        key = name.lower().rstrip(".")
        if qtype == A:
            return [socket.inet_aton(ip) for n, ip in self.a.items() if n.lower() == key]
        if qtype == SRV:
            return [
                struct.pack("!HHH", prio, weight, port) + encode_name(target)
                for n, rows in self.srv.items()
                if n.lower() == key
                for prio, weight, port, target in rows
            ]
        if qtype == NAPTR:
            return [
                struct.pack("!HH", order, pref)
                + _text(flags)
                + _text(services)
                + _text(regexp)
                + encode_name(replacement)
                for n, rows in self.naptr.items()
                if n.lower() == key
                for order, pref, flags, services, regexp, replacement in rows
            ]
        return []


def _read_name(data: bytes, offset: int) -> tuple[str, int]:
    labels = []
    while data[offset]:
        length = data[offset]
        labels.append(data[offset + 1 : offset + 1 + length].decode())
        offset += 1 + length
    return ".".join(labels), offset + 1


class DnsServer:
    """Serves `zone` on (host, 53) until close(); `queries` lists what was asked."""

    def __init__(self, zone: Zone, host: str, port: int = 53) -> None:
        self.zone = zone
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self.queries: list[tuple[str, str]] = []
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            try:
                self.sock.sendto(self.answer(data), peer)
            except (IndexError, struct.error, UnicodeDecodeError, OSError):
                continue  # not a query we understand: no answer, as a real server may do

    def answer(self, query: bytes) -> bytes:
        ident, flags, qdcount = struct.unpack("!HHH", query[:6])
        name, end = _read_name(query, 12)
        qtype, _qclass = struct.unpack("!HH", query[end : end + 4])
        question = query[12 : end + 4]
        self.queries.append((name.lower(), TYPES.get(qtype, str(qtype))))
        known = name.lower().rstrip(".") in self.zone.names()
        records = self.zone.rdata(name, qtype) if known else []
        rcode = 0 if known else 3  # NXDOMAIN
        reply_flags = 0x8400 | (flags & 0x0100) | 0x0080 | rcode  # QR AA (RD) RA
        head = struct.pack("!HHHHHH", ident, reply_flags, 1, len(records), 0, 0)
        answers = b"".join(
            b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 5, len(rdata)) + rdata for rdata in records
        )
        return head + question + answers

    def close(self) -> None:
        self._stop = True
        self.thread.join(2)
        self.sock.close()
