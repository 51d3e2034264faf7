"""The dialer: one asyncio loop driving thousands of calls, the database in batches.

Three loops share the event loop:
- claim: every round, claim due calls within every limit (claims.py) and start a task per
  call, which waits for its start slot, runs it through the carrier and queues the result;
- store: every `flush_seconds` (or sooner when a batch is full) store the queued results in
  one transaction (results.py);
- housekeeping: heartbeat, recovery of dead dialers' calls, expiry of old OTP calls, and
  the progress gauges.
All database work runs on one worker thread (one connection), one job at a time, so the
event loop never blocks on the database and Django's connection stays on that thread.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import close_old_connections, connections

from aicall.calls.queries import campaigns_progress
from aicall.dialer import liveness
from aicall.dialer import metrics as m
from aicall.dialer.campaign_state import advance_campaigns
from aicall.dialer.claims import claim_due_calls
from aicall.dialer.clock import SYSTEM_CLOCK, Clock
from aicall.dialer.options import DialerOptions
from aicall.dialer.policy import DO_NOT_CALL, INTERRUPTED, OTP_EXPIRED
from aicall.dialer.request import build_request
from aicall.dialer.results import store_results
from aicall.dialer.snapshot import CampaignCache
from aicall.dialer.starts import StartSchedule
from aicall.dialer.trunkwatch import note_trunk_down, probe_down_trunks, update_trunk_gauges
from aicall.dialer.types import ClaimedCall, FinishedCall, StartedCall
from aicall.telephony.base import NORMAL_TEMPORARY_FAILURE, CallOutcome, Carrier
from aicall.telephony.sip.options import ProbeResult

__all__ = ["Dialer", "DialerOptions", "build_request"]

log = logging.getLogger("aicall.dialer")
T = TypeVar("T")


class Dialer:
    """Claims due calls of running campaigns and places them through `carrier`."""

    def __init__(
        self,
        carrier: Carrier,
        *,
        options: DialerOptions | None = None,
        clock: Clock | None = None,
        name: str | None = None,
    ) -> None:
        self.carrier = carrier
        self.options = options or DialerOptions.from_settings()
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.name = name or liveness.new_dialer_name()
        self.cache = CampaignCache(self.options.refresh_seconds)
        self.active: set[asyncio.Task[None]] = set()
        self.placed = 0  # calls handed to the carrier and not yet ended
        self.max_placed = 0  # the most this process ever had at once
        self.started_total = 0
        self.stored_total = 0
        self._finished: list[FinishedCall] = []
        self._started: list[StartedCall] = []
        self._stopping = asyncio.Event()
        self._abandoned = False  # declared dead by another dialer: store nothing more
        self._wake = asyncio.Event()
        self._flush_now = asyncio.Event()
        self._db: ThreadPoolExecutor | None = None
        self._rotate = 0
        self._starts = StartSchedule(self.clock)
        # Trunk health only matters for real calls: a dialer forced onto the sandbox
        # places calls on no trunk, so it neither skips down trunks nor probes them.
        self.trunk_health = carrier.name != "sandbox"

    # -- the database thread -------------------------------------------------------------

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        assert self._db is not None

        def job() -> T:
            close_old_connections()
            return fn(*args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._db, functools.partial(job))

    # -- control ---------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Stop claiming; running calls end (up to `drain_seconds`), then `run` returns."""
        if not self._stopping.is_set():
            log.info("dialer %s stopping: no new calls, waiting for %d", self.name, self.placed)
        self._stopping.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> None:
        self._db = ThreadPoolExecutor(1, thread_name_prefix="dialer-db")
        try:
            await self.db(liveness.register, self.name)
            await self.db(
                liveness.recover_orphans,
                self.name,
                self.options.dead_after_seconds,
                self.clock.now(),
            )
            await self.carrier.start()
            log.info("dialer %s running with the %s carrier", self.name, self.carrier.name)
            store = asyncio.create_task(self._store_loop())
            background = [asyncio.create_task(self._housekeeping_loop())]
            if self.trunk_health:
                background.append(asyncio.create_task(self._probe_loop()))
            await self._claim_loop()
            await self._drain()
            self._flush_now.set()
            await store
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            if not self._abandoned:
                await self.db(liveness.mark_stopped, self.name)
            await self.carrier.stop()
            log.info("dialer %s stopped", self.name)
        finally:
            await self._close_db()

    async def _close_db(self) -> None:
        if self._db is None:
            return
        await asyncio.get_running_loop().run_in_executor(self._db, connections.close_all)
        self._db.shutdown(wait=True)
        self._db = None

    # -- claiming --------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        opts = self.options
        while not self.stopping:
            self._wake.clear()
            claimed_full = False
            limit = opts.max_calls
            carrier_limit = self.carrier.capacity()
            if carrier_limit is not None:
                limit = min(limit, carrier_limit)
            free = limit - len(self.active)
            try:
                campaigns = await self.db(self.cache.refresh)
                if free > 0 and campaigns:
                    claimed_full = await self._claim_round(min(free, opts.claim_batch))
            except Exception:
                log.exception("claim round failed; retrying")
                await asyncio.sleep(opts.poll_seconds)
                continue
            if claimed_full and not self.stopping:
                await asyncio.sleep(0)
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=opts.poll_seconds)
            except TimeoutError:
                pass

    async def _claim_round(self, limit: int) -> bool:
        begun_mono = self.clock.mono()
        self._rotate += 1
        result = await self.db(
            claim_due_calls,
            dialer=self.name,
            campaigns=self.cache.campaigns,
            trunks=self.cache.trunks,
            key_of=self.cache.pacing_keys(),
            limit=limit,
            now=self.clock.now(),
            now_epoch=self.clock.epoch(),
            horizon_seconds=self.options.poll_seconds + 0.05,
            rotate=self._rotate,
            trunk_health=self.trunk_health,
        )
        m.CLAIM_LATENCY.observe(self.clock.mono() - begun_mono)
        if result.do_not_call:
            m.CALLS_NOT_PLACED.labels(DO_NOT_CALL).inc(result.do_not_call)
        for claimed in result.claimed:
            task = asyncio.create_task(self._run_call(claimed))
            self.active.add(task)
            task.add_done_callback(self.active.discard)
        return len(result.claimed) + result.do_not_call >= limit

    # -- one call --------------------------------------------------------------------------

    async def _run_call(self, claimed: ClaimedCall) -> None:
        placed_at = self.clock.now()
        carrier_name = ""
        answered_at: datetime | None = None
        counted = False
        try:
            await self._starts.wait_for_slot(claimed)
            request = build_request(claimed)
            carrier_name = self.carrier.name_for(request)
            placed_at = self.clock.now()

            def on_answered() -> None:
                nonlocal answered_at
                answered_at = self.clock.now()
                m.CALLS_ANSWERED.inc()
                if claimed.campaign.webhook_call_started and claimed.campaign.webhook_url:
                    self._started.append(
                        StartedCall(claimed=claimed, placed_at=placed_at, carrier=carrier_name)
                    )

            self.placed += 1
            counted = True
            self.max_placed = max(self.max_placed, self.placed)
            self.started_total += 1
            m.CALLS_STARTED.inc()
            m.CHANNELS_IN_USE.set(self.placed)
            try:
                outcome = await self.carrier.place_call(request, on_answered)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("carrier failed on call %s", claimed.call_id)
                outcome = CallOutcome(answered=False, hangup_cause=NORMAL_TEMPORARY_FAILURE)
        except asyncio.CancelledError:
            # Shutdown ran out of time: record the attempt as interrupted (retried by policy).
            outcome = CallOutcome(answered=False, hangup_cause=INTERRUPTED)
            m.CALLS_NOT_PLACED.labels(INTERRUPTED).inc()
        finally:
            if counted:
                self.placed -= 1
                m.CHANNELS_IN_USE.set(self.placed)
        if not outcome.answered and outcome.hangup_cause != INTERRUPTED:
            m.CALLS_FAILED.labels(outcome.hangup_cause).inc()
        self._finished.append(
            FinishedCall(
                claimed=claimed,
                outcome=outcome,
                placed_at=placed_at,
                answered_at=answered_at,
                ended_at=self.clock.now(),
                carrier=carrier_name,
            )
        )
        if len(self._finished) >= self.options.claim_batch:
            self._flush_now.set()

    async def _drain(self) -> None:
        if self.active:
            _, pending = await asyncio.wait(set(self.active), timeout=self.options.drain_seconds)
            if pending:
                log.warning("%d calls still running after the drain timeout", len(pending))
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)

    # -- storing results -------------------------------------------------------------------

    async def _store_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._flush_now.wait(), timeout=self.options.flush_seconds)
            except TimeoutError:
                pass
            self._flush_now.clear()
            done_claiming = self.stopping and not self.active
            if self._finished or self._started:
                await self._store_batch()
            if done_claiming and not self._finished:
                return

    async def _store_batch(self) -> None:
        finished, self._finished = self._finished, []
        started, self._started = self._started, []
        if self._abandoned:
            return
        begun_mono = self.clock.mono()
        try:
            stats = await self.db(store_results, self.name, finished, started, self.clock.now())
        except Exception:
            log.exception("storing %d results failed; will retry", len(finished))
            self._finished[:0] = finished
            self._started[:0] = started
            await asyncio.sleep(self.options.flush_seconds)
            return
        m.STORE_LATENCY.observe(self.clock.mono() - begun_mono)
        m.CALLS_RETRIED.inc(stats.retried)
        self.stored_total += stats.final + stats.retried
        for trunk_id in stats.trunks_down:
            trunk = self.cache.trunks.get(trunk_id)
            note_trunk_down(trunk.config.name if trunk is not None else str(trunk_id))
        if stats.dropped:
            log.warning("%d results dropped: calls no longer owned by %s", stats.dropped, self.name)
        self._wake.set()

    # -- housekeeping ----------------------------------------------------------------------

    async def _housekeeping_loop(self) -> None:
        opts = self.options
        while True:
            await asyncio.sleep(opts.heartbeat_seconds)
            try:
                if not await self.db(liveness.heartbeat, self.name):
                    log.error("dialer %s was declared dead by another dialer; stopping", self.name)
                    self._abandoned = True
                    self.request_stop()
                    return
                if self.stopping:
                    continue
                await self.housekeeping_once()
            except Exception:
                log.exception("housekeeping failed")

    async def housekeeping_once(self) -> None:
        now = self.clock.now()
        await self.db(liveness.recover_orphans, self.name, self.options.dead_after_seconds, now)
        expired = await self.db(liveness.expire_otp_calls, now)
        if expired:
            m.CALLS_NOT_PLACED.labels(OTP_EXPIRED).inc(expired)
        await self.db(_update_progress_gauges, list(self.cache.campaigns))
        await self.db(update_trunk_gauges, now)
        # Scheduled starts, and ivr campaigns with nothing left to call become completed.
        await self.db(advance_campaigns, now)
        await self.db(liveness.forget_old_dialers)

    # -- trunk health ----------------------------------------------------------------------

    async def _probe_loop(self) -> None:
        """Probe down trunks with OPTIONS (one dialer per trunk and interval)."""
        interval = float(settings.AICALL["TRUNK_PROBE_SECONDS"])
        while True:
            await asyncio.sleep(interval / 2)
            try:
                await self.probe_once()
            except Exception:
                log.exception("trunk probe failed")

    async def probe_once(self) -> list[ProbeResult]:
        results = await probe_down_trunks(self.db, self.clock.now)
        if any(came_up for _, _, came_up in results):
            self._wake.set()
        return [result for _, result, _ in results]


def _update_progress_gauges(campaign_ids: list[int]) -> None:
    """Live counts of the running campaigns, in one grouped query (not one a campaign)."""
    for campaign_id, counts in campaigns_progress(campaign_ids[:200]).items():
        for progress, count in counts.items():
            if progress == "total":
                continue  # the sum of the others: beside them, sum() would count twice
            m.CAMPAIGN_CALLS.labels(str(campaign_id), progress).set(count)
