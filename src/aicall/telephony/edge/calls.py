"""What the SIP carrier asks the edge for each call: may it go out, and which Route."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aicall.telephony import base
from aicall.telephony.base import CallOutcome, TrunkConfig
from aicall.telephony.edge.status import FAILED, REGISTERED
from aicall.telephony.edge.supervisor import EdgeSupervisor

log = logging.getLogger("aicall.sip.edge")

# A call on a trunk still registering (the edge just started, or a refresh failed) waits
# this long for the registration before it is settled as REGISTRATION FAILED.
REGISTRATION_WAIT_SECONDS = 20.0


async def registration_outcome(edge: EdgeSupervisor, trunk: TrunkConfig) -> CallOutcome | None:
    """None when the call may go out; else the outcome that says the registration failed.

    A trunk that answered REGISTER with 403 would answer this call with "not registered"
    too, which looks like CALL REJECTED (a wrong password, a blocked caller): the note
    says what really happened, with the registrar's code.
    """
    if not trunk.register:
        return None
    deadline = time.monotonic() + REGISTRATION_WAIT_SECONDS
    while True:
        status = edge.trunk_status(trunk.trunk_id)
        if status is not None and status.registration == REGISTERED:
            return None
        if status is not None and status.registration == FAILED:
            break
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.2)
    code = status.code if status is not None else None
    log.warning("trunk %s: not registered (%s); call not placed", trunk.name, code)
    return CallOutcome(answered=False, hangup_cause=base.REGISTRATION_FAILED, sip_code=code)


def unavailable_outcome(edge: EdgeSupervisor | None, trunk: TrunkConfig) -> CallOutcome | None:
    """TRUNK UNAVAILABLE for a trunk that has a fallback and cannot take calls now (down or
    paused in the trunk table, or every target down at the edge): the carrier then places
    the call on the fallback at once, not after a timeout. Without a fallback the call goes
    out (the dialer holds back the calls of a trunk it knows is down)."""
    if trunk.fallback is None:
        return None
    reason = "" if trunk.available else "marked down or paused"
    status = edge.trunk_status(trunk.trunk_id) if edge is not None else None
    if not reason and status is not None and status.targets:
        if all(health == "down" for health in status.targets.values()):
            reason = "every target down"
    if not reason:
        return None
    log.info("trunk %s: %s; its fallback %s takes the call", trunk.name, reason,
             trunk.fallback.name)  # fmt: skip
    return CallOutcome(answered=False, hangup_cause=base.TRUNK_UNAVAILABLE)


def edge_trunk_fields(edge: EdgeSupervisor | None, trunk: TrunkConfig) -> dict[str, Any]:
    """What the worker's trunk command gains in edge mode: the Route to the edge."""
    if edge is None:
        return {}
    return {"outbound_proxy": edge.edge.route_for(trunk.trunk_id, trunk.transport)}
