"""Bulk SQL on the calls tables, built from one column specification per table.

The hot paths (an import of 100,000 contacts, a dialer storing a thousand results) cannot
afford the ORM's per-row statements, so they write with hand-made SQL. Every such statement
is built here from `CALL` and `CALL_ATTEMPT`: the column names, and the PostgreSQL type
each bound value is cast to in a `VALUES` list (tests/calls/test_bulk.py checks that the
specification equals the models' fields). Rows are named records (NamedTuple) whose field
names are column names, so a statement never depends on the position of a value.

Both databases get the same rows; each gets the statement that is fastest on it:
- SQLite: inserts read every row from one bound JSON array (`json_each`), which SQLite
  takes apart in C; updates are one `executemany` (one transaction, no round trips).
- PostgreSQL: inserts are one `executemany` (psycopg pipelines it); updates are one
  `UPDATE ... FROM (VALUES ...)` per 1000 rows, a few round trips for a whole batch.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from django.db import connection

CHUNK = 1000  # rows per PostgreSQL UPDATE ... FROM (VALUES ...)


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str  # what a bound value is cast to on PostgreSQL (the column's own type)

    @property
    def width(self) -> int | None:
        """The most characters a varchar column holds (None: no limit, or not text)."""
        if self.pg_type.startswith("varchar("):
            return int(self.pg_type[len("varchar(") : -1])
        return None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")


_TS = "timestamp with time zone"

CALL = Table(
    "calls_call",
    (
        Column("id", "bigint"),
        Column("campaign_id", "bigint"),
        Column("owner_id", "bigint"),
        Column("phone_e164", "varchar(20)"),
        Column("phone_as_sent", "varchar(64)"),
        Column("otp_code", "varchar(6)"),
        Column("danh_xung", "text"),
        Column("ho_ten", "text"),
        Column("custom_fields", "jsonb"),
        Column("status", "varchar(8)"),
        Column("state", "smallint"),
        Column("priority", "smallint"),
        Column("due_at", _TS),
        Column("attempt_count", "smallint"),
        Column("claimed_by", "varchar(64)"),
        Column("claimed_at", _TS),
        Column("caller_id", "varchar(32)"),
        Column("called_at", _TS),
        Column("answered_at", _TS),
        Column("ended_at", _TS),
        Column("duration_seconds", "integer"),
        Column("key_presses", "jsonb"),
        Column("key_press", "varchar(500)"),
        Column("hangup_cause", "varchar(64)"),
        Column("sip_code", "smallint"),
        Column("recording", "varchar(300)"),
        Column("carrier", "varchar(16)"),
        Column("created_at", _TS),
    ),
)

CALL_ATTEMPT = Table(
    "calls_callattempt",
    (
        Column("id", "bigint"),
        Column("call_id", "bigint"),
        Column("attempt", "smallint"),
        Column("called_at", _TS),
        Column("answered_at", _TS),
        Column("ended_at", _TS),
        Column("duration_seconds", "integer"),
        Column("key_press", "varchar(500)"),
        Column("hangup_cause", "varchar(64)"),
        Column("sip_code", "smallint"),
        Column("dialer", "varchar(64)"),
        Column("carrier", "varchar(16)"),
        Column("trunk_name", "varchar(100)"),
    ),
)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sqlite_datetime(fallback: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Django's SQLite datetime adapter (naive UTC text), short-cut for values already in
    UTC (timezone.now() and what is computed from it): a store batch adapts seven
    datetimes a result, and Django's checks made each 1.6x slower (2.3 vs 1.4 us)."""

    def adapt(value: Any) -> Any:
        if value.__class__ is datetime and value.tzinfo is UTC:
            return str(value.replace(tzinfo=None))
        return fallback(value)

    return adapt


def _adapters(table: Table, names: Sequence[str], *, clip_text: bool = False) -> list[Any]:
    """For each column, how a Python value becomes what the database driver is given
    (None: as it is).

    With `clip_text`, text is cut to the column's width: one odd value from a carrier must
    not make a whole batch fail (and be retried, and fail) forever. Imports check their
    values before and skip this (a function call per value of 100,000 rows).
    """
    adapt_datetime: Callable[[Any], Any] = connection.ops.adapt_datetimefield_value
    if connection.vendor == "sqlite" and connection.timezone is UTC:
        adapt_datetime = _sqlite_datetime(adapt_datetime)

    def as_json(value: Any) -> str | None:
        return None if value is None else orjson.dumps(value).decode()

    def clip(width: int) -> Any:
        return lambda value: value[:width] if isinstance(value, str) else value

    adapters: list[Any] = []
    for name in names:
        column = table.column(name)
        if column.pg_type == _TS:
            adapters.append(adapt_datetime)
        elif column.pg_type == "jsonb":
            adapters.append(as_json)
        elif clip_text and column.width is not None:
            adapters.append(clip(column.width))
        else:
            adapters.append(None)
    return adapters


def _converter(names: Sequence[str], order: Sequence[str], adapters: list[Any]) -> Any:
    """A function from a record (fields `names`) to its bound values in `order`, adapted.

    One pass a row, the picking done in C (itemgetter), the adapters called only where a
    column has one: a store batch converts a thousand records of 11 and 15 values.
    """
    index = {name: i for i, name in enumerate(names)}
    positions = [index[name] for name in order]
    picked = [adapters[i] for i in positions]
    adapted = [(j, fn) for j, fn in enumerate(picked) if fn is not None]
    pick: Callable[[Sequence[Any]], Sequence[Any]]
    if len(positions) > 1:
        pick = operator.itemgetter(*positions)
    else:  # itemgetter of one index gives the value, not a tuple; of none, it refuses
        pick = lambda row: tuple(row[i] for i in positions)  # noqa: E731

    def convert(row: Sequence[Any]) -> list[Any]:
        values = list(pick(row))
        for j, fn in adapted:
            values[j] = fn(values[j])
        return values

    return convert


def insert_rows(table: Table, shared: Mapping[str, Any], rows: Sequence[NamedTuple]) -> None:
    """INSERT `rows` (all of one record type), each with the `shared` column values too."""
    if not rows:
        return
    names = list(rows[0]._fields)
    shared_names = list(shared)
    shared_values = _converter(shared_names, shared_names, _adapters(table, shared_names))(
        list(shared.values())
    )
    adapters = _adapters(table, names)
    into = f"INSERT INTO {table.name} ({', '.join(shared_names + names)})"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # JSON columns go into the array as JSON and come out as their text (->>).
            plain = [
                None if table.column(n).pg_type == "jsonb" else a
                for n, a in zip(names, adapters, strict=True)
            ]
            if any(plain):
                convert = _converter(names, names, plain)
                payload = orjson.dumps([convert(row) for row in rows]).decode()
            else:  # the records as they are (orjson takes a NamedTuple via `default`)
                payload = orjson.dumps(rows, default=tuple).decode()
            picks = ", ".join(f"value ->> {n}" for n in range(len(names)))
            binds = "".join("%s, " for _ in shared_names)
            cursor.execute(
                f"{into} SELECT {binds}{picks} FROM json_each(%s)",  # noqa: S608 - spec names
                [*shared_values, payload],
            )
        else:
            placeholders = ", ".join(["%s"] * (len(shared_names) + len(names)))
            convert = _converter(names, names, adapters)
            cursor.executemany(
                f"{into} VALUES ({placeholders})",  # noqa: S608 - spec names
                [(*shared_values, *convert(row)) for row in rows],
            )


def update_rows(
    table: Table,
    rows: Sequence[NamedTuple],
    *,
    key: Sequence[str],
    constants: Mapping[str, str] | None = None,
    keep_when_null: Sequence[str] = (),
) -> None:
    """UPDATE one row per record, found by its `key` columns, to the record's other values.

    `constants` are SQL literals every row gets (`{"claimed_by": "''"}`); a column named in
    `keep_when_null` keeps its stored value where the record says None.
    """
    if not rows:
        return
    names = list(rows[0]._fields)
    values = [n for n in names if n not in key]
    adapters = _adapters(table, names, clip_text=True)
    fixed = [f"{name} = {literal}" for name, literal in (constants or {}).items()]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            convert = _converter(names, names, adapters)
            sets = [
                f"{n} = COALESCE(v.{n}, t.{n})" if n in keep_when_null else f"{n} = v.{n}"
                for n in values
            ]
            # Only the first row is cast: a VALUES list takes each column's type from its
            # typed entries and coerces the rest (as UNION does). A cast on every value
            # made PostgreSQL parse and fold 15,000 of them per statement.
            typed = "(" + ", ".join(f"%s::{table.column(n).pg_type}" for n in names) + ")"
            plain = "(" + ", ".join(["%s"] * len(names)) + ")"
            where = " AND ".join(f"t.{n} = v.{n}" for n in key)
            for chunk in _chunks(rows, CHUNK):
                values_sql = ", ".join([typed] + [plain] * (len(chunk) - 1))
                cursor.execute(
                    f"UPDATE {table.name} AS t SET {', '.join(sets + fixed)} "  # noqa: S608
                    f"FROM (VALUES {values_sql}) AS v({', '.join(names)}) "
                    f"WHERE {where}",
                    [value for row in chunk for value in convert(row)],
                )
        else:
            convert = _converter(names, [*values, *key], adapters)
            sets = [
                f"{n} = COALESCE(%s, {n})" if n in keep_when_null else f"{n} = %s" for n in values
            ]
            where = " AND ".join(f"{n} = %s" for n in key)
            cursor.executemany(
                f"UPDATE {table.name} SET {', '.join(sets + fixed)} WHERE {where}",  # noqa: S608
                [convert(row) for row in rows],
            )
