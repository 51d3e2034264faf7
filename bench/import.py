"""One import request of 100,000 contacts to a running server, end to end.

Prints accepted contacts per second, the server's peak memory, and, as the reference, the
rate of a bare executemany of the same rows into the same SQLite table, with the ratio.
Usage: .venv/bin/python bench/import.py [--contacts N]
"""

import argparse
import json
import os
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, os.path.dirname(__file__))
from _server import account_with_campaign, peak_rss_mb, server  # noqa: E402


def contacts(count: int) -> list[dict]:
    return [
        {"phone_number": f"09{n:08d}", "danh_xung": "anh", "ho_ten": f"Nguyễn Văn {n}"}
        for n in range(count)
    ]


def bare_executemany(db_path: Path, rows: list[dict], campaign_id: int, owner_id: int) -> float:
    """Seconds to insert the same rows with sqlite3 alone: no HTTP, JSON or validation."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA cache_size=-65536")  # as the server's connections (settings.py)
    start_id = connection.execute("SELECT COALESCE(MAX(id), 0) FROM calls_call").fetchone()[0] + 1
    values = [
        (
            start_id + i,
            campaign_id,
            owner_id,
            "+84" + c["phone_number"][1:],
            c["phone_number"],
            "",
            c["danh_xung"],
            c["ho_ten"],
            "{}",
            "queued",
            1,
            now,
            0,
            "",
            "",
            0,
            "[]",
            "",
            "",
            "",
            now,
        )
        for i, c in enumerate(rows)
    ]
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT INTO calls_call (id, campaign_id, owner_id, phone_e164, phone_as_sent, otp_code,"
        " danh_xung, ho_ten, custom_fields, status, priority, due_at, attempt_count, claimed_by,"
        " caller_id, duration_seconds, key_presses, key_press, hangup_cause, recording,"
        " created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        values,
    )
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL"):
        sys.exit("bench/import.py measures the embedded SQLite database: unset DATABASE_URL")
    rows = contacts(args.contacts)
    with server() as (base, env, pid):
        user, campaign_id, token = account_with_campaign(base, env)
        body = json.dumps({"contacts": rows}).encode()
        url = f"{base}/api/campaigns/{campaign_id}/import"
        started = time.perf_counter()
        response = httpx.post(
            url,
            params={"access_token": token},
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=300,
        )
        elapsed = time.perf_counter() - started
        answer = response.json()
        accepted = len(answer["results"])
        assert accepted == args.contacts, answer["message"]
        peak = peak_rss_mb(pid)
        db_path = Path(env["AICALL_DATA_DIR"]) / "aicall.sqlite3"
        reference = bare_executemany(db_path, rows, campaign_id, user["user_id"])
    rate = accepted / elapsed
    reference_rate = args.contacts / reference
    print(f"contacts sent:              {args.contacts} ({len(body) / 1e6:.1f} MB of JSON)")
    print(f"end to end:                 {elapsed:.2f} s = {rate:,.0f} accepted contacts/s")
    print(f"server peak memory (RSS):   {peak:.0f} MB")
    print(f"bare executemany reference: {reference:.2f} s = {reference_rate:,.0f} rows/s")
    print(f"ratio end-to-end / bare:    {rate / reference_rate:.2f}")


if __name__ == "__main__":
    main()
