"""The SIP carrier: real calls over a SIP trunk through a pool of PJSIP media workers.

The dialer awaits `place_call` for every call at once; each waits for its trunk's channel
and pacing limits, then for a worker slot, hands the worker a plan of what to play (audio
clips rendered here, cached) and what each key does, and returns the worker's outcome
mapped to the contract's Q.850 notes.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings

from aicall.speech.base import SpeechEngine, SpeechError
from aicall.speech.clips import default_engine
from aicall.telephony import base
from aicall.telephony.base import AnsweredCallback, CallOutcome, CallRequest, TrunkConfig
from aicall.telephony.edge import EdgeSupervisor, supervisor_from_settings
from aicall.telephony.edge.calls import (
    edge_trunk_fields,
    registration_outcome,
    unavailable_outcome,
)
from aicall.telephony.sip.causes import outcome_from_event, trunk_could_not_carry
from aicall.telephony.sip.identity import caller_identity
from aicall.telephony.sip.plan import (  # noqa: F401 - dial_number and sip_uri re-exported
    build_plan,
    dial_number,
    may_transfer,
    menu_node,
    sip_uri,
    trunk_host,
)
from aicall.telephony.sip.pool import PoolUnavailable, WorkerPool, WorkerProcess

log = logging.getLogger("aicall.sip")

# The longest an answered call may last; a worker that has not reported a call's end this
# long after its ring timeout is stuck (it gets a hangup, then it is killed and replaced).
MAX_CALL_SECONDS = 3600
STUCK_GRACE_SECONDS = 60
HANGUP_GRACE_SECONDS = 10


class TrunkLimiter:
    """A trunk's channel limit and call pacing, shared by every call on the trunk."""

    def __init__(self, max_channels: int, calls_per_second: float):
        self.channels = asyncio.Semaphore(max_channels) if max_channels > 0 else None
        self.interval = 1.0 / calls_per_second if calls_per_second > 0 else 0.0
        self.next_at = 0.0

    async def __aenter__(self) -> None:
        if self.channels is not None:
            await self.channels.acquire()
        if self.interval:
            now = time.monotonic()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
            if start > now:
                await asyncio.sleep(start - now)

    async def __aexit__(self, *exc: object) -> None:
        if self.channels is not None:
            self.channels.release()


class SipCarrier(base.Carrier):
    name = "sip"

    def __init__(
        self,
        *,
        bind_address: str | None = None,
        port_base: int | None = None,
        rtp_port_base: int | None = None,
        max_workers: int | None = None,
        min_workers: int | None = None,
        idle_seconds: float = 60.0,
        speech: SpeechEngine | None = None,
        edge: EdgeSupervisor | None | bool = True,
    ):
        conf = settings.AICALL
        # The SIP edge (Kamailio) the workers send through; None: direct to the trunk.
        self.edge = supervisor_from_settings(conf) if edge is True else (edge or None)
        self.pool = WorkerPool(
            bind_address=bind_address or conf["SIP_BIND_ADDRESS"],
            port_base=conf.get("SIP_PORT_BASE", 0) if port_base is None else port_base,
            rtp_port_base=rtp_port_base or conf.get("SIP_RTP_PORT_BASE", 16384),
            max_workers=max_workers or conf.get("SIP_MAX_WORKERS", 250),
            min_workers=min_workers or conf.get("SIP_MIN_WORKERS", 1),
            idle_seconds=idle_seconds,
            worker_env={"AICALL_SIP_BEHIND_EDGE": "1"} if self.edge is not None else None,
        )
        self.speech = speech or default_engine()
        self.limiters: dict[str, TrunkLimiter] = {}
        self.active = 0
        self._keys = 0

    async def start(self) -> None:
        if self.edge is not None:
            await asyncio.to_thread(self.edge.start)  # reads the trunk table
            if not await asyncio.to_thread(self.edge.wait_ready, 15.0):
                log.error("the SIP edge is not answering yet (see %s)", self.edge.edge.run_dir)
        await self.pool.start()

    async def stop(self) -> None:
        await self.pool.stop()
        if self.edge is not None:
            await asyncio.to_thread(self.edge.stop)

    def channels_in_use(self) -> int:
        return self.active

    def capacity(self) -> int:
        """The pool's ceiling: the dialer claims no more calls than the workers can hold.

        Without it a dialer would claim (and count as in flight) thousands of calls that
        then wait inside the carrier for a PJSIP slot, starving other dialers of them.
        """
        return self.pool.max_workers * self.pool.calls_per_worker

    def worker_pids(self) -> list[int]:
        return self.pool.pids()

    def edge_pids(self) -> list[int]:
        return self.edge.pids() if self.edge is not None else []

    def _limiter(self, trunk: TrunkConfig) -> TrunkLimiter:
        limiter = self.limiters.get(trunk.name)
        if limiter is None:
            limiter = TrunkLimiter(trunk.max_channels, trunk.calls_per_second)
            self.limiters[trunk.name] = limiter
        return limiter

    # -- what the callee hears -------------------------------------------------------------

    def _node(
        self, engine: SpeechEngine, menu: dict[str, Any], trunk: TrunkConfig, clips: list[str]
    ) -> dict[str, Any]:
        return menu_node(engine, menu, trunk, clips)

    def build_plan(self, request: CallRequest, trunk: TrunkConfig) -> dict[str, Any]:
        """The prompt tree for one call, as clip paths the worker plays (renders if needed)."""
        return build_plan(self.speech, request, trunk)

    def _recording_path(self, request: CallRequest) -> tuple[Path, str] | None:
        if not request.record:
            return None
        relative = f"recordings/{date.today():%Y/%m/%d}/{request.call_id}-{request.attempt}.wav"
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return path, relative

    # -- placing the call ------------------------------------------------------------------

    async def _supervised(
        self,
        worker: WorkerProcess,
        command: dict[str, Any],
        on_event: Callable[[dict[str, Any]], None],
        request: CallRequest,
    ) -> dict[str, Any]:
        call = asyncio.ensure_future(worker.call(command, on_event))
        limit = request.ring_timeout_seconds + MAX_CALL_SECONDS + STUCK_GRACE_SECONDS
        return await _wait_settled(worker, call, command["id"], limit)

    async def place_call(
        self, request: CallRequest, on_answered: AnsweredCallback | None = None
    ) -> CallOutcome:
        outcome = await self._place_on_trunk(request, on_answered)
        trunk = request.trunk
        results = _reached(trunk, outcome)
        # Several trunks in priority order: the next one takes a call this one could not.
        while trunk is not None and trunk.fallback is not None and trunk_could_not_carry(outcome):
            log.info(
                "call %s: trunk %s could not carry it (%s %s); trying %s",
                request.call_id,
                trunk.name,
                outcome.hangup_cause,
                outcome.sip_code,
                trunk.fallback.name,
            )
            trunk = trunk.fallback
            outcome = await self._place_on_trunk(replace(request, trunk=trunk), on_answered)
            results += _reached(trunk, outcome)
        outcome.trunk_results = results
        return outcome

    async def _place_on_trunk(
        self, request: CallRequest, on_answered: AnsweredCallback | None
    ) -> CallOutcome:
        trunk = request.trunk
        if trunk is None:
            log.error("call %s: no SIP trunk configured (aicall trunk add)", request.call_id)
            return CallOutcome(answered=False, hangup_cause=base.NORMAL_TEMPORARY_FAILURE)
        skipped = unavailable_outcome(self.edge, trunk)  # down: straight to the fallback
        if skipped is not None:
            return skipped
        try:
            plan = await asyncio.to_thread(self.build_plan, request, trunk)
        except (SpeechError, OSError) as exc:
            log.error("call %s: could not prepare the prompt: %s", request.call_id, exc)
            return CallOutcome(answered=False, hangup_cause=base.NORMAL_TEMPORARY_FAILURE)
        if self.edge is not None:
            refused = await registration_outcome(self.edge, trunk)
            if refused is not None:
                return refused
        try:
            identity = caller_identity(
                trunk, request.caller_id or trunk.caller_id, trunk_host(trunk)
            )
        except ValueError as exc:
            # The trunk's model validates these; refusing here keeps a bad value off the wire.
            log.error(
                "call %s: trunk %s: caller identity refused: %s", request.call_id, trunk.name, exc
            )
            return CallOutcome(answered=False, hangup_cause=base.NORMAL_TEMPORARY_FAILURE)
        recording = self._recording_path(request)
        slots = 2 if may_transfer(plan) else 1
        self._keys += 1
        command: dict[str, Any] = {
            "op": "call",
            "id": f"{request.call_id}-{request.attempt}-{self._keys}",
            "uri": sip_uri(trunk, request.callee_e164),
            "caller_id": request.caller_id or trunk.caller_id,
            "from": identity["from"],
            "headers": identity["headers"],
            "trunk": {
                "host": trunk_host(trunk),
                "transport": trunk.transport,
                "username": trunk.auth_username or trunk.username,
                "password": trunk.password,
                "realm": trunk.realm,
                "dtmf_payload_type": trunk.dtmf_payload_type,
                **edge_trunk_fields(self.edge, trunk),
                "number_format": trunk.number_format,
                "media_timeout": trunk.media_timeout_seconds,
            },
            "plan": plan,
            "ring_timeout": request.ring_timeout_seconds,
            "max_seconds": MAX_CALL_SECONDS,
            "record": str(recording[0]) if recording else "",
        }
        tasks: set[asyncio.Task] = set()

        def on_event(event: dict[str, Any]) -> None:
            if event["ev"] == "answered" and on_answered is not None:
                result = on_answered()
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)

        async with self._limiter(trunk):
            try:
                worker = await self.pool.acquire(slots)
            except PoolUnavailable as exc:
                log.error("call %s: %s", request.call_id, exc)
                return CallOutcome(answered=False, hangup_cause=base.NORMAL_TEMPORARY_FAILURE)
            self.active += 1
            try:
                result = await self._supervised(worker, command, on_event, request)
            except asyncio.CancelledError:
                worker.hangup(command["id"])
                raise
            finally:
                self.active -= 1
                await self.pool.release(worker, slots)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        outcome = outcome_from_event(result)
        if recording and outcome.answered and recording[0].exists():
            outcome.recording_path = recording[1]
        log.debug(
            "call %s attempt %s: %s (%s)",
            request.call_id,
            request.attempt,
            outcome.hangup_cause,
            outcome.sip_code,
        )
        return outcome


def _reached(trunk: TrunkConfig | None, outcome: CallOutcome) -> list[tuple[int, CallOutcome]]:
    """The trunk's share of a call's results: nothing when the call never went out on it
    (skipped as unavailable, or no trunk id)."""
    if trunk is None or not trunk.trunk_id or outcome.hangup_cause == base.TRUNK_UNAVAILABLE:
        return []
    return [(trunk.trunk_id, replace(outcome, trunk_results=[]))]  # a copy: no cycle


async def _wait_settled(
    worker: WorkerProcess, call: asyncio.Task, key: str, limit: float
) -> dict[str, Any]:
    done, _ = await asyncio.wait({call}, timeout=limit)
    if not done:
        worker.hangup(key)
        done, _ = await asyncio.wait({call}, timeout=HANGUP_GRACE_SECONDS)
        if not done:
            worker.kill()
    return await call
