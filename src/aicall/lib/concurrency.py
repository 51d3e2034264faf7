"""An ASGI guard that runs Django's requests on a fixed set of threads, in lanes.

Why threads of our own: Django's ASGI handler gives every request a new thread (one
`ThreadSensitiveContext` each), and database connections belong to a thread, so every
request opened a new connection (SQLite: a file open and the connection's PRAGMAs;
PostgreSQL: a backend process, and persistent ones piled up past `max_connections`). Here
each request borrows one of a fixed set of single-thread executors (asgiref's
`ThreadSensitiveContext(executor=...)`), so a thread, and the database connection it keeps
(`CONN_MAX_AGE`, settings.py), serve one request after another: the web process holds at
most `reads + writes` connections, whatever the number of clients.

Why two lanes: reads (GET, HEAD, OPTIONS) and writes (every other method) wait for a
thread of their own kind, each lane first come first served. An import waits for the
database's write lock (SQLite has one for the whole file); in one queue every export
waited behind every import queued before it. In its own lane a read waits only for reads,
and a write whose turn has come lets queued reads start first (`writes_give_way` seconds at
most: when all clients send at once, the reads' queue drains before imports share the
GIL with it). Writes are not starved: past that bound they start whatever the reads do,
and they keep their lane's threads. Waiting here costs nothing (a coroutine on the event
loop).

Why few threads: they share one GIL, and every database call releases and takes it back,
a hand-over between threads (a context switch) when several are runnable. Measured on the
2-core test machine (bench/request_cpu.py, 8 clients reading at once): 8 read threads spent
45-65 % more CPU per export page than 2, a fifth to a quarter of it in the kernel. Two
threads keep one slow read from stalling the lane; more only add hand-overs.

Why a lane for downloads: a streamed answer (CSV, a workbook, a recording) keeps its thread
until the client has read it all, minutes on a slow line; among the few read threads, two
such clients would stall every read. Requests the `is_download` predicate names wait for
threads of their own.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Lane:
    """`size` single-thread executors lent out first come first served.

    A lane may give way to another (`after`): once its turn has come, a request waits
    while the other lane has requests queued, for at most `give_way_seconds`.
    """

    def __init__(
        self, name: str, size: int, after: "Lane | None" = None, give_way_seconds: float = 0
    ) -> None:
        self.size = max(1, size)
        self._free = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"web-{name}-{n}")
            for n in range(self.size)
        ]
        self._turns: asyncio.Semaphore | None = None
        self._idle: asyncio.Event | None = None
        self.after, self.give_way_seconds = after, give_way_seconds
        self.waiting = 0  # for tests, and for the lanes that give way to this one

    async def run(self, call: Callable[[], Awaitable[None]]) -> None:
        if self._turns is None:  # made on the server's event loop, not at import
            self._turns = asyncio.Semaphore(self.size)
        self._queued(+1)
        try:
            await self._turns.acquire()
        finally:
            self._queued(-1)
        if self.after is not None and self.after.waiting and self.give_way_seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.after.idle().wait(), self.give_way_seconds)
        executor = self._free.pop()  # the semaphore's count guarantees one is free
        try:
            # Django's own ThreadSensitiveContext inside finds this one and keeps it.
            async with ThreadSensitiveContext(executor=executor):
                await call()
        finally:
            self._free.append(executor)
            self._turns.release()

    def idle(self) -> asyncio.Event:
        """Set while no request waits for this lane."""
        if self._idle is None:
            self._idle = asyncio.Event()
            if not self.waiting:
                self._idle.set()
        return self._idle

    def _queued(self, change: int) -> None:
        self.waiting += change
        if self._idle is not None:
            if self.waiting:
                self._idle.clear()
            else:
                self._idle.set()


class ConcurrencyLimit:
    def __init__(
        self,
        app: Any,  # an ASGI app
        reads: int,
        writes: int | None = None,
        writes_give_way: float = 0,
        downloads: int = 0,
        is_download: Callable[[Scope], bool] | None = None,
    ):
        self.app = app
        self.reads = Lane("read", reads)
        self.writes = (
            self.reads
            if writes is None
            else Lane("write", writes, after=self.reads, give_way_seconds=writes_give_way)
        )
        self.downloads = Lane("download", downloads) if downloads and is_download else None
        self.is_download = is_download or (lambda scope: False)

    def lane_for(self, scope: Scope) -> Lane:
        if scope.get("method", "GET") not in READ_METHODS:
            return self.writes
        if self.downloads is not None and self.is_download(scope):
            return self.downloads
        return self.reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.lane_for(scope).run(lambda: self.app(scope, receive, send))
