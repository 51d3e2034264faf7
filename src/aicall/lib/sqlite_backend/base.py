"""`ENGINE: aicall.lib.sqlite_backend`: Django's SQLite backend whose writers queue.

Every transaction (`BEGIN IMMEDIATE`, settings.py) and every write outside a transaction
goes through the process's `WriteCoordinator`: first come first served within the process,
a bounded wait in all (`OPTIONS["write_wait_seconds"]`, then an OperationalError "database
is locked" that the API answers with a 503), and waiting writers of other processes first
when this process yields (the web process). Everything else is Django's backend as is.
"""

from typing import Any

from django.db.backends.sqlite3 import base

from aicall.lib.write_gate import DEFAULT_WAIT_SECONDS, WriteCoordinator, coordinator

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


def _is_write(query: str) -> bool:
    return query.lstrip()[:6].upper() in _WRITES


class GatedCursor(base.SQLiteCursorWrapper):
    """A write outside a transaction (autocommit) waits its turn like a transaction."""

    wrapper: "DatabaseWrapper"

    def _in_transaction(self) -> bool:
        # Inside a transaction this connection already holds the write lock (IMMEDIATE).
        return self.wrapper.in_atomic_block or self.connection.in_transaction

    def execute(self, query: str, params: Any = None) -> Any:
        if self._in_transaction() or not _is_write(query):
            return super().execute(query, params)
        return self.wrapper.autocommit_write(
            lambda: base.SQLiteCursorWrapper.execute(self, query, params)
        )

    def executemany(self, query: str, param_list: Any) -> Any:
        if self._in_transaction() or not _is_write(query):
            return super().executemany(query, param_list)
        return self.wrapper.autocommit_write(
            lambda: base.SQLiteCursorWrapper.executemany(self, query, param_list)
        )


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_gate = False
    _writes: WriteCoordinator | None = None

    def get_connection_params(self) -> dict:
        options = dict(self.settings_dict["OPTIONS"])
        wait = float(options.pop("write_wait_seconds", DEFAULT_WAIT_SECONDS))
        settings_dict = {**self.settings_dict, "OPTIONS": options}
        original, self.settings_dict = self.settings_dict, settings_dict
        try:
            kwargs = super().get_connection_params()
        finally:
            self.settings_dict = original
        self._writes = coordinator(kwargs["database"], wait)
        return kwargs

    def create_cursor(self, name: str | None = None) -> Any:
        def factory(connection: Any) -> GatedCursor:
            cursor = GatedCursor(connection)
            cursor.wrapper = self
            return cursor

        return self.connection.cursor(factory=factory)

    def _coordinator(self) -> WriteCoordinator:
        if self._writes is None:
            self.get_connection_params()
        assert self._writes is not None
        return self._writes

    def _start_transaction_under_autocommit(self) -> None:
        mode = self.transaction_mode  # type: ignore[attr-defined]  # set by get_connection_params
        statement = f"BEGIN {mode}" if mode else "BEGIN"
        raw = self.connection
        with self.wrap_database_errors:
            self._coordinator().begin(raw, lambda: raw.execute(statement))
        self._holds_gate = True

    def autocommit_write(self, attempt: Any) -> Any:
        writes = self._coordinator()
        result = writes.begin(self.connection, attempt)
        writes.end()
        return result

    def _release_gate(self) -> None:
        if self._holds_gate:
            self._holds_gate = False
            self._coordinator().end()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # not in django-stubs
        finally:
            if not self._in_transaction():
                self._release_gate()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_gate()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_gate()

    def _in_transaction(self) -> bool:
        return self.connection is not None and self.connection.in_transaction
