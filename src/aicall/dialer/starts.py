"""Starting claimed calls on their slots, one trunk's calls 1/cps apart in this process.

The claim (claims.py) gives each call a start slot on its trunk's shared schedule; this
keeps the process's starts on it. Calls of one pacing key take turns (an asyncio.Lock is
first come, first served, and calls are created in slot order): only one of them sleeps at
a time. Letting every waiting call sleep and check again woke hundreds of them for each
start that ran late, ~40 % of a paced dialer's CPU (py-spy, 500 calls/s on PostgreSQL).

The next start is due one gap after this one's scheduled time, not after the moment the
event loop got round to it: timed from the actual start, every late wake-up (~0.5-1 ms)
was lost for good, and 500 calls/s became ~370. After a longer stall at most
`CATCH_UP_GAPS` calls start closer together than the gap.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable

from aicall.dialer.clock import Clock
from aicall.dialer.types import ClaimedCall

# Calls that may start closer together than 1/cps to make up for a late event loop.
CATCH_UP_GAPS = 2


class StartSchedule:
    """This process's next start per pacing key (epoch seconds), and whose turn it is."""

    def __init__(
        self, clock: Clock, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self.clock = clock
        self._sleep = sleep  # tests give a virtual one (tests/dialer/test_starts.py)
        self._next_epoch: dict[str, float] = {}
        self._turns: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def wait_for_slot(self, claimed: ClaimedCall) -> None:
        """Sleep until the call may start (its slot, and one gap after the previous start)."""
        key = claimed.campaign.pacing_key
        if claimed.min_gap_seconds <= 0 and claimed.start_epoch <= self.clock.epoch():
            return  # no rate limit, no slot to wait for
        async with self._turns[key]:
            due_epoch = max(claimed.start_epoch, self._next_epoch.get(key, 0.0))
            delay = due_epoch - self.clock.epoch()
            if delay > 0:
                await self._sleep(delay)
            gap = claimed.min_gap_seconds
            if gap > 0:
                late_bound = self.clock.epoch() - CATCH_UP_GAPS * gap
                self._next_epoch[key] = max(due_epoch, late_bound) + gap
