"""The dialer's one clock: every reading of the time in the dialer goes through it.

- `now()`: a datetime (UTC, aware) for what is stored: called_at, due_at, heartbeats;
- `epoch()`: seconds since 1970, for what several processes share (a trunk's start slots
  in PacingBucket.next_slot_epoch), so the machines' clocks must agree (NTP);
- `mono()`: the monotonic clock, for intervals inside this process (latencies, refresh).

Tests pass a subclass that moves `now()` (calling hours, due times, expiry) and leaves the
other two real: the dialer sleeps in real time until its start slots.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.utils import timezone


class Clock:
    """The system's clock."""

    def now(self) -> datetime:
        return timezone.now()

    def epoch(self) -> float:
        return time.time()

    def mono(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK = Clock()
