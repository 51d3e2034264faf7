"""N concurrent API clients for a fixed time against a live server with its dialer running.

Each client, in a loop with no pause, imports a batch of contacts into its account's
running campaign, reads an export page of that campaign, or reads its account's call-log
(weights --mix). Meanwhile the server's dialer places the campaigns' calls through the
sandbox carrier at a fixed pace. The dialer's calls/s is measured first alone (no client),
then during the load, in the same run. Prints requests/s, p50/p99 per operation, answers
by status, and the dialer's two rates with their ratio.

Usage: .venv/bin/python bench/load.py [--clients 200] [--seconds 60] [--database both]
Targets (2-core machine): no 500, dialer during load >= 80 % of alone, export p99 < 1 s.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import ssl
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, os.path.dirname(__file__))
from _server import cpu_times, free_port, fresh_postgres_database, run, server  # noqa: E402

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_load"

# Accounts and running campaigns, created in one `aicall shell` (createuser per account
# would start Django once each). Prints [[campaign_id, access_token], ...].
SETUP = """
import json
from aicall.accounts.services import do_create_user
from aicall.accounts.tokens import mint_access_token
from aicall.campaigns.services import do_create_campaign
out = []
for n in range({accounts}):
    user = do_create_user(f"load{{n}}@example.com", "load bench password 42")
    campaign = do_create_campaign(user.pk, {{"name": f"load {{n}}", "campaign_type": "ivr",
        "calling_hours": "00:00-24:00", "max_concurrent_calls": 100000,
        "script": "Xin chào {{ho_ten}}"}}, start=True)
    out.append([campaign.pk, mint_access_token(user)])
print(json.dumps(out))
"""


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def contacts(count: int) -> list[dict]:
    # Random numbers: a client's batches must not repeat each other's (they would still be
    # accepted, but real imports are new people). Last digits 0/7/8/9 answer in the sandbox.
    return [
        {
            "phone_number": f"09{random.randrange(10**8):08d}",  # noqa: S311
            "danh_xung": "anh",
            "ho_ten": f"Nguyễn Văn {n}",
        }
        for n in range(count)
    ]


class Dialer:
    """Samples the dialer's `aicall_dialer_calls_started_total` from its metrics port."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/metrics"
        self.samples: list[tuple[float, float]] = []

    async def started(self, client: httpx.AsyncClient) -> float | None:
        try:
            text = (await client.get(self.url, timeout=5)).text
        except httpx.HTTPError:
            return None
        for line in text.splitlines():
            if line.startswith("aicall_dialer_calls_started_total "):
                return float(line.split()[1])
        return None

    async def sample(self, client: httpx.AsyncClient, until: float) -> None:
        while time.monotonic() < until:
            value = await self.started(client)
            if value is not None:
                self.samples.append((time.monotonic(), value))
            await asyncio.sleep(0.25)

    def rate(self, start: float, end: float) -> tuple[float, float]:
        """(calls/s over [start, end], longest stretch in it without a new call, s)."""
        inside = [(t, v) for t, v in self.samples if start <= t <= end]
        if len(inside) < 2:
            return float("nan"), float("nan")
        (t0, v0), (t1, v1) = inside[0], inside[-1]
        longest, last_change = 0.0, t0
        for (_, before), (t, value) in zip(inside, inside[1:], strict=False):
            if value != before:
                last_change = t
            longest = max(longest, t - last_change)
        return (v1 - v0) / (t1 - t0), longest


def processes(server_pid: int) -> dict[str, list[int]]:
    """The web process and the children `aicall serve` supervises, by command name."""
    found: dict[str, list[int]] = {"web": [server_pid]}
    pending = [server_pid]
    while pending:
        pid = pending.pop()
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
                    name = (
                        argv[3].decode()
                        if len(argv) > 3 and argv[1:3] == [b"-m", b"aicall"]
                        else "other"
                    )
                    found.setdefault("web" if name == "serve" else name, []).append(int(child))
                    pending.append(int(child))
    return found


class CpuMeter:
    """CPU seconds of each process group and of this load generator over the load."""

    def __init__(self, server_pid: int) -> None:
        self.groups = processes(server_pid)
        self.before = self.read()

    def read(self) -> dict[str, float]:
        used = {
            name: sum(sum(cpu_times(pid)) for pid in pids) for name, pids in self.groups.items()
        }
        used["load generator"] = time.process_time()
        return used

    def used(self) -> dict[str, float]:
        after = self.read()
        return {name: after[name] - self.before.get(name, 0.0) for name in after}


class Load:
    def __init__(self, base: str, accounts: list, args: argparse.Namespace) -> None:
        self.base, self.accounts, self.args = base, accounts, args
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.sent_at: dict[str, list[float]] = defaultdict(list)  # monotonic, per latency
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.accepted = 0
        weights = dict(part.split("=") for part in args.mix.split(","))
        self.operations = list(weights)
        self.weights = [float(w) for w in weights.values()]

    async def request(self, client: httpx.AsyncClient, operation: str, n: int) -> None:
        campaign_id, token = self.accounts[n % len(self.accounts)]
        headers = {"Authorization": f"Bearer {token}"}
        started = time.monotonic()
        try:
            if operation == "import":
                response = await client.post(
                    f"/api/campaigns/{campaign_id}/import",
                    json={"contacts": contacts(self.args.import_size)},
                    headers=headers,
                )
            elif operation == "export":
                response = await client.get(
                    f"/api/campaigns/{campaign_id}/export",
                    params={"start_time": 0, "limit": 100},
                    headers=headers,
                )
            else:
                response = await client.get(
                    "/api/users/call-log", params={"start_time": 0, "limit": 100}, headers=headers
                )
        except httpx.HTTPError as exc:
            self.statuses[operation][type(exc).__name__] += 1
            return
        self.latency[operation].append(time.monotonic() - started)
        self.sent_at[operation].append(started)
        self.statuses[operation][response.status_code] += 1
        if operation == "import" and response.status_code == 200:
            self.accepted += len(response.json()["results"])

    async def client(self, client: httpx.AsyncClient, n: int, until: float) -> None:
        async with client:
            while time.monotonic() < until:
                operation = random.choices(self.operations, self.weights)[0]  # noqa: S311
                await self.request(client, operation, n)

    async def run(self, until: float) -> None:
        # A connection pool of its own per client, as 200 separate integrations have: one
        # pool of 200 connections costs the load generator O(connections) per request
        # (httpcore checks every pooled connection), most of a core at 100 requests/s,
        # taken from the server on a 2-core machine. One TLS context for all of them:
        # each client would load the CA bundle again (~20 ms each, 4 s for 200, during
        # which answers already sent wait unread and count as the server's latency).
        tls = ssl.create_default_context()
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        clients = [
            httpx.AsyncClient(base_url=self.base, timeout=120, limits=limits, verify=tls)
            for _ in range(self.args.clients)
        ]
        await asyncio.gather(*(self.client(c, n, until) for n, c in enumerate(clients)))


async def measure(
    base: str, accounts: list, dialer: Dialer, server_pid: int, args: argparse.Namespace
) -> dict:
    async with httpx.AsyncClient() as metrics:
        now = time.monotonic()
        alone = (now + args.warmup, now + args.warmup + args.alone_seconds)
        sampler = asyncio.create_task(dialer.sample(metrics, alone[1] + args.seconds + 1))
        await asyncio.sleep(alone[1] - time.monotonic())
        load = Load(base, accounts, args)
        cpu = CpuMeter(server_pid)
        started = time.monotonic()
        await load.run(started + args.seconds)
        elapsed = time.monotonic() - started
        cpu_used = cpu.used()
        await sampler
    return {
        "load": load,
        "elapsed": elapsed,
        "started": started,
        "cpu": cpu_used,
        "alone": dialer.rate(*alone),
        # The first second of load only ramps the clients up.
        "during": dialer.rate(started + 1, started + args.seconds),
    }


def report(database: str, result: dict, args: argparse.Namespace) -> bool:
    load, elapsed = result["load"], result["elapsed"]
    total = sum(sum(c.values()) for c in load.statuses.values())
    print(
        f"\n== {database}: {args.clients} clients for {elapsed:.0f} s, {total / elapsed:.0f} req/s"
    )
    for operation in load.operations:
        times = load.latency[operation]
        p50, p99 = percentile(times, 0.5) * 1000, percentile(times, 0.99) * 1000
        print(
            f"{operation:8} {len(times) / elapsed:7.1f} req/s  p50 {p50:7.0f} ms"
            f"  p99 {p99:7.0f} ms  status "
            + ", ".join(f"{k}: {v}" for k, v in sorted(load.statuses[operation].items(), key=str))
        )
    # Diagnostic, not a check: all clients send their first request at the same instant,
    # so the first seconds hold the longest queue the run ever sees.
    settled_from = result["started"] + args.arrival_seconds
    print(
        f"p99 of requests sent after the first {args.arrival_seconds:.0f} s: "
        + ", ".join(
            f"{operation} {percentile(late, 0.99) * 1000:.0f} ms"
            for operation in load.operations
            if (
                late := [
                    t
                    for t, at in zip(load.latency[operation], load.sent_at[operation], strict=True)
                    if at >= settled_from
                ]
            )
        )
    )
    print(f"contacts accepted: {load.accepted:,}")
    # Two cores in all: what the server had depends on what the load generator took.
    print(
        "CPU during load (cores): "
        + ", ".join(f"{name} {used / elapsed:.2f}" for name, used in result["cpu"].items())
        + f"; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    (alone, alone_gap), (during, during_gap) = result["alone"], result["during"]
    ratio = during / alone if alone else float("nan")
    print(
        f"dialer calls/s: alone {alone:.1f} (longest pause {alone_gap:.1f} s), during load "
        f"{during:.1f} (longest pause {during_gap:.1f} s) = {ratio:.0%} of alone"
    )
    # 503 (database busy, with Retry-After) is the contract's retryable answer; 500 is a bug.
    server_errors = sum(c.get(500, 0) for c in load.statuses.values())
    export_p99 = percentile(load.latency["export"], 0.99) if "export" in load.latency else 0
    checks = {
        "0 responses 500": server_errors == 0,
        "dialer during load >= 80 % of alone": ratio >= 0.8,
        "export p99 < 1 s": export_p99 < 1.0,
    }
    for name, passed in checks.items():
        print(f"  {'PASS' if passed else 'MISS'} {name}")
    return all(checks.values())


def bench(database: str, args: argparse.Namespace) -> bool:
    env = {
        "AICALL_TELEPHONY": "sandbox",
        "AICALL_SANDBOX_SPEED": str(args.sandbox_speed),
        "AICALL_SANDBOX_CALLS_PER_SECOND": str(args.dialer_cps),
        "AICALL_SANDBOX_MAX_CHANNELS": "100000",
        "AICALL_WEBHOOK_ALLOW_PRIVATE": "1",
    }
    if database == "postgres":
        fresh_postgres_database(POSTGRES_URL)
        env["DATABASE_URL"] = POSTGRES_URL
    else:
        env["DATABASE_URL"] = ""
    metrics_port = free_port()
    serve_args = ("--dialer-metrics-port", str(metrics_port))
    with server(env, dialer=True, serve_args=serve_args) as (base, server_env, server_pid):
        code = SETUP.format(accounts=args.accounts)
        accounts = json.loads(run(["shell", "-c", code], server_env).strip().splitlines()[-1])
        # Enough queued calls that the dialer never runs dry.
        backlog = args.dialer_cps * (args.warmup + args.alone_seconds + args.seconds + 30)
        per_account = max(1, int(backlog) // len(accounts))
        for campaign_id, token in accounts:
            answer = httpx.post(
                f"{base}/api/campaigns/{campaign_id}/import",
                json={"contacts": contacts(per_account)},
                headers={"Authorization": f"Bearer {token}"},
                timeout=300,
            )
            assert answer.status_code == 200, answer.text
        result = asyncio.run(measure(base, accounts, Dialer(metrics_port), server_pid, args))
    return report(database, result, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60, help="length of the load")
    parser.add_argument("--alone-seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=5, help="dialer ramp-up, not counted")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--accounts", type=int, default=20, help="clients share accounts")
    parser.add_argument("--import-size", type=int, default=100, help="contacts per import")
    parser.add_argument(
        "--arrival-seconds", type=float, default=5, help="left out of the second p99 line"
    )
    parser.add_argument("--mix", default="import=2,export=2,call-log=1")
    parser.add_argument("--dialer-cps", type=int, default=100, help="sandbox calls/s limit")
    parser.add_argument("--sandbox-speed", type=int, default=50)
    args = parser.parse_args()
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    results = [bench(database, args) for database in databases]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
