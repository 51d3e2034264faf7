"""Webhook deliveries per second while the sandbox dialer runs at speed, and what the
webhooks cost the dialer.

    .venv/bin/python bench/webhooks.py [--calls 40000] [--rounds 4] [--speed 100] [--pace N]

Each round runs the same campaign twice in one database (SQLite in a temporary data dir,
or PostgreSQL when DATABASE_URL is set): once without a webhook URL (the dialer alone),
once with one pointing at a local receiver (bench/webhook_receiver.py under uvicorn,
verifying every signature) while `aicall webhooks` delivers `call.started` and
`call.finished` events; every other round in the opposite order. It prints the dialer's
attempts per second and CPU time per attempt in both cases, the cost of webhooks as the
median of the rounds' costs (runs on a shared machine vary by +-15 %, so one pair proves
little; runs of ~10 s, the default, vary less than runs of ~3 s), the deliveries per
second, and how long events waited in the outbox. Everything binds 127.0.0.1 and every
process started here is stopped before it exits.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen, timeout: float = 60) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def setup_django(data_dir: str) -> None:
    os.environ["AICALL_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aicall.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def child_env(speed: float, calls_per_second: float = 0) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AICALL_TELEPHONY="sandbox",
        AICALL_SANDBOX_SPEED=str(speed),
        AICALL_SANDBOX_CALLS_PER_SECOND=str(calls_per_second),
        AICALL_SANDBOX_MAX_CHANNELS="5000",
        AICALL_LOG_LEVEL="WARNING",
        AICALL_WEBHOOK_ALLOW_PRIVATE="1",  # the receiver listens on 127.0.0.1
    )
    return env


def new_campaign(
    owner_id: int, name: str, calls: int, webhook_url: str, secret: str, started: bool = True
):
    from aicall.calls.services import import_contacts
    from aicall.campaigns.services import do_create_campaign

    campaign = do_create_campaign(
        owner_id,
        {
            "name": name,
            "campaign_type": "ivr",
            "caller_id": "0281234567",
            "script": "Xin chào {ho_ten}, đơn hàng của quý khách đã được xác nhận.",
            "calling_hours": "00:00-24:00",
            "max_concurrent_calls": 5000,
            "webhook_url": webhook_url,
            "webhook_secret": secret if webhook_url else "",
            "webhook_call_started": bool(webhook_url) and started,
        },
    )
    # Last digits 0..9 in turn: the sandbox's whole table of outcomes.
    contacts = [{"phone_number": f"0901{n:06d}", "ho_ten": "A"} for n in range(calls)]
    import_contacts(campaign, contacts)
    return campaign


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dial(campaign, env: dict[str, str]) -> tuple[float, float, float]:
    """Run one dialer until every call of the campaign is done.

    Returns (seconds, attempts/s, the dialer's CPU milliseconds per attempt), all from
    the first claim to the last result.
    """
    from aicall.calls.models import Call, CallStatus
    from aicall.campaigns.services import do_start_campaign

    calls = Call.objects.filter(campaign=campaign)
    total = calls.count()
    dialer = subprocess.Popen(
        [sys.executable, "-m", "aicall", "dialer"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        do_start_campaign(campaign)
        first = first_cpu = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            waiting = calls.filter(status=CallStatus.QUEUED).count()
            if first is None and waiting < total:
                first, first_cpu = time.monotonic(), cpu_seconds(dialer.pid)
            if not calls.exclude(status=CallStatus.DONE).exists():
                break
            time.sleep(0.05)
        else:
            raise SystemExit("the dialer did not finish in 10 minutes")
        seconds = time.monotonic() - (first or time.monotonic())
        cpu = cpu_seconds(dialer.pid) - (first_cpu or 0.0)
    finally:
        stop(dialer)
    return seconds, total / seconds, cpu * 1000 / total


def outbox_figures(campaign) -> dict[str, float]:
    from aicall.webhooks.models import DeliveryStatus, WebhookDelivery

    rows = list(
        WebhookDelivery.objects.filter(campaign=campaign).values_list(
            "status", "created_at", "delivered_at", "attempts"
        )
    )
    delivered = [r for r in rows if r[0] == DeliveryStatus.DELIVERED]
    span = (max(r[2] for r in delivered) - min(r[2] for r in delivered)).total_seconds()
    waits = sorted((r[2] - r[1]).total_seconds() for r in delivered)
    return {
        "events": len(rows),
        "delivered": len(delivered),
        "per_second": len(delivered) / span if span else float("nan"),
        "wait_p50": waits[len(waits) // 2],
        "wait_p95": waits[int(len(waits) * 0.95)],
        "retried": sum(1 for r in delivered if r[3] > 1),
    }


def wait_for_deliveries(campaign, n: int) -> dict[str, float]:
    """Wait until the sender has delivered every event of `campaign`; print its figures."""
    from aicall.webhooks.models import DeliveryStatus, WebhookDelivery

    deadline = time.monotonic() + 600
    pending = WebhookDelivery.objects.filter(campaign=campaign, status=DeliveryStatus.PENDING)
    while pending.exists():
        assert time.monotonic() < deadline, "deliveries still pending after 10 min"
        time.sleep(0.2)
    figures = outbox_figures(campaign)
    print(
        f"round {n + 1}: {figures['delivered']}/{figures['events']} events delivered, "
        f"{figures['per_second']:.0f}/s, outbox wait p50 {figures['wait_p50']:.2f} s "
        f"p95 {figures['wait_p95']:.2f} s, {figures['retried']} retried",
        flush=True,
    )
    return figures


def drain_backlog(campaign, copies: int) -> dict[str, float]:
    """Queue `copies` call.finished events per call at once; how fast the sender drains them."""
    from aicall.calls.events import enqueue_call_events
    from aicall.calls.models import Call
    from aicall.webhooks.models import DeliveryStatus, WebhookDelivery
    from aicall.webhooks.outbox import CALL_FINISHED

    calls = list(Call.objects.filter(campaign=campaign))
    WebhookDelivery.objects.filter(campaign=campaign).delete()
    for _ in range(copies):
        enqueue_call_events(campaign, calls, CALL_FINISHED)
    pending = WebhookDelivery.objects.filter(campaign=campaign, status=DeliveryStatus.PENDING)
    deadline = time.monotonic() + 600
    while pending.exists():
        assert time.monotonic() < deadline, "backlog not drained after 10 min"
        time.sleep(0.2)
    return outbox_figures(campaign)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=40000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--speed", type=float, default=100.0, help="sandbox clock speed-up")
    parser.add_argument(
        "--pace", type=float, default=0, help="dialer calls/s cap (0: as fast as it goes)"
    )
    parser.add_argument(
        "--finished-only",
        action="store_true",
        help="call.finished events only (the default setting); else call.started too",
    )
    parser.add_argument(
        "--outbox-only",
        action="store_true",
        help="no sender: measure what writing the outbox rows alone costs the dialer",
    )
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="aicall-bench-webhooks-")
    setup_django(data_dir)
    from django.db import connection

    from aicall.accounts.services import do_create_user
    from aicall.webhooks.signing import new_secret

    env = child_env(args.speed, args.pace)
    secret = new_secret()
    port = free_port()
    # The receiver stands for the customer's server, on another machine in real life: it
    # runs at the lowest CPU priority so that it takes as little as it can from the dialer.
    receiver = subprocess.Popen(
        [
            "nice",
            "-n",
            "19",
            sys.executable,
            "-m",
            "uvicorn",
            "webhook_receiver:app",
            "--app-dir",
            str(ROOT / "bench"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env={**env, "BENCH_WEBHOOK_SECRET": secret},
    )
    sender = subprocess.Popen(
        [sys.executable, "-m", "aicall", "webhooks"], env=env, stderr=subprocess.DEVNULL
    )
    if args.outbox_only:
        stop(sender)
    url = f"http://127.0.0.1:{port}/hook"
    owner = do_create_user(f"bench-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe())
    plain_rates, hooked_rates, costs, cpu_costs, outbox = [], [], [], [], []
    print(
        f"{args.calls} calls a run, sandbox speed x{args.speed}, "
        f"pace {args.pace or 'unlimited'} calls/s, database {connection.vendor}, events: "
        f"{'call.finished' if args.finished_only else 'call.started and call.finished'}",
        flush=True,
    )
    try:
        for n in range(args.rounds):
            # ABBA order: the database grows run after run and the dialer slows down a
            # little with it, so every other round runs the hooked campaign first.
            runs = [("plain", ""), ("hooked", url)]
            rates: dict[str, float] = {}
            cpu: dict[str, float] = {}
            for kind, hook in runs if n % 2 == 0 else runs[::-1]:
                campaign = new_campaign(
                    owner.pk, f"{kind} {n}", args.calls, hook, secret, not args.finished_only
                )
                seconds, rates[kind], cpu[kind] = dial(campaign, env)
                label = "dialer alone     " if kind == "plain" else "dialer + webhooks"
                print(
                    f"round {n + 1}: {label} {rates[kind]:8.1f} attempts/s ({seconds:.1f} s, "
                    f"{cpu[kind]:.3f} ms of dialer CPU an attempt)"
                )
                if kind == "hooked":
                    hooked = campaign
                    if not args.outbox_only:
                        outbox.append(wait_for_deliveries(campaign, n))
            plain_rates.append(rates["plain"])
            hooked_rates.append(rates["hooked"])
            costs.append((rates["plain"] - rates["hooked"]) / rates["plain"] * 100)
            cpu_costs.append((cpu["hooked"] - cpu["plain"]) / cpu["plain"] * 100)
        if not args.outbox_only:
            backlog = drain_backlog(hooked, copies=2)
            print(
                f"backlog of {backlog['events']} events drained at {backlog['per_second']:.0f}/s",
                flush=True,
            )
    finally:
        stop(sender)
        stop(receiver)
    plain_rate = statistics.median(plain_rates)
    hooked_rate = statistics.median(hooked_rates)
    print()
    print(f"dialer alone:           {plain_rate:.1f} attempts/s (median of {args.rounds})")
    print(f"dialer with webhooks:   {hooked_rate:.1f} attempts/s")
    print(
        f"cost of webhooks:       {statistics.median(costs):.1f} % (median of the rounds' "
        f"costs: {', '.join(f'{c:.1f}' for c in costs)}; target < 10 %)"
    )
    print(
        f"dialer CPU an attempt:  +{statistics.median(cpu_costs):.1f} % with webhooks (median; "
        f"{', '.join(f'{c:.1f}' for c in cpu_costs)})"
    )
    if args.outbox_only:
        return
    deliveries = statistics.median(f["per_second"] for f in outbox)
    print(f"webhook deliveries:     {deliveries:.0f}/s while dialling (median)")
    print(f"sender throughput:      {backlog['per_second']:.0f}/s draining a backlog")


if __name__ == "__main__":
    main()
