"""Export pages from a campaign of 1,000,000 finished calls (first, middle, last offset).

Prints p50/p99 latency per page position, measured over HTTP against a running server.
Usage: .venv/bin/python bench/export.py [--calls N] [--requests R]
"""

import argparse
import os
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, os.path.dirname(__file__))
from _server import account_with_campaign, server  # noqa: E402

CAUSES = [(40, "NORMAL CLEARING"), (50, "USER BUSY"), (50, "NO ANSWER"), (40, "NORMAL CLEARING")]


def fill(db_path: Path, campaign_id: int, owner_id: int, count: int) -> None:
    """Insert `count` finished calls, one a second, straight into the database."""
    start = datetime.now(UTC) - timedelta(seconds=count + 60)
    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    batch = []
    for n in range(count):
        state, note = CAUSES[n % 4]
        moment = (start + timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S.%f")
        batch.append(
            (
                campaign_id,
                owner_id,
                f"+849{n:08d}",
                f"09{n:08d}",
                "",
                "",
                "",
                "{}",
                "done",
                state,
                1,
                moment,
                1,
                "",
                "0281234567",
                moment,
                8 if state == 40 else 0,
                "[]",
                "1 (3)" if state == 40 else "",
                note,
                "",
                moment,
            )
        )
        if len(batch) == 50_000:
            _insert(connection, batch)
            batch = []
    _insert(connection, batch)
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()


def _insert(connection: sqlite3.Connection, rows: list[tuple]) -> None:
    connection.executemany(
        "INSERT INTO calls_call (campaign_id, owner_id, phone_e164, phone_as_sent, otp_code,"
        " danh_xung, ho_ten, custom_fields, status, state, priority, due_at, attempt_count,"
        " claimed_by, caller_id, called_at, duration_seconds, key_presses, key_press,"
        " hangup_cause, recording, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL"):
        sys.exit("bench/export.py measures the embedded SQLite database: unset DATABASE_URL")
    with server() as (base, env, _pid):
        user, campaign_id, token = account_with_campaign(base, env)
        started = time.perf_counter()
        db_path = Path(env["AICALL_DATA_DIR"]) / "aicall.sqlite3"
        fill(db_path, campaign_id, user["user_id"], args.calls)
        print(f"filled {args.calls:,} finished calls in {time.perf_counter() - started:.1f} s")
        # Export's default start is the campaign's creation: reach back before the first call.
        params = {"start_time": 0}
        worst = 0.0
        with httpx.Client(base_url=base, timeout=30) as client:
            for name, offset in [
                ("first", 0),
                ("middle", args.calls // 2),
                ("last", args.calls - 100),
            ]:
                timings = []
                for _ in range(args.requests):
                    t = time.perf_counter()
                    response = client.get(
                        f"/api/campaigns/{campaign_id}/export",
                        params={**params, "access_token": token, "limit": 100, "offset": offset},
                    )
                    timings.append((time.perf_counter() - t) * 1000)
                    body = response.json()["results"]
                    assert body["total"] == args.calls and len(body["calls"]) == 100
                timings.sort()
                p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
                worst = max(worst, p99)
                print(
                    f"page {name:6} offset {offset:>9,}: p50 {statistics.median(timings):6.1f} ms"
                    f"  p99 {p99:6.1f} ms"
                )
    print(f"worst p99: {worst:.1f} ms (target < 100 ms)")


if __name__ == "__main__":
    main()
