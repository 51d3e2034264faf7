"""What the running edge says about each trunk: its registration and its targets' health."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aicall.telephony.edge.config import EdgeTrunk

# uac_reg's record flags (uac.reg_info): disabled, in progress, online, auth sent, initialised.
FLAG_DISABLED = 1
FLAG_ONGOING = 2
FLAG_ONLINE = 4
FLAG_INIT = 16

REGISTERED = "registered"
REGISTERING = "registering"
FAILED = "failed"
NOT_NEEDED = "not_needed"


@dataclass(frozen=True)
class TrunkStatus:
    """A trunk as the edge sees it. `code` is the registrar's last answer (408: none)."""

    registration: str = NOT_NEEDED
    code: int | None = None
    targets: dict[str, str] = field(default_factory=dict)  # uri -> up | down | probing


def registration_of(record: dict[str, Any] | None, code: int | None) -> tuple[str, int | None]:
    """A uac_reg record (from uac.reg_dump) and the last REGISTER answer -> (state, code).

    uac_reg clears "online" while a refresh is on the wire and sets "disabled" when a
    registration failed (the supervisor retries it with a back-off); a record that is
    neither online, ongoing nor disabled has not been tried yet.
    """
    if record is None:
        return REGISTERING, None
    flags = int(record.get("flags") or 0)
    if flags & FLAG_ONLINE:
        return REGISTERED, code if code and code < 300 else 200
    if flags & FLAG_DISABLED:
        # Failed: the registrar's code, or 408 when it never answered.
        return FAILED, code if code and code >= 300 else 408
    return REGISTERING, code


def target_state(flags: str) -> str:
    """Dispatcher flags (`AP`, `IP`, `TP`, `DX`, …) -> up | down | probing."""
    first = flags[:1]
    if first == "A":
        return "up"
    if first == "T":
        return "probing"
    return "down"


def read_status(
    trunks: list[EdgeTrunk],
    registrations: list[dict[str, Any]],
    codes: dict[str, int],
    dispatcher: dict[str, Any] | None,
) -> dict[int, TrunkStatus]:
    """Combine `uac.reg_dump`, the `regcode` htable and `dispatcher.list` per trunk id."""
    by_uuid = {str(r.get("l_uuid")): r for r in registrations or []}
    targets: dict[int, dict[str, str]] = {}
    for record in (dispatcher or {}).get("RECORDS") or []:
        group = record.get("SET") or {}
        try:
            set_id = int(group.get("ID") or 0)
        except (TypeError, ValueError):
            continue
        for target in group.get("TARGETS") or []:
            dest = target.get("DEST") or {}
            targets.setdefault(set_id, {})[str(dest.get("URI"))] = target_state(
                str(dest.get("FLAGS") or "")
            )
    status: dict[int, TrunkStatus] = {}
    for trunk in trunks:
        if trunk.register:
            state, code = registration_of(by_uuid.get(trunk.uuid), codes.get(trunk.aor))
        else:
            state, code = NOT_NEEDED, None
        status[trunk.id] = TrunkStatus(state, code, targets.get(trunk.id, {}))
    return status


def parse_codes(dump: Any) -> dict[str, int]:
    """`htable.dump regcode` -> {To URI: last SIP code}."""
    codes: dict[str, int] = {}
    for slot in dump or []:
        for item in slot.get("slot") or []:
            try:
                codes[str(item["name"])] = int(item["value"])
            except (KeyError, TypeError, ValueError):
                continue
    return codes
