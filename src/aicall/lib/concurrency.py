"""An ASGI guard that lets at most N requests into Django at once; the rest wait their turn.

Why: Django runs each request of the ASGI server on a thread of its own, with a database
connection of its own. With 200 clients that is 200 threads fighting for one GIL (each
request then takes as long as all of them together) and 200 database connections, more
than PostgreSQL's default `max_connections` of 100 ("too many clients" for everyone) and
200 SQLite connections queueing for one write lock. Waiting here costs nothing (a
coroutine on the event loop, first come first served), and the requests inside finish
sooner. `AICALL_WEB_CONCURRENCY` (default 16) sets N; a streamed answer (CSV) keeps its
slot until it is sent.
"""

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ConcurrencyLimit:
    def __init__(self, app: Any, limit: int):  # an ASGI application
        self.app = app
        self.limit = max(1, limit)
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # made on the server's event loop, not at import
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)
