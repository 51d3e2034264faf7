"""Dialer benchmark: the whole pipeline (claim -> sandbox call -> result stored) in one process.

    .venv/bin/python bench/dialer.py                       # SQLite (a temporary data dir)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test AICALL_TEST_DB_NAME=bench_dialer \
        .venv/bin/python bench/dialer.py                   # PostgreSQL (a scratch database)

Phase 1, throughput: N calls of every sandbox outcome at a high sandbox speed (calls last a
few milliseconds), no pacing limit: attempts per second from the first claim to the last
result stored, with claim and store latencies.
Phase 2, concurrency: M calls that each last ~30 s of wall time; the most calls the one
dialer process holds at once (placed with the carrier, not merely claimed).
The database is created for the run and dropped afterwards. Prints its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def setup_django() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["AICALL_DATA_DIR"] = tempfile.mkdtemp(prefix="aicall-bench-")
    os.environ.update(
        AICALL_SANDBOX_MAX_CHANNELS="1000000",
        AICALL_SANDBOX_CALLS_PER_SECOND="0",
        AICALL_LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("AICALL_TEST_DB_NAME", "bench_dialer")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aicall.settings")
    import django

    django.setup()


def make_campaign(count: int, last_digit: str | None, script: str):
    from aicall.accounts.services import do_create_user
    from aicall.calls.services import import_contacts
    from aicall.campaigns.services import do_create_campaign

    user = do_create_user(f"bench{time.time_ns()}@example.com", "bench password 123")
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "bench",
            "campaign_type": "ivr",
            "calling_hours": "00:00-24:00",
            "max_concurrent_calls": 100_000,
            "ring_timeout_seconds": 5,
            "script": script,
        },
    )
    for start in range(0, count, 10_000):
        chunk = range(start, min(count, start + 10_000))
        contacts = [
            {
                "phone_number": f"091{i:07d}"
                if last_digit is None
                else f"091{i:06d}{last_digit}"[-10:],
                "ho_ten": "Nguyễn Văn A",
            }
            for i in chunk
        ]
        import_contacts(campaign, contacts)
    return campaign


async def drive(dialer, done, sample) -> None:
    """Run `dialer` until done() says so, calling sample() every 50 ms."""
    task = asyncio.create_task(dialer.run())
    while not done():
        sample()
        await asyncio.sleep(0.05)
        if task.done():
            task.result()
            raise RuntimeError("dialer stopped early")
    dialer.request_stop()
    await task


LATENCIES = {
    "claim_sum": "aicall_dialer_claim_latency_seconds_sum",
    "claim_count": "aicall_dialer_claim_latency_seconds_count",
    "store_sum": "aicall_dialer_store_latency_seconds_sum",
    "store_count": "aicall_dialer_store_latency_seconds_count",
}


def metric(key: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(LATENCIES[key]) or 0.0


def throughput(calls: int, speed: float, batch: int) -> dict:
    from aicall.campaigns.services import do_start_campaign
    from aicall.dialer.engine import Dialer, DialerOptions
    from aicall.telephony.sandbox import SandboxCarrier

    campaign = make_campaign(calls, None, "Xin chào {ho_ten}, bấm phím 1 để xác nhận.")
    do_start_campaign(campaign)
    dialer = Dialer(
        SandboxCarrier(speed=speed),
        options=DialerOptions(
            max_calls=100_000, claim_batch=batch, poll_seconds=0.05, flush_seconds=0.1
        ),
    )
    began = time.perf_counter()
    before = {k: metric(k) for k in LATENCIES}
    cpu_before = time.process_time()
    asyncio.run(drive(dialer, lambda: dialer.stored_total >= calls, lambda: None))
    elapsed = time.perf_counter() - began
    d = {k: metric(k) - before[k] for k in LATENCIES}
    claims, stores = d["claim_count"], d["store_count"]
    return {
        "calls": calls,
        "seconds": elapsed,
        "attempts_per_second": calls / elapsed,
        "claim_rounds": int(claims),
        "claim_ms_avg": 1000 * d["claim_sum"] / max(1, claims),
        "store_batches": int(stores),
        "store_ms_avg": 1000 * d["store_sum"] / max(1, stores),
        "cpu_seconds": time.process_time() - cpu_before,
        "max_concurrent": dialer.max_placed,
    }


def concurrency(calls: int, hold_seconds: float, batch: int) -> dict:
    from aicall.campaigns.services import do_start_campaign
    from aicall.dialer.engine import Dialer, DialerOptions
    from aicall.telephony.sandbox import SandboxCarrier

    # Last digit 7: answers after 2 s, hangs up 5 s later -> 7 s of call time.
    campaign = make_campaign(calls, "7", "")
    do_start_campaign(campaign)
    speed = 7.0 / hold_seconds
    dialer = Dialer(
        SandboxCarrier(speed=speed),
        options=DialerOptions(
            max_calls=calls + 1000, claim_batch=batch, poll_seconds=0.05, flush_seconds=0.25
        ),
    )
    began = time.perf_counter()
    reached: dict[str, float] = {}

    def sample() -> None:
        if dialer.max_placed >= calls and "all" not in reached:
            reached["all"] = time.perf_counter() - began

    asyncio.run(drive(dialer, lambda: dialer.stored_total >= calls, sample))
    return {
        "calls": calls,
        "hold_seconds": hold_seconds,
        "max_concurrent": dialer.max_placed,
        "seconds_to_hold_all": reached.get("all"),
        "total_seconds": time.perf_counter() - began,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000, help="phase 1 calls")
    parser.add_argument("--speed", type=float, default=2000.0, help="phase 1 sandbox speed")
    parser.add_argument("--concurrent", type=int, default=10_000, help="phase 2 calls")
    parser.add_argument("--hold", type=float, default=30.0, help="phase 2 call length, s")
    parser.add_argument("--batch", type=int, default=1000, help="calls claimed per round")
    parser.add_argument("--skip-concurrency", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    creation = connection.creation
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(f"database: {connection.vendor}  cores: {os.cpu_count()}")
        t = throughput(args.calls, args.speed, args.batch)
        print(
            f"throughput: {t['calls']} attempts in {t['seconds']:.1f} s = "
            f"{t['attempts_per_second']:.0f} attempts/s (claim {t['claim_ms_avg']:.1f} ms x "
            f"{t['claim_rounds']}, store {t['store_ms_avg']:.1f} ms x {t['store_batches']}, "
            f"{t['cpu_seconds']:.1f} CPU s, {t['max_concurrent']} at once)"
        )
        if not args.skip_concurrency:
            c = concurrency(args.concurrent, args.hold, args.batch)
            print(
                f"concurrency: {c['max_concurrent']} calls held at once by one process "
                f"(all {c['calls']} placed after {c['seconds_to_hold_all'] or float('nan'):.1f} s,"
                f" calls of {c['hold_seconds']:.0f} s; peak RSS {c['peak_rss_mb']:.0f} MB)"
            )
    finally:
        creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
