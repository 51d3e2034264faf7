"""Which trunk a campaign's calls go out on, as the carrier needs it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aicall.telephony.base import TrunkConfig
from aicall.telephony.models import RegistrationState, Trunk

# A chain of fallback trunks is followed this far (and never round a loop).
MAX_FALLBACK_TRUNKS = 4


def trunk_config(trunk: Trunk, _seen: frozenset[int] = frozenset()) -> TrunkConfig:
    fallback = None
    seen = _seen | {trunk.pk}
    if trunk.fallback_trunk_id and trunk.fallback_trunk_id not in seen:
        if len(seen) <= MAX_FALLBACK_TRUNKS:
            next_trunk = Trunk.objects.filter(pk=trunk.fallback_trunk_id).first()
            if next_trunk is not None:
                fallback = trunk_config(next_trunk, seen)
    from django.utils import timezone

    from aicall.telephony.health import is_available

    return TrunkConfig(
        fallback=fallback,
        available=is_available(trunk, timezone.now()),
        name=trunk.name,
        proxy=trunk.proxy,
        transport=trunk.transport,
        username=trunk.username,
        password=trunk.password,
        number_format=trunk.number_format,
        dtmf_payload_type=trunk.dtmf_payload_type,
        caller_id=trunk.caller_id,
        max_channels=trunk.max_channels,
        calls_per_second=trunk.calls_per_second,
        trunk_id=trunk.pk,
        failover_proxies=list(trunk.failover_proxies or []),
        register=trunk.register,
        auth_username=trunk.auth_username,
        realm=trunk.realm,
        caller_id_format=trunk.caller_id_format,
        display_name=trunk.display_name,
        send_pai=trunk.send_pai,
        privacy=trunk.privacy,
        extra_headers=dict(trunk.extra_headers or {}),
        media_timeout_seconds=float(trunk.media_timeout_seconds),
    )


def route_trunk_id(
    campaign_trunk_id: int | None,
    owner_trunk_id: int | None,
    default_trunk_id: int | None,
    exists: Callable[[int], bool],
) -> int | None:
    """The one routing rule: the campaign's own trunk, else its owner's default trunk,
    else the default trunk (the first of those that `exists`); None: the sandbox.

    `trunk_for` applies it with the database, the dialer's snapshot with its cached trunks.
    """
    for trunk_id in (campaign_trunk_id, owner_trunk_id, default_trunk_id):
        if trunk_id and exists(trunk_id):
            return trunk_id
    return None


def routed_trunk(campaign_trunk_id: int | None, owner_trunk_id: int | None) -> Trunk | None:
    """The trunk a campaign with these settings goes through (see `route_trunk_id`)."""
    named = [i for i in (campaign_trunk_id, owner_trunk_id) if i]
    found = Trunk.objects.in_bulk(named) if named else {}
    default = Trunk.objects.filter(is_default=True).order_by("id").first()
    if default is not None:
        found[default.pk] = default
    chosen = route_trunk_id(
        campaign_trunk_id, owner_trunk_id, default.pk if default else None, found.__contains__
    )
    return found[chosen] if chosen else None


def trunk_for(campaign: Any) -> Trunk | None:
    """The trunk `campaign` goes through (see `route_trunk_id`)."""
    return routed_trunk(campaign.trunk_id, getattr(campaign.owner, "default_trunk_id", None))


def trunk_config_for(campaign: Any) -> TrunkConfig | None:
    """TrunkConfig for the dialer's CallRequest.trunk, or None when no trunk is configured."""
    trunk = trunk_for(campaign)
    return trunk_config(trunk) if trunk is not None else None


def public_trunk(trunk: Trunk) -> dict[str, Any]:
    """A trunk as `aicall trunk list` shows it: everything but the password."""
    return {
        "name": trunk.name,
        "proxy": trunk.proxy,
        "transport": trunk.transport,
        "username": trunk.username,
        "has_password": bool(trunk.password),
        "caller_id": trunk.caller_id,
        "max_channels": trunk.max_channels,
        "cps": trunk.calls_per_second,
        "number_format": trunk.number_format,
        "dtmf_payload_type": trunk.dtmf_payload_type,
        "failover_proxies": list(trunk.failover_proxies or []),
        "register": trunk.register,
        "register_expiry_seconds": trunk.register_expiry_seconds,
        "auth_username": trunk.auth_username,
        "realm": trunk.realm,
        "registration": registration_status(trunk),
        "fallback": trunk.fallback_trunk.name if trunk.fallback_trunk else None,
        "target_health": dict(trunk.target_health or {}),
        "caller_id_format": trunk.caller_id_format,
        "display_name": trunk.display_name,
        "send_pai": trunk.send_pai,
        "privacy": trunk.privacy,
        "extra_headers": dict(trunk.extra_headers or {}),
        "media_timeout_seconds": trunk.media_timeout_seconds,
        "default": trunk.is_default,
        "health": trunk_health(trunk),
        "created_at": trunk.created_at.isoformat(),
    }


def registration_status(trunk: Trunk) -> dict[str, Any]:
    """`{"state": registered|registering|failed|not_needed, "code": SIP code or None, …}`."""
    state = trunk.registration_state if trunk.register else RegistrationState.NOT_NEEDED
    return {
        "state": state,
        "code": trunk.registration_code if trunk.register else None,
        "checked_at": trunk.registration_checked_at.isoformat()
        if trunk.register and trunk.registration_checked_at
        else None,
    }


def trunk_health(trunk: Trunk) -> dict[str, Any]:
    """The trunk's state as the dialers see it (shared in the database)."""
    return {
        "state": trunk.health,
        "consecutive_timeouts": trunk.consecutive_timeouts,
        "down_since": trunk.down_since_at.isoformat() if trunk.down_since_at else None,
        "last_probe_at": trunk.last_probe_at.isoformat() if trunk.last_probe_at else None,
        "last_probe_result": trunk.last_probe_result,
        "paused_until": trunk.paused_until_at.isoformat() if trunk.paused_until_at else None,
    }


def campaign_telephony(campaign: Any, mode: str | None = None) -> dict[str, Any]:
    """How a campaign's calls go out, for its API object and its web page.

    `sandbox`: its calls are simulated (AICALL_TELEPHONY=sandbox, or no trunk at all);
    `trunk` / `trunk_state`: the trunk a real call takes and whether it takes calls now
    ("up", "down": calls wait while OPTIONS probes run, "paused": a 503 Retry-After).
    """
    from django.utils import timezone

    from aicall.telephony.models import TrunkHealth
    from aicall.telephony.registry import simulated

    trunk = trunk_for(campaign)
    if simulated(trunk is not None, mode):
        return {"sandbox": True, "trunk": None, "trunk_state": None}
    if trunk is None:
        return {"sandbox": False, "trunk": None, "trunk_state": None}
    state = trunk.health
    if state == TrunkHealth.UP and trunk.paused_until_at and trunk.paused_until_at > timezone.now():
        state = "paused"
    return {"sandbox": False, "trunk": trunk.name, "trunk_state": state}
