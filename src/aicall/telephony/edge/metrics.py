"""Prometheus gauges of the SIP edge, served with the dialer's (`--metrics-port`)."""

from __future__ import annotations

from prometheus_client import Gauge

from aicall.telephony.edge.status import REGISTERED, TrunkStatus

TRUNK_REGISTERED = Gauge(
    "aicall_edge_trunk_registered",
    "1 when the SIP edge holds the trunk's registration, 0 when it failed or is pending",
    ["trunk_id"],
)
TRUNK_REGISTRATION_CODE = Gauge(
    "aicall_edge_trunk_registration_code",
    "The registrar's last answer to the edge's REGISTER (408: none)",
    ["trunk_id"],
)
TARGET_UP = Gauge(
    "aicall_edge_target_up",
    "1 when a trunk target answers the edge's OPTIONS keepalives",
    ["trunk_id", "target"],
)
EDGE_RESTARTS = Gauge("aicall_edge_restarts", "Times the supervised Kamailio was restarted")


def record(status: dict[int, TrunkStatus], restarts: int = 0) -> None:
    EDGE_RESTARTS.set(restarts)
    for trunk_id, seen in status.items():
        label = str(trunk_id)
        if seen.registration != "not_needed":
            TRUNK_REGISTERED.labels(label).set(1 if seen.registration == REGISTERED else 0)
            if seen.code is not None:
                TRUNK_REGISTRATION_CODE.labels(label).set(seen.code)
        for target, health in seen.targets.items():
            TARGET_UP.labels(label, target).set(1 if health == "up" else 0)
