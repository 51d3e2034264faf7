"""Harness for running a real Dialer in-process against the test database.

The dialer works on its own database thread, so these tests use `transactional_db`: what
the test writes must be committed for the dialer to see it, and the other way round.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from aicall.calls.models import Call, CallStatus
from aicall.calls.services import import_contacts
from aicall.dialer.clock import Clock
from aicall.dialer.engine import Dialer, DialerOptions
from aicall.telephony.base import AnsweredCallback, CallOutcome, CallRequest, Carrier
from aicall.telephony.sandbox import plan_call


class FakeClock(Clock):
    """The dialer's notion of now, moved by the test (calling hours, due times, expiry).

    Epoch and monotonic time stay real: the dialer sleeps in real time until start slots.
    """

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or timezone.now()

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class RecordingCarrier(Carrier):
    """The sandbox's outcomes, at `speed`, recording every call and the concurrency seen."""

    name = "recording"

    def __init__(
        self, speed: float = 1000.0, hold_seconds: float | None = None, limit: int | None = None
    ) -> None:
        self.speed = speed
        self.limit = limit
        self.hold_seconds = hold_seconds  # wall seconds every call lasts, if set
        self.requests: list[CallRequest] = []
        self.starts: list[float] = []
        self.in_use = 0
        self.max_in_use = 0

    def channels_in_use(self) -> int:
        return self.in_use

    def capacity(self) -> int | None:
        return self.limit

    async def place_call(
        self, request: CallRequest, on_answered: AnsweredCallback | None = None
    ) -> CallOutcome:
        self.requests.append(request)
        self.starts.append(time.monotonic())
        self.in_use += 1
        self.max_in_use = max(self.max_in_use, self.in_use)
        try:
            outcome, seconds = plan_call(request)
            if outcome.answered and on_answered is not None:
                on_answered()
            wall = self.hold_seconds if self.hold_seconds is not None else seconds / self.speed
            await asyncio.sleep(wall)
            return outcome
        finally:
            self.in_use -= 1

    def numbers(self) -> list[str]:
        return [r.callee_e164 for r in self.requests]


FAST = dict(
    poll_seconds=0.05,
    flush_seconds=0.02,
    heartbeat_seconds=0.2,
    dead_after_seconds=5.0,
    refresh_seconds=0.2,
    drain_seconds=10.0,
)


class Harness:
    """A dialer running on its own event loop in a background thread."""

    def __init__(self, carrier: Carrier, clock=None, **options) -> None:
        self.dialer = Dialer(carrier, options=DialerOptions(**{**FAST, **options}), clock=clock)
        self.loop = asyncio.new_event_loop()
        self._task: asyncio.Task | None = None
        import threading

        self.thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._task = self.loop.create_task(self.dialer.run())
        self.loop.run_until_complete(self._task)

    def start(self) -> Harness:
        self.thread.start()
        return self

    def stop(self, timeout: float = 20.0) -> None:
        self.loop.call_soon_threadsafe(self.dialer.request_stop)
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "dialer did not stop"
        if self._task is not None and self._task.done() and self._task.exception():
            raise self._task.exception()  # type: ignore[misc]


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {predicate.__name__}")


def settled(campaign) -> Callable[[], bool]:
    def all_calls_done() -> bool:
        return not Call.objects.filter(campaign=campaign).exclude(status=CallStatus.DONE).exists()

    return all_calls_done


@pytest.fixture
def harness():
    """`harness(carrier, clock=..., **options)` starts a dialer; stopped after the test."""
    started: list[Harness] = []

    def start(carrier: Carrier, clock=None, **options) -> Harness:
        h = Harness(carrier, clock, **options).start()
        started.append(h)
        return h

    yield start
    for h in started:
        if h.thread.is_alive():
            h.stop()


def numbers(count: int, last_digit: str | None = None, prefix: str = "09") -> list[dict]:
    """`count` distinct valid mobile numbers, ending in `last_digit` if given."""
    out = []
    for i in range(count):
        body = f"{i:07d}"
        if last_digit is not None:
            body = f"{i:06d}{last_digit}"
        out.append({"phone_number": f"{prefix}1{body}"})
    return out


def queue(campaign, contacts: list[dict]) -> list[int]:
    return import_contacts(campaign, contacts).call_ids
