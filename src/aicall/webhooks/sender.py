"""The webhook sender: claims due outbox rows, POSTs them signed, retries with backoff.

Runs in its own process (`aicall webhooks`, also started by `aicall serve`), so a slow or
dead receiver never holds up the dialer: the dialer only inserts outbox rows.

What happens in the database (leases, results, retries) is in leases.py; this module is the
HTTP side: one signed POST per delivery, within the per-account share of the slots.
"""

import asyncio
import logging
import time
from collections import Counter as Tally

import httpx
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from prometheus_client import Counter

from aicall.webhooks.destinations import (
    BLOCKED_REASON,
    CREDENTIALS_REASON,
    GuardedTransport,
    blocked,
    has_credentials,
)
from aicall.webhooks.leases import Job, Result, close_connection, conf, exchange
from aicall.webhooks.signing import headers_for

log = logging.getLogger(__name__)

SENT = Counter("aicall_webhook_attempts_total", "Webhook POST attempts", ["outcome"])
USER_AGENT = "aicall-webhooks/1"
EXCHANGE_SECONDS = 0.2


def _error_text(exc: httpx.HTTPError) -> str:
    """What the delivery log says about a failed POST: what went wrong, in words the
    customer can act on, never the addresses the sender saw."""
    if blocked(exc):
        return BLOCKED_REASON
    if isinstance(exc, httpx.TimeoutException):
        return f"{type(exc).__name__}: no answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "ConnectError: could not connect to the webhook host"
    return type(exc).__name__


async def post(client: httpx.AsyncClient, job: Job) -> Result:
    """One attempt. Any 2xx is success; redirects are not followed (a 3xx is a failure).

    The client's transport connects only to public addresses (webhooks/destinations.py).
    """
    if not job.url:
        return Result(job, False, None, "the campaign has no webhook URL", timezone.now())
    if has_credentials(job.url):
        return Result(job, False, None, CREDENTIALS_REASON, timezone.now())
    headers = {"content-type": "application/json", "user-agent": USER_AGENT}
    if job.secret:
        headers.update(headers_for(job.secret, job.msg_id, job.body))
    else:
        headers["webhook-id"] = job.msg_id
        headers["webhook-timestamp"] = str(int(time.time()))
    try:
        response = await client.post(job.url, content=job.body, headers=headers)
    except httpx.HTTPError as exc:
        SENT.labels("error").inc()
        return Result(job, False, None, _error_text(exc), timezone.now())
    ok = 200 <= response.status_code < 300
    SENT.labels("ok" if ok else "refused").inc()
    error = "" if ok else f"HTTP {response.status_code}"
    return Result(job, ok, response.status_code, error, timezone.now())


class Sender:
    """Keeps up to `concurrency` POSTs in flight; polls the outbox when it has room.

    An account has at most `account_concurrency` of them: one account's slow or silent
    receiver then holds its own share of the slots, and the other accounts' deliveries
    go out meanwhile. Rows claimed beyond an account's share are handed back due.
    """

    def __init__(
        self,
        concurrency: int | None = None,
        poll_seconds: float = 0.5,
        account_concurrency: int | None = None,
    ):
        self.concurrency = concurrency or int(settings.AICALL["WEBHOOK_CONCURRENCY"])
        per_account = account_concurrency or int(settings.AICALL["WEBHOOK_ACCOUNT_CONCURRENCY"])
        self.account_concurrency = max(1, min(per_account, self.concurrency))
        self.per_owner: Tally[int] = Tally()
        self.released: list[Job] = []
        self.poll_seconds = poll_seconds
        self.stopping = asyncio.Event()
        self.results: list[Result] = []
        self.inflight: set[asyncio.Task] = set()
        # One client (one connection) per slot: httpx's pool costs grow with its size, and
        # fifty one-connection pools send three times faster than one fifty-connection pool.
        self.clients: list[httpx.AsyncClient] = []
        self.free_slots: list[int] = []
        self.sent = 0
        self._exchange = sync_to_async(exchange, thread_sensitive=True)

    def _client(self) -> httpx.AsyncClient:
        timeout = conf("WEBHOOK_TIMEOUT_SECONDS")
        return httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=GuardedTransport(
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)
            ),
            follow_redirects=False,
            trust_env=False,
        )

    def _busy_owners(self) -> list[int]:
        return [o for o, n in self.per_owner.items() if n >= self.account_concurrency]

    async def _send(self, slot: int, job: Job) -> None:
        try:
            result = await post(self.clients[slot], job)
        except Exception as exc:  # a result must be stored whatever happened, or the row
            # would wait for its lease to run out
            log.exception("webhook delivery %s crashed", job.delivery_id)
            result = Result(job, False, None, f"{type(exc).__name__}: {exc}", timezone.now())
        self.results.append(result)
        self.free_slots.append(slot)
        self.per_owner[job.owner_id] -= 1
        if self.per_owner[job.owner_id] <= 0:
            del self.per_owner[job.owner_id]

    async def run(self, *, until_idle: bool = False) -> None:
        """Deliver until `stopping` is set (or, with until_idle, nothing is due or in flight).

        Results are stored and new rows claimed in one transaction, at most every 0.2 s
        while POSTs are in flight: at hundreds of deliveries a second the outbox costs five
        transactions a second, not two per delivery, which matters to a dialer sharing
        SQLite's single write lock.
        """
        self.clients = [self._client() for _ in range(self.concurrency)]
        self.free_slots = list(range(self.concurrency))
        try:
            await self._deliver(until_idle)
            if self.inflight:
                await asyncio.wait(self.inflight)
            if self.results or self.released:
                await self._exchange(self.results, 0, self.released)
                self.sent += len(self.results)
                self.results, self.released = [], []
        finally:
            for client in self.clients:
                await client.aclose()
            await sync_to_async(close_connection, thread_sensitive=True)()

    async def _deliver(self, until_idle: bool) -> None:
        loop = asyncio.get_running_loop()
        last_flush = idle_until = 0.0
        while not self.stopping.is_set():
            now = loop.time()
            free = len(self.free_slots)
            # While POSTs are in flight the outbox is touched at most every EXCHANGE_SECONDS:
            # each exchange is a write transaction, and on SQLite the dialer waits for it.
            due = not self.inflight or now - last_flush >= EXCHANGE_SECONDS
            may_claim = free > 0 and now >= idle_until
            claim_now = due and may_claim and free >= max(1, self.concurrency // 2)
            flush_now = due and bool(self.results or self.released)
            jobs: list[Job] = []
            if claim_now or flush_now:
                batch, self.results = self.results, []
                handed_back, self.released = self.released, []
                try:
                    jobs = await self._exchange(
                        batch, free if may_claim else 0, handed_back, self._busy_owners()
                    )
                except DatabaseError:
                    log.exception("webhook sender: database error; retrying")
                    self.results = batch + self.results
                    self.released = handed_back + self.released
                    await sync_to_async(close_old_connections, thread_sensitive=True)()
                    await self._pause(2.0)
                    continue
                self.sent += len(batch)
                last_flush = now
                if may_claim and not jobs:
                    idle_until = now + self.poll_seconds
            for job in jobs:
                if self.per_owner[job.owner_id] >= self.account_concurrency:
                    self.released.append(job)
                    continue
                self.per_owner[job.owner_id] += 1
                task = asyncio.create_task(self._send(self.free_slots.pop(), job))
                self.inflight.add(task)
                task.add_done_callback(self.inflight.discard)
            if self.inflight:
                await asyncio.wait(self.inflight, timeout=0.05, return_when=asyncio.FIRST_COMPLETED)
            elif not jobs and not self.results and not self.released:
                if until_idle:
                    return
                await self._pause(max(0.0, idle_until - loop.time()))

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass
