"""The dialer's side of trunk health: probing down trunks, and the trunk metrics.

The state itself lives in the Trunk rows (telephony/health.py), so that every dialer
process sees the same one; this module only drives it from a dialer's event loop. The
OPTIONS probes run in direct mode only: with the SIP edge, the edge's probing is in charge.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from django.conf import settings

from aicall.dialer import metrics as m
from aicall.telephony import health
from aicall.telephony.models import Trunk, TrunkHealth
from aicall.telephony.sip.options import ProbeResult, probe

log = logging.getLogger("aicall.dialer")

Db = Callable[..., Awaitable[Any]]


def note_trunk_down(name: str) -> None:
    log.warning("trunk %s marked down: calls in a row timed out; probing it with OPTIONS", name)
    m.TRUNK_DOWN_TOTAL.labels(name).inc()
    m.TRUNK_UP.labels(name).set(0)


async def probe_down_trunks(
    db: Db, now: Callable[[], datetime]
) -> list[tuple[Trunk, ProbeResult, bool]]:
    """OPTIONS to every down trunk due for a probe that this dialer won the turn for.

    Returns (trunk, result, came back up) for each probe sent. With the SIP edge nothing is
    sent: the edge probes every target and brings its trunk back up itself.
    """
    if health.edge_in_charge():
        return []
    conf = settings.AICALL
    due = await db(health.claim_probes, now(), float(conf["TRUNK_PROBE_SECONDS"]))
    if not due:
        return []
    timeout = float(conf["TRUNK_PROBE_TIMEOUT_SECONDS"])
    results = await asyncio.gather(*(probe(t.proxy, t.transport, timeout) for t in due))
    out = []
    for trunk, result in zip(due, results, strict=True):
        m.TRUNK_PROBES.labels(trunk.name, "up" if result.up else "down").inc()
        came_up = await db(
            health.do_record_probe, trunk.pk, up=result.up, result=result.reason, now=now()
        )
        if came_up:
            log.info("trunk %s is up again (%s)", trunk.name, result.reason)
            m.TRUNK_UP.labels(trunk.name).set(1)
        out.append((trunk, result, came_up))
    return out


def update_trunk_gauges(now: datetime) -> None:
    """aicall_trunk_up / aicall_trunk_consecutive_timeouts from the shared rows."""
    for trunk in Trunk.objects.all()[:200]:
        available = trunk.health == TrunkHealth.UP and not (
            trunk.paused_until_at and trunk.paused_until_at > now
        )
        m.TRUNK_UP.labels(trunk.name).set(1 if available else 0)
        m.TRUNK_CONSECUTIVE_TIMEOUTS.labels(trunk.name).set(trunk.consecutive_timeouts)
