"""A supervised pool of media worker processes, each holding up to 4 calls.

The pool grows with load (a call waiting for a slot starts a worker), shrinks when workers
sit idle, and replaces a worker that dies: the calls it held are settled at once with
NORMAL TEMPORARY FAILURE instead of hanging their callers. Used from one asyncio loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import socket
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("aicall.sip")

READY_TIMEOUT_SECONDS = 30.0
# Workers that die before they are ready, in a row, before calls stop waiting for one:
# a broken install (no pjsua2, port in use) must fail calls, not spawn processes forever.
MAX_START_FAILURES = 5
# Each worker has its own RTP port range: 100 pjsua processes all starting at the default
# 4000 collide ("Address already in use") under load.
RTP_PORTS_PER_WORKER = 20
# A SIP keep-alive (RFC 5626: a bare CRLF pair), which PJSIP reads and discards. A worker
# sleeps in `libHandleEvents` until a SIP packet or its 100 ms poll timeout; a command on
# its pipe does not wake it. After each command the pool sends this to the worker's own SIP
# socket, so a call is dialled at once rather than up to 100 ms later (50 ms on average,
# which at 50 new calls a second is 2-3 calls waiting in pipes at any time).
WAKE = b"\r\n\r\n"


class PoolUnavailable(RuntimeError):
    """No media worker can be started."""


@dataclass
class PendingCall:
    future: asyncio.Future
    on_event: Callable[[dict[str, Any]], None]
    answered_at: float | None = None
    placed_at: float = field(default_factory=time.monotonic)


class WorkerProcess:
    def __init__(self, pool: WorkerPool, index: int):
        self.pool = pool
        self.index = index
        self.proc: asyncio.subprocess.Process | None = None
        self.pending: dict[str, PendingCall] = {}
        self.reserved = 0
        self.alive = False
        self.stopping = False
        self.port = 0
        self.idle_since = time.monotonic()
        self._reader: asyncio.Task | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self) -> None:
        port = self.pool.port_base + self.index if self.pool.port_base else 0
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "aicall.telephony.sip.worker",
            self.pool.bind_address,
            str(port),
            str(self.pool.rtp_port_base + RTP_PORTS_PER_WORKER * self.index),
            str(RTP_PORTS_PER_WORKER),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 20,
            env={**os.environ, **self.pool.worker_env} if self.pool.worker_env else None,
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), READY_TIMEOUT_SECONDS)
        if not line:
            await self.proc.wait()
            raise PoolUnavailable(f"media worker exited with {self.proc.returncode}")
        ready = json.loads(line)
        self.port = ready["port"]
        self.alive = True
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    break
                event = json.loads(line)
                pending = self.pending.get(event.get("id", ""))
                if pending is None:
                    continue
                if event["ev"] == "answered":
                    pending.answered_at = time.monotonic()
                    pending.on_event(event)
                elif event["ev"] == "done":
                    del self.pending[event["id"]]
                    if not pending.future.done():
                        pending.future.set_result(event)
        finally:
            self.alive = False
            returncode = await self.proc.wait()
            if self.pending and not self.stopping:
                log.error(
                    "media worker %s (pid %s) died with %s holding %d calls; settling them",
                    self.index,
                    self.proc.pid,
                    returncode,
                    len(self.pending),
                )
            now = time.monotonic()
            for pending in self.pending.values():
                if not pending.future.done():
                    pending.future.set_result(
                        {
                            "ev": "done",
                            "worker_died": True,
                            "answered": pending.answered_at is not None,
                            "answered_after": (pending.answered_at - pending.placed_at)
                            if pending.answered_at
                            else None,
                            "duration": (now - pending.answered_at) if pending.answered_at else 0,
                            "keys": [],
                            "code": None,
                        }
                    )
            self.pending.clear()
            self.pool._worker_exited(self)

    def send(self, command: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        self.pool.wake(self)

    async def call(
        self, command: dict[str, Any], on_event: Callable[[dict[str, Any]], None]
    ) -> dict[str, Any]:
        if not self.alive:
            return {"ev": "done", "worker_died": True, "answered": False, "keys": [], "code": None}
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.pending[command["id"]] = PendingCall(future, on_event)
        try:
            self.send(command)
        except (ConnectionError, RuntimeError):
            pass  # the reader settles the call when it sees the worker gone
        return await future

    def hangup(self, key: str) -> None:
        if self.alive:
            try:
                self.send({"op": "hangup", "id": key})
            except (ConnectionError, RuntimeError):
                pass

    def kill(self) -> None:
        """End a stuck worker; its reader settles the calls it held."""
        if self.proc is not None and self.proc.returncode is None:
            log.error(
                "media worker %s (pid %s) stopped answering; killing it", self.index, self.pid
            )
            self.proc.kill()

    async def stop(self, timeout: float = 5.0) -> None:
        self.stopping = True
        if self.proc is None or self.proc.returncode is not None:
            return
        try:
            self.send({"op": "quit"})
            await asyncio.wait_for(self.proc.wait(), timeout)
        except (TimeoutError, ConnectionError, RuntimeError):
            self.proc.kill()
            await self.proc.wait()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


class WorkerPool:
    def __init__(
        self,
        bind_address: str = "127.0.0.1",
        port_base: int = 0,
        rtp_port_base: int = 16384,
        calls_per_worker: int = 4,
        max_workers: int = 250,
        min_workers: int = 1,
        idle_seconds: float = 60.0,
        max_parallel_starts: int = 8,
        spare_slots: int = 8,
        worker_env: dict[str, str] | None = None,
    ):
        self.bind_address = bind_address
        self.port_base = port_base
        self.rtp_port_base = rtp_port_base
        self.calls_per_worker = calls_per_worker
        self.max_workers = max_workers
        self.min_workers = min_workers
        self.idle_seconds = idle_seconds
        self.max_parallel_starts = max_parallel_starts
        # Free slots kept ready while calls are flowing: a worker takes ~0.1-0.3 s to
        # start, and at 50 calls/s a call should not wait for one.
        self.spare_slots = spare_slots
        # Added to the workers' environment (e.g. AICALL_SIP_BEHIND_EDGE).
        self.worker_env = dict(worker_env or {})
        self.workers: list[WorkerProcess] = []
        self.starting = 0
        self.start_failures = 0
        self.closed = False
        # Calls waiting for a slot, first come first served. One waiter is woken per freed
        # slot: with thousands of calls queued, waking them all on every release would
        # cost O(n) per call.
        self._waiters: deque[asyncio.Future] = deque()
        self._reaper: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._wake_socket: socket.socket | None = None

    def wake(self, worker: WorkerProcess) -> None:
        """Interrupt the worker's poll so it reads the command just written (see WAKE)."""
        if not worker.port:
            return
        host = _reachable(self.bind_address)
        try:
            if self._wake_socket is None:
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                self._wake_socket = socket.socket(family, socket.SOCK_DGRAM)
                self._wake_socket.setblocking(False)
            self._wake_socket.sendto(WAKE, (host, worker.port))
        except OSError:
            pass  # the worker still reads the command at its next poll timeout

    def _wake(self, count: int) -> None:
        while count > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                count -= 1

    async def start(self) -> None:
        await asyncio.gather(*(self._spawn() for _ in range(self.min_workers)))
        if self.start_failures and not self.workers:
            raise PoolUnavailable("no media worker could start")
        self._reaper = asyncio.create_task(self._reap_idle())

    def _free_index(self) -> int:
        used = {w.index for w in self.workers}
        return next(i for i in range(len(used) + self.starting + 1) if i not in used)

    def _spawn(self) -> asyncio.Task:
        """Start a worker. It joins `workers` at once, so the cap holds within a tick."""
        self.starting += 1
        worker = WorkerProcess(self, self._free_index())
        self.workers.append(worker)
        task = asyncio.create_task(self._start(worker))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _start(self, worker: WorkerProcess) -> None:
        try:
            await worker.start()
            self.start_failures = 0
        except (PoolUnavailable, TimeoutError, OSError, ValueError) as exc:
            self.start_failures += 1
            self.workers.remove(worker)
            if worker.proc and worker.proc.returncode is None:
                worker.proc.kill()
                await worker.proc.wait()
            log.error("media worker failed to start: %s", exc)
            await asyncio.sleep(min(5.0, 0.2 * 2**self.start_failures))
        finally:
            self.starting -= 1
            # A new worker has 4 free slots; after a failure every waiter re-checks the
            # failure count (and may give up, or start another worker).
            self._wake(self.calls_per_worker if worker.alive else len(self._waiters))

    def _grow(self, waiting: int) -> None:
        free = sum(
            max(0, self.calls_per_worker - w.reserved)
            for w in self.workers
            if w.alive and not w.stopping
        )
        incoming = self.starting * self.calls_per_worker
        shortfall = waiting + self.spare_slots - free - incoming
        room = self.max_workers - len(self.workers)
        count = min(
            math.ceil(max(0, shortfall) / self.calls_per_worker),
            room,
            self.max_parallel_starts - self.starting,
        )
        for _ in range(max(0, count)):
            self._spawn()

    async def acquire(self, slots: int = 1) -> WorkerProcess:
        """A worker with `slots` free call slots, starting one when every slot is taken.

        A call that may transfer takes 2: its own and one for the bridged second leg the
        worker places when the trunk refuses the REFER (a worker holds 4 calls, no more).
        """
        while True:
            if self.closed:
                raise PoolUnavailable("the SIP carrier is stopping")
            worker = self._pick(slots) if not self._waiters else None
            if worker is not None:
                worker.reserved += slots
                self._grow(len(self._waiters))
                return worker
            if self.start_failures >= MAX_START_FAILURES and not self.starting:
                self.start_failures -= 1  # let a later call try again
                raise PoolUnavailable("media workers keep failing to start")
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            self._grow(len(self._waiters))
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                else:
                    self._wake(1)  # pass on the slot we were woken for
                raise
            # Woken for a freed slot: take it now rather than queue again.
            if self.closed:
                raise PoolUnavailable("the SIP carrier is stopping")
            worker = self._pick(slots)
            if worker is not None:
                worker.reserved += slots
                self._grow(len(self._waiters))
                return worker

    def _pick(self, slots: int = 1) -> WorkerProcess | None:
        # Fill the busiest worker that has room: fewer, fuller processes cost less CPU.
        best = None
        for worker in self.workers:
            room = self.calls_per_worker - worker.reserved
            if worker.alive and not worker.stopping and room >= slots:
                if best is None or worker.reserved > best.reserved:
                    best = worker
        return best

    async def release(self, worker: WorkerProcess, slots: int = 1) -> None:
        worker.reserved -= slots
        if worker.reserved == 0:
            worker.idle_since = time.monotonic()
        if worker.alive and not worker.stopping:
            self._wake(slots)

    def _worker_exited(self, worker: WorkerProcess) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
        if not self.closed:
            self._grow(len(self._waiters))  # replace it if calls are waiting

    async def _reap_idle(self) -> None:
        while not self.closed:
            await asyncio.sleep(min(10.0, self.idle_seconds))
            now = time.monotonic()
            idle = [
                w
                for w in self.workers
                if w.alive and w.reserved == 0 and now - w.idle_since > self.idle_seconds
            ]
            idle = idle[: max(0, len(self.workers) - self.min_workers)]
            for worker in idle:
                worker.stopping = True  # before any await: no call may pick it meanwhile
            for worker in idle:
                await worker.stop()

    def in_use(self) -> int:
        return sum(w.reserved for w in self.workers)

    def pids(self) -> list[int]:
        return [w.pid for w in self.workers if w.alive and w.pid]

    async def stop(self) -> None:
        self.closed = True
        if self._reaper:
            self._reaper.cancel()
        self._wake(len(self._waiters))
        await asyncio.gather(*(w.stop() for w in list(self.workers)), return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        if self._wake_socket is not None:
            self._wake_socket.close()
            self._wake_socket = None


def _reachable(bind_address: str) -> str:
    """Where the pool reaches a worker bound to `bind_address`: a wildcard on loopback."""
    if bind_address in ("", "0.0.0.0"):  # noqa: S104 - the wildcard bind
        return "127.0.0.1"
    if bind_address == "::":
        return "::1"
    return bind_address.strip("[]")
