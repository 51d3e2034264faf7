"""The SIP edge: Kamailio in front of the PJSIP media workers (docs/sip.md, "The SIP edge").

Towards the trunks it is the one SIP address (`AICALL_SIP_EDGE_ADDRESS`:5060): it registers
trunks that need it, pings their targets with OPTIONS, fails over to the next target, and
record-routes so that the carrier's in-dialog requests reach the worker of the call. The
workers send their INVITEs to its loopback socket with a Route naming the trunk.

`AICALL_SIP_EDGE`: `kamailio` (the default) runs it supervised by the dialer's SIP carrier;
`external` feeds and watches one started as a system service on `aicall sip-edge config`;
`direct` bypasses it (each worker calls the trunk itself).
"""

from __future__ import annotations

import enum
from typing import Any

from aicall.telephony.edge.config import EdgeSettings, EdgeTrunk
from aicall.telephony.edge.supervisor import EdgeSupervisor


class EdgeMode(enum.StrEnum):
    KAMAILIO = "kamailio"
    EXTERNAL = "external"
    DIRECT = "direct"


class UnknownEdgeMode(ValueError):
    pass


def edge_mode(conf: dict[str, Any]) -> EdgeMode:
    value = str(conf.get("SIP_EDGE", EdgeMode.KAMAILIO)).strip().lower()
    try:
        return EdgeMode(value)
    except ValueError:
        raise UnknownEdgeMode(
            f"AICALL_SIP_EDGE must be kamailio, external or direct, not {value!r}"
        ) from None


def trunk_table() -> list[EdgeTrunk]:
    """Every trunk, as the edge needs it (read in the supervisor's thread)."""
    from django.db import close_old_connections

    from aicall.telephony.models import Trunk

    close_old_connections()
    return [EdgeTrunk.from_trunk(t) for t in Trunk.objects.order_by("id")]


def supervisor_from_settings(conf: dict[str, Any], **overrides: Any) -> EdgeSupervisor | None:
    """The edge the SIP carrier uses (None in direct mode), writing what it sees to the DB."""
    from aicall.telephony.edge import metrics
    from aicall.telephony.services import do_record_edge_status

    mode = edge_mode(conf)
    if mode == EdgeMode.DIRECT:
        return None
    supervisor: EdgeSupervisor

    def on_status(status: dict[int, Any]) -> None:
        from django.db import close_old_connections

        metrics.record(status, supervisor.restarts)
        close_old_connections()  # the supervisor's thread keeps its own connection
        do_record_edge_status(status)

    supervisor = EdgeSupervisor(
        EdgeSettings.from_settings(conf, **overrides),
        trunk_table,
        on_status=on_status,
        spawn=mode == EdgeMode.KAMAILIO,
    )
    return supervisor
