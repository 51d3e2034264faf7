import threading
import time

import pytest
from django.db import connection, connections

from aicall.dialer.checkpoint import WalCheckpointer

pytestmark = pytest.mark.django_db(transaction=True)


def _autocheckpoint_of_a_new_connection() -> int:
    """PRAGMA wal_autocheckpoint as a connection opened now (in a new thread) sees it."""
    seen: list[int] = []

    def run() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("PRAGMA wal_autocheckpoint")
                seen.append(cursor.fetchone()[0])
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    return seen[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="WAL checkpoints are SQLite's")
def test_dialer_connections_leave_checkpoints_to_the_thread_which_runs_them():
    assert _autocheckpoint_of_a_new_connection() == 1000  # SQLite's default
    checkpointer = WalCheckpointer(interval_seconds=0.05)
    checkpointer.start()
    try:
        assert _autocheckpoint_of_a_new_connection() == 0
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")  # the connection opened before start()
            assert cursor.fetchone()[0] == 0
            cursor.execute("PRAGMA page_size")
            page_size = cursor.fetchone()[0]
            cursor.execute("CREATE TABLE wal_filler (x TEXT)")  # 1.2 MB of rows
            cursor.executemany("INSERT INTO wal_filler VALUES (%s)", [("x" * 4000,)] * 300)
        before = checkpointer.checkpoints
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints < before + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpointer.checkpoints >= before + 2
        busy, log_frames, copied = checkpointer.last_result
        # The log holds at least the filler's pages (free pages may be reused, so the count
        # of frames varies), and the thread copied all of it into the database file.
        assert busy == 0 and log_frames * page_size >= 300 * 4000 and copied == log_frames
    finally:
        checkpointer.stop()
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS wal_filler")
    assert not checkpointer._thread.is_alive()
    assert _autocheckpoint_of_a_new_connection() == 1000  # other code is left as it was


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the PostgreSQL case")
def test_on_postgresql_the_checkpointer_does_nothing():
    checkpointer = WalCheckpointer(interval_seconds=0.05)
    checkpointer.start()
    checkpointer.stop()
    assert checkpointer.checkpoints == 0 and not checkpointer._thread.is_alive()
