"""The write gate: first come first served, bounded waits, other processes first."""

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from aicall.lib.write_gate import POLL_MAX_SECONDS, WriteBusy, WriteCoordinator, WriteGate


def database(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    return connection


def test_gate_serves_writers_in_arrival_order():
    gate = WriteGate()
    assert gate.acquire(time.monotonic() + 1)
    order: list[int] = []
    threads = []
    for n in range(5):
        thread = threading.Thread(
            target=lambda n=n: (
                gate.acquire(time.monotonic() + 10),
                order.append(n),
                gate.release(),
            )
        )
        thread.start()
        threads.append(thread)
        while gate.waiting < n + 1:  # each one queued before the next arrives
            time.sleep(0.001)
    gate.release()
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2, 3, 4]


def test_a_writer_that_gives_up_leaves_the_queue():
    gate = WriteGate()
    assert gate.acquire(time.monotonic() + 1)
    assert not gate.acquire(time.monotonic() + 0.05)  # timed out: its ticket is skipped
    gate.release()
    assert gate.acquire(time.monotonic() + 0.05)  # the next writer is not stuck behind it


def test_a_lock_held_past_the_deadline_is_write_busy_and_releases_the_gate(tmp_path):
    path = tmp_path / "db.sqlite3"
    holder = database(path)
    holder.execute("BEGIN IMMEDIATE")
    writes = WriteCoordinator(str(path), wait_seconds=0.2)
    connection = database(path)
    started = time.monotonic()
    with pytest.raises(WriteBusy, match="database is locked"):
        writes.begin(connection, lambda: connection.execute("BEGIN IMMEDIATE"))
    assert 0.2 <= time.monotonic() - started < 2
    assert isinstance(WriteBusy("x"), sqlite3.OperationalError)  # Django maps it: the API's 503
    holder.execute("COMMIT")
    # The gate was released and the connection's busy timeout restored.
    writes.begin(connection, lambda: connection.execute("BEGIN IMMEDIATE"))
    connection.execute("INSERT INTO t VALUES (1)")
    connection.execute("COMMIT")
    writes.end()
    assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000


def test_a_waiting_writer_polls_every_few_milliseconds(tmp_path):
    path = tmp_path / "db.sqlite3"
    holder = database(path)
    holder.execute("BEGIN IMMEDIATE")
    writes = WriteCoordinator(str(path), wait_seconds=30)
    pauses: list[float] = []
    writes.sleep = lambda seconds: (pauses.append(seconds), time.sleep(seconds))
    connection = database(path)
    done = threading.Event()

    def release_later() -> None:
        while len(pauses) < 100:  # the writer has tried 100 times meanwhile
            time.sleep(0.001)
        holder.execute("COMMIT")
        done.set()

    threading.Thread(target=release_later).start()
    writes.begin(connection, lambda: connection.execute("BEGIN IMMEDIATE"))
    connection.execute("COMMIT")
    writes.end()
    assert done.is_set()
    # SQLite's own busy handler naps 100 ms at a time after the first 228 ms; the gate
    # never more than 6 ms (4 ms with up to 50 % jitter), so a freed lock is taken soon.
    assert max(pauses) <= POLL_MAX_SECONDS * 1.5


# A writer in another process, waiting for the lock (as the dialer would).
OTHER_PROCESS = """
import sqlite3, sys, time
from aicall.lib.write_gate import WriteCoordinator
path = sys.argv[1]
connection = sqlite3.connect(path, isolation_level=None)
writes = WriteCoordinator(path, wait_seconds=20)
print("waiting", flush=True)
writes.begin(connection, lambda: connection.execute("BEGIN IMMEDIATE"))
connection.execute("INSERT INTO t VALUES (-1)")
connection.execute("COMMIT")
writes.end()
print("done", flush=True)
"""


def test_a_yielding_process_lets_a_waiting_process_write_first(tmp_path):
    """The web process yields: however many writes it queues back to back, a writer of
    another process that waits gets in next, not after them all."""
    path = tmp_path / "db.sqlite3"
    connection = database(path)
    writes = WriteCoordinator(str(path), wait_seconds=20)
    writes.yielding = True
    writes.begin(connection, lambda: connection.execute("BEGIN IMMEDIATE"))
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert other.stdout is not None
    assert other.stdout.readline().strip() == "waiting"
    # Wait until the other process has found the lock taken and marked itself waiting.
    deadline = time.monotonic() + 60
    while not writes.mark.others_waiting():
        assert time.monotonic() < deadline, "the other process never waited"
        time.sleep(0.005)
    connection.execute("INSERT INTO t VALUES (0)")
    connection.execute("COMMIT")
    writes.end()
    for n in range(1, 51):  # our next writes, back to back
        writes.begin(connection, lambda: connection.execute("BEGIN IMMEDIATE"))
        connection.execute("INSERT INTO t VALUES (?)", (n,))
        connection.execute("COMMIT")
        writes.end()
    assert other.wait(60) == 0
    order = [row[0] for row in connection.execute("SELECT n FROM t ORDER BY rowid")]
    assert order[:2] == [0, -1], order
