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


def edge_trunk_fields(edge: EdgeSupervisor | None, trunk: TrunkConfig) -> dict[str, Any]:
    """What the worker's trunk command gains in edge mode: the Route to the edge."""
    if edge is None:
        return {}
    return {"outbound_proxy": edge.edge.route_for(trunk.trunk_id, trunk.transport)}
