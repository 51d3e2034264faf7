"""The web process's CPU per request, by kind, on a live server (SQLite or PostgreSQL).

One account and campaign with --calls finished calls. For each kind (an export page, a
call-log page, an import of 100 contacts), requests are sent one after another, then from 8
clients at once (the read lane's threads), and the server's CPU time (user + system, from
/proc) is divided by the requests answered. What bench/load.py's 200 clients can get out of
one core follows from these figures: a burst of N reads queued behind each other waits
about N x (CPU per read).

Usage: .venv/bin/python bench/request_cpu.py [--requests 600] [--database sqlite|postgres]
"""

import argparse
import asyncio
import json
import os
import random
import sys
import time

import httpx

sys.path.insert(0, os.path.dirname(__file__))
from _server import (  # noqa: E402
    account_with_campaign,
    cpu_times,
    fresh_postgres_database,
    run,
    server,
)

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_request_cpu"

# Finished calls a second apart, as the dialer leaves them (one `aicall shell`).
FILL = """
from datetime import timedelta
from django.utils import timezone
from aicall.calls.models import Call, CallStatus
from aicall.campaigns.models import Campaign
campaign = Campaign.objects.get(pk={campaign_id})
start = timezone.now() - timedelta(seconds={calls})
Call.objects.bulk_create(
    Call(campaign=campaign, owner_id=campaign.owner_id, phone_e164=f"+8490{{n:07d}}",
         phone_as_sent=f"090{{n:07d}}", status=CallStatus.DONE, state=40 if n % 3 else 50,
         attempt_count=1, called_at=start + timedelta(seconds=n), duration_seconds=8,
         key_press="1 (5)", hangup_cause="NORMAL CLEARING")
    for n in range({calls}))
"""


def request_of(kind: str, campaign_id: int):
    if kind == "export":
        return "GET", f"/api/campaigns/{campaign_id}/export", {"start_time": 0, "limit": 100}
    if kind == "call-log":
        return "GET", "/api/users/call-log", {"start_time": 0, "limit": 100}
    return "POST", f"/api/campaigns/{campaign_id}/import", None


def body_of(kind: str) -> dict | None:
    if kind != "import":
        return None
    contacts = [
        {"phone_number": f"09{random.randrange(10**8):08d}", "ho_ten": f"Nguyễn Văn {n}"}  # noqa: S311
        for n in range(100)
    ]
    return {"contacts": contacts}


async def send(client: httpx.AsyncClient, kind: str, campaign_id: int, count: int) -> None:
    method, path, params = request_of(kind, campaign_id)
    for _ in range(count):
        answer = await client.request(method, path, params=params, json=body_of(kind))
        assert answer.status_code == 200, answer.text


async def measure(base: str, token: str, campaign_id: int, kind: str, args) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    figures = {}
    for clients in (1, 8):
        pool = [
            httpx.AsyncClient(base_url=base, headers=headers, timeout=60) for _ in range(clients)
        ]
        per_client = args.requests // clients
        await asyncio.gather(*(send(c, kind, campaign_id, 20) for c in pool))  # warm threads
        before, started = cpu_times(args.pid), time.monotonic()
        await asyncio.gather(*(send(c, kind, campaign_id, per_client) for c in pool))
        elapsed, after = time.monotonic() - started, cpu_times(args.pid)
        user, system = after[0] - before[0], after[1] - before[1]
        for c in pool:
            await c.aclose()
        answered = per_client * clients
        figures[clients] = (
            (user + system) / answered * 1000,
            system / (user + system),
            answered / elapsed,
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=600, help="per kind and concurrency")
    parser.add_argument("--calls", type=int, default=5000, help="finished calls to page through")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    env = {"AICALL_API_RATE_PER_SECOND": "1000000", "AICALL_API_RATE_BURST": "1000000"}
    if args.database == "postgres":
        fresh_postgres_database(POSTGRES_URL)
        env["DATABASE_URL"] = POSTGRES_URL
    else:
        env["DATABASE_URL"] = ""
    with server(env) as (base, server_env, pid):
        args.pid = pid
        _, campaign_id, token = account_with_campaign(base, server_env)
        run(["shell", "-c", FILL.format(campaign_id=campaign_id, calls=args.calls)], server_env)
        print(f"== {args.database}: web process CPU per request ({args.requests} of each)")
        for kind in ("export", "call-log", "import"):
            figures = asyncio.run(measure(base, token, campaign_id, kind, args))
            print(
                f"{kind:8} "
                + "  ".join(
                    f"{clients} client{'s' if clients > 1 else ' '}: {cpu:5.2f} ms CPU"
                    f" ({system:3.0%} system, {rate:4.0f} req/s)"
                    for clients, (cpu, system, rate) in figures.items()
                )
            )
        print(json.dumps({"load average": os.getloadavg()}))


if __name__ == "__main__":
    main()
