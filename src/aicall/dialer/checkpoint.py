"""SQLite only: the dialer leaves write-ahead-log checkpoints to a thread of its own.

Why: SQLite checkpoints the WAL in whichever connection commits past 1000 pages. Most
often that is the dialer, whose single database thread then stops to copy pages into the
database file and fsync it while finished calls wait to be stored; the more other
processes write (the webhook sender, an import), the more of that work lands on the
dialer. So the dialer's own connections never checkpoint, and a thread with its own
connection runs a PASSIVE checkpoint every second: it never blocks a writer, and SQLite
releases the GIL while it copies. Other processes keep SQLite's automatic checkpoints.
"""

import logging
import threading

from django.db import connections
from django.db.backends.signals import connection_created

log = logging.getLogger("aicall.dialer")
_UID = "aicall-dialer-no-autocheckpoint"


def _no_autocheckpoint(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint=0")


class WalCheckpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` every `interval_seconds` until stopped."""

    def __init__(self, interval_seconds: float = 1.0):
        self.interval_seconds = interval_seconds
        self.stopping = threading.Event()
        self.checkpoints = 0
        # (busy, frames in the log, frames copied into the database) of the last checkpoint
        self.last_result: tuple[int, int, int] | None = None
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> None:
        """Turn automatic checkpoints off for this process's connections, and take over."""
        if connections["default"].vendor != "sqlite":
            return
        connection_created.connect(_no_autocheckpoint, dispatch_uid=_UID)
        if connections["default"].connection is not None:  # opened before this call
            _no_autocheckpoint(None, connections["default"])
        self._thread.start()

    def stop(self) -> None:
        """Checkpoint once more and end the thread; new connections checkpoint again."""
        self.stopping.set()
        if self._thread.is_alive():
            self._thread.join(10)
        connection_created.disconnect(dispatch_uid=_UID)

    def checkpoint(self) -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.last_result = tuple(cursor.fetchone())
        self.checkpoints += 1

    def _run(self) -> None:
        try:
            while not self.stopping.wait(self.interval_seconds):
                try:
                    self.checkpoint()
                except Exception:  # a locked or busy database now is no reason to stop
                    log.exception("WAL checkpoint failed; trying again in a moment")
            self.checkpoint()  # leave a short log behind for whoever starts next
        finally:
            connections.close_all()
