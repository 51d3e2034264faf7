"""Taking SQLite's one write lock fairly, within a bounded time.

SQLite has a single write lock for the whole file. Left to itself, every connection that
finds it taken sleeps in SQLite's busy handler (1, 2, 5 ... then 100 ms naps) and tries
again: with 200 request threads of the web process doing that, whoever happens to try at
the right moment wins, some requests lose for the whole busy timeout ("database is
locked"), and the dialer, napping 100 ms at a time, loses to the web process's next thread
for seconds. Three rules here replace that lottery:

1. Within a process, writers queue first come first served on a `WriteGate` (a ticket
   lock), so only one connection of the process contends for SQLite's lock at a time.
2. The one at the head of the queue asks SQLite with a zero busy timeout and polls every
   millisecond or so (with jitter), up to the same deadline as the queue; past it the
   caller gets `WriteBusy`, an `OperationalError` saying "database is locked", which the
   API answers as a 503 with `Retry-After` (never a 500).
3. Other processes come first: a process that has to wait for the lock (the dialer, the
   webhook sender) holds a shared `fcntl` lock on a side file while it waits, and a
   *yielding* process (the web process, see `yield_to_other_processes`) checks that file
   before each write and lets the waiter in first (for at most `YIELD_MAX_SECONDS`). So an
   endless stream of imports never starves the dialer's claims and results.

Framework-free: the Django backend (`aicall.lib.sqlite_backend`) calls `begin` and `end`.
"""

import contextlib
import errno
import fcntl
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

# How long a writer may wait in all (queue + lock) before the request gets a 503.
DEFAULT_WAIT_SECONDS = 20.0
POLL_SECONDS = 0.001  # first pause between attempts; grows to POLL_MAX_SECONDS
POLL_MAX_SECONDS = 0.004
YIELD_MAX_SECONDS = 0.25  # the most a yielding process waits for other processes per write
BUSY_TIMEOUT_MS = 30_000  # the connection's busy timeout outside `begin` (settings.py)


class WriteBusy(sqlite3.OperationalError):
    """The write lock was not free within the deadline (retryable: answer 503)."""


class WriteGate:
    """A first-come-first-served lock with a deadline (threading.Lock is not fair).

    Not re-entrant: one transaction per thread at a time, as Django's atomic gives.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._next_ticket = 0
        self._serving = 0
        self._abandoned: set[int] = set()
        self.waiting = 0  # for tests and metrics

    def acquire(self, deadline: float) -> bool:
        with self._condition:
            ticket = self._next_ticket
            self._next_ticket += 1
            self.waiting += 1
            try:
                while self._serving != ticket:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        # Leave the queue: whoever reaches this ticket skips it.
                        self._abandoned.add(ticket)
                        return False
                    self._condition.wait(remaining)
                return True
            finally:
                self.waiting -= 1

    def release(self) -> None:
        with self._condition:
            self._serving += 1
            while self._serving in self._abandoned:
                self._abandoned.discard(self._serving)
                self._serving += 1
            self._condition.notify_all()


class _WaitingMark:
    """A shared fcntl lock on `<database>-writers` while this process waits for the write
    lock; a yielding process probes it with a non-blocking exclusive lock.

    POSIX locks belong to the process, so the threads of one process share one lock,
    counted here; and the file stays open for the life of the process (closing any
    descriptor of a file drops all of the process's locks on it).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._holders = 0

    def _descriptor(self) -> int | None:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                return None  # a read-only directory: no fairness, still correct
        return self._fd

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            fd = self._descriptor()
            if fd is not None and self._holders == 0:
                fcntl.lockf(fd, fcntl.LOCK_SH)  # blocks only for a yielding process's probe
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if fd is not None and self._holders == 0:
                    fcntl.lockf(fd, fcntl.LOCK_UN)

    def others_waiting(self) -> bool:
        with self._lock:
            fd = self._descriptor()
            if fd is None:
                return False
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EACCES, errno.EAGAIN):
                    return True
                raise
            fcntl.lockf(fd, fcntl.LOCK_UN)
            return False


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


class WriteCoordinator:
    """One per database file and process: the gate, the waiting mark, the policy."""

    def __init__(self, path: str, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> None:
        self.gate = WriteGate()
        self.mark = _WaitingMark(path + "-writers")
        self.wait_seconds = wait_seconds
        self.yielding = False
        self.sleep: Callable[[float], None] = time.sleep

    def begin(self, connection: sqlite3.Connection, attempt: Callable[[], Any]) -> Any:
        """Take the gate, then call `attempt` (BEGIN IMMEDIATE, or one autocommit write on
        `connection`) until it gets past SQLite's write lock; WriteBusy past the deadline.

        A busy attempt has changed nothing, so it is simply made again. On success the
        gate stays held until `end()` (and `attempt`'s result is returned); on failure it
        is released.
        """
        deadline = time.monotonic() + self.wait_seconds
        if not self.gate.acquire(deadline):
            raise WriteBusy(f"database is locked: no write slot within {self.wait_seconds:g} s")
        try:
            return self._take_lock(connection, attempt, deadline)
        except BaseException:
            self.gate.release()
            raise

    def end(self) -> None:
        self.gate.release()

    def _take_lock(
        self, connection: sqlite3.Connection, attempt: Callable[[], Any], deadline: float
    ) -> Any:
        if self.yielding:
            self._let_others_first(deadline)
        # Zero busy timeout: SQLite's own handler would nap up to 100 ms at a time.
        connection.execute("PRAGMA busy_timeout=0")
        try:
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
            if self.yielding:  # never mark: a yielding process must not wait for itself
                return self._poll(attempt, deadline)
            with self.mark.held():
                return self._poll(attempt, deadline)
        finally:
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def _poll(self, attempt: Callable[[], Any], deadline: float) -> Any:
        pause = POLL_SECONDS
        while True:
            if time.monotonic() >= deadline:
                raise WriteBusy(
                    f"database is locked: the write lock was not free within "
                    f"{self.wait_seconds:g} s"
                )
            # Jitter: two processes polling in step would keep colliding.
            self.sleep(pause * random.uniform(0.5, 1.5))  # noqa: S311 - not cryptographic
            pause = min(pause * 1.5, POLL_MAX_SECONDS)
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise

    def _let_others_first(self, deadline: float) -> None:
        until = min(deadline, time.monotonic() + YIELD_MAX_SECONDS)
        while self.mark.others_waiting() and time.monotonic() < until:
            self.sleep(POLL_SECONDS / 2)


_coordinators: dict[str, WriteCoordinator] = {}
_coordinators_lock = threading.Lock()
_yielding = False


def coordinator(path: str, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> WriteCoordinator:
    """The process's coordinator for the database file at `path`."""
    key = os.path.abspath(path)
    with _coordinators_lock:
        found = _coordinators.get(key)
        if found is None:
            found = _coordinators[key] = WriteCoordinator(key, wait_seconds)
            found.yielding = _yielding
        return found


def yield_to_other_processes() -> None:
    """Make this process's writers let waiting writers of other processes go first (the
    web process: many request threads; the dialer must not wait behind them)."""
    global _yielding
    with _coordinators_lock:
        _yielding = True
        for found in _coordinators.values():
            found.yielding = True
