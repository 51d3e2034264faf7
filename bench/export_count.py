"""Export's total on SQLite: counting the partial index vs the trigger-kept counter.

A campaign of 1,000,000 finished calls in a table with calls_call's export index; prints
the median and worst of 30 reads each way (docs/dialer.md, "Export totals on SQLite").
Usage: .venv/bin/python bench/export_count.py
"""

import os
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

N = 1_000_000
SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE calls_call(id integer primary key, campaign_id int, owner_id int, status text,
                        called_at text);
CREATE INDEX call_export ON calls_call(campaign_id, called_at, id) WHERE status = 'done';
CREATE TABLE calls_finishedcallcount(scope text, scope_id int, finished int,
                                     UNIQUE(scope, scope_id));
"""
COUNT = (
    "SELECT COUNT(*) FROM calls_call WHERE campaign_id = 1 AND called_at >= ? "
    "AND called_at <= ? AND status = 'done'"
)
FIRST = (
    "SELECT called_at FROM calls_call WHERE campaign_id = 1 AND status = 'done' "
    "ORDER BY called_at, id LIMIT 1"
)
LAST = (
    "SELECT called_at FROM calls_call WHERE campaign_id = 1 AND status = 'done' "
    "ORDER BY called_at DESC, id DESC LIMIT 1"
)
COUNTER = "SELECT finished FROM calls_finishedcallcount WHERE scope = 'campaign' AND scope_id = 1"
RANGE = ("2000-01-01", "2100-01-01")


def main() -> None:
    db = sqlite3.connect(os.path.join(tempfile.mkdtemp(), "c.db"), isolation_level=None)
    db.executescript(SCHEMA)
    start = datetime.now(UTC) - timedelta(seconds=N + 60)
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO calls_call(campaign_id, owner_id, status, called_at) VALUES (1, 1, 'done', ?)",
        (((start + timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S.%f"),) for n in range(N)),
    )
    db.execute("INSERT INTO calls_finishedcallcount VALUES ('campaign', 1, ?)", (N,))
    db.execute("COMMIT")
    db.execute("ANALYZE")

    def count_index() -> int:
        return db.execute(COUNT, RANGE).fetchone()[0]

    def counter() -> int:
        db.execute(FIRST).fetchone()
        db.execute(LAST).fetchone()
        return db.execute(COUNTER).fetchone()[0]

    for name, read in [("count the index", count_index), ("counter + 2 seeks", counter)]:
        times = []
        for _ in range(30):
            t = time.perf_counter()
            assert read() == N
            times.append((time.perf_counter() - t) * 1000)
        print(f"{name}: p50 {statistics.median(times):.2f} ms  max {max(times):.2f} ms over 30")
    print([row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + COUNT, RANGE)])


if __name__ == "__main__":
    main()
