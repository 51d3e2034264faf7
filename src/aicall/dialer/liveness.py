"""Dialer processes: heartbeats, and settling the calls of one that died mid-call.

Heartbeats read the system's clock (SYSTEM_CLOCK), never a test's: other processes
compare them. A dialer is gone when its heartbeat is older than `dead_after`, when it
stopped cleanly, or at once when it ran on this host and its pid no longer exists (a
`kill -9` followed by a restart is then recovered in the first round, not after the
timeout). Its `dialing` calls
are retried by the campaign's policy or finished as INTERRUPTED, each exactly once: the
rows are locked, and the dead dialer's late writes are refused (see results.py).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from django.db import transaction

from aicall.calls.dialing import (
    has_expired_calls,
    in_flight_owners,
    lock_expired_calls,
    lock_in_flight,
)
from aicall.campaigns.models import Campaign, CampaignType
from aicall.dialer.clock import SYSTEM_CLOCK
from aicall.dialer.models import DialerProcess
from aicall.dialer.policy import OTP_EXPIRED
from aicall.dialer.settle import settle_interrupted, settle_unplaced
from aicall.dialer.snapshot import campaign_infos

log = logging.getLogger("aicall.dialer")

RECOVERY_BATCH = 2000


def host_identity() -> str:
    """This host as far as pids go: the hostname and the pid namespace.

    Two containers may share a hostname; their pids only mean something inside their own
    namespace, so a pid is checked only against dialers of the same namespace.
    """
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        namespace = 0
    return f"{socket.gethostname()[:200]}/{namespace}"


def new_dialer_name() -> str:
    host = socket.gethostname()[:40]
    return f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def register(name: str) -> DialerProcess:
    now = SYSTEM_CLOCK.now()
    return DialerProcess.objects.create(
        name=name,
        hostname=host_identity(),
        pid=os.getpid(),
        started_at=now,
        heartbeat_at=now,
    )


def heartbeat(name: str) -> bool:
    """Refresh our heartbeat; False when another dialer has declared us dead."""
    return (
        DialerProcess.objects.filter(name=name, stopped_at__isnull=True).update(
            heartbeat_at=SYSTEM_CLOCK.now()
        )
        > 0
    )


def mark_stopped(name: str, reason: str = "stopped") -> None:
    DialerProcess.objects.filter(name=name, stopped_at__isnull=True).update(
        stopped_at=SYSTEM_CLOCK.now(), stop_reason=reason
    )


def forget_old_dialers(days: int = 7) -> int:
    """Delete the rows of dialers stopped more than `days` ago (one row per process start)."""
    cutoff = SYSTEM_CLOCK.now() - timedelta(days=days)
    deleted, _ = DialerProcess.objects.filter(stopped_at__lt=cutoff).delete()
    return deleted


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def alive_dialers(dead_after_seconds: float) -> set[str]:
    cutoff = SYSTEM_CLOCK.now() - timedelta(seconds=dead_after_seconds)
    host = host_identity()
    alive = set()
    rows = DialerProcess.objects.filter(stopped_at__isnull=True, heartbeat_at__gte=cutoff)
    for name, hostname, pid in rows.values_list("name", "hostname", "pid"):
        if hostname == host and pid != os.getpid() and not _pid_exists(pid):
            continue
        alive.add(name)
    return alive


def recover_orphans(me: str, dead_after_seconds: float, now: datetime) -> tuple[int, int]:
    """Settle calls in flight on dialers that are gone. Returns (finished, retried)."""
    alive = alive_dialers(dead_after_seconds) | {me}
    owners = in_flight_owners(alive)
    if not owners:
        return 0, 0
    DialerProcess.objects.filter(name__in=owners, stopped_at__isnull=True).update(
        stopped_at=SYSTEM_CLOCK.now(), stop_reason="declared dead"
    )
    finished = retried = 0
    while True:
        with transaction.atomic():
            rows = lock_in_flight(owners, RECOVERY_BATCH)
            if not rows:
                break
            infos = campaign_infos({row.campaign_id for row in rows})
            done, again = settle_interrupted(rows, infos, now)
            finished += done
            retried += again
        if len(rows) < RECOVERY_BATCH:
            break
    log.warning(
        "recovered calls of dead dialer(s) %s: %d finished as interrupted, %d queued again",
        ", ".join(sorted(owners)),
        finished,
        retried,
    )
    return finished, retried


def expire_otp_calls(now: datetime) -> int:
    """Finish queued voice-OTP calls older than their campaign's expiry: never placed."""
    expired = 0
    # Every voice-OTP campaign, running or not (a stopped one's queued codes expire too);
    # each one's check below is a range of the (campaign, status, …) claim index.
    expiries = dict(
        Campaign.objects.filter(campaign_type=CampaignType.VOICE_OTP).values_list(
            "id", "otp_expiry_seconds"
        )
    )
    infos = None
    for campaign_id, expiry in expiries.items():
        cutoff = now - timedelta(seconds=expiry)
        # A read first: on SQLite every transaction takes the write lock, and most
        # campaigns have nothing to expire on most heartbeats.
        if not has_expired_calls(campaign_id, cutoff):
            continue
        with transaction.atomic():
            ids = lock_expired_calls(campaign_id, cutoff, 5000)
            if not ids:
                continue
            infos = infos or campaign_infos(set(expiries))
            expired += settle_unplaced(infos[campaign_id], ids, OTP_EXPIRED, now)
    return expired
