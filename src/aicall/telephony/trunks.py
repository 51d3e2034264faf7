"""Which trunk a campaign's calls go out on, as the carrier needs it."""

from __future__ import annotations

from typing import Any

from aicall.telephony.base import TrunkConfig
from aicall.telephony.models import RegistrationState, Trunk


def trunk_config(trunk: Trunk) -> TrunkConfig:
    return TrunkConfig(
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
    )


def trunk_for(campaign: Any) -> Trunk | None:
    """The campaign's own trunk, else its owner's default trunk, else the default trunk."""
    if campaign.trunk_id:
        trunk = Trunk.objects.filter(pk=campaign.trunk_id).first()
        if trunk is not None:
            return trunk
    owner_trunk_id = getattr(campaign.owner, "default_trunk_id", None)
    if owner_trunk_id:
        trunk = Trunk.objects.filter(pk=owner_trunk_id).first()
        if trunk is not None:
            return trunk
    return Trunk.objects.filter(is_default=True).first()


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
        "target_health": dict(trunk.target_health or {}),
        "default": trunk.is_default,
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
