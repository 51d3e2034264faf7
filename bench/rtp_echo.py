"""The called phones' RTP echo for bench/sip.py: several processes, each one UDP socket.

SIPp's `-rtp_echo` is one socket read by one thread of the process that also answers every
INVITE; at 400 calls (20,000 packets a second each way) it dropped 12,000-27,000 datagrams a
run, so the media workers' CPU followed what the echo happened to deliver. Here each
process serves a share of the calls (the callee's SDP names one of their ports per call, in
turn) with a receive buffer as large as the kernel allows, and counts what it echoed: the
bench divides the workers' CPU by the packets they really sent and received.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import socket
from multiprocessing.sharedctypes import Synchronized

RECEIVE_BUFFER = 4 << 20  # capped by net.core.rmem_max


def _serve(sock: socket.socket, counter: Synchronized) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the bench stops us
    buf = bytearray(2048)
    view = memoryview(buf)
    recv, send = sock.recvfrom_into, sock.sendto
    echoed = 0
    while True:
        size, peer = recv(buf)
        try:
            send(view[:size], peer)
        except OSError:
            continue  # the caller's port is gone (its call ended): nothing to echo to
        echoed += 1
        counter.value = echoed  # one writer; a torn read costs the bench one packet


class EchoPool:
    """`count` echo processes on 127.0.0.1, on even ports (RTP's), started at once."""

    def __init__(self, count: int):
        self.ports: list[int] = []
        self.counters = []
        self.procs = []
        for _ in range(count):
            sock = _even_port_socket()
            counter = multiprocessing.RawValue("q", 0)
            proc = multiprocessing.Process(target=_serve, args=(sock, counter), daemon=True)
            proc.start()
            self.ports.append(sock.getsockname()[1])
            sock.close()  # the child holds it
            self.counters.append(counter)
            self.procs.append(proc)

    def echoed(self) -> int:
        """Packets echoed so far (each one received from a worker and sent back to it)."""
        return sum(c.value for c in self.counters)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid]

    def injection_file(self, path: os.PathLike) -> None:
        """SIPp's -inf file: call n gets port n mod count in its SDP ([field0])."""
        lines = ["SEQUENTIAL"] + [f"{port};" for port in self.ports]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
        for proc in self.procs:
            proc.join(5)


def _even_port_socket() -> socket.socket:
    # Linux hands out odd ports for bind(0); RTP wants an even one (RTCP on the next).
    for _ in range(500):
        port = random.randrange(20000, 60000, 2)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, RECEIVE_BUFFER)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        return sock
    raise RuntimeError("no free even port for the RTP echo")
