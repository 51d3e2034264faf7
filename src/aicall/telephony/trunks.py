"""Which trunk a campaign's calls go out on, as the carrier needs it."""

from __future__ import annotations

from typing import Any

from aicall.telephony.base import TrunkConfig
from aicall.telephony.models import Trunk


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
        "default": trunk.is_default,
        "created_at": trunk.created_at.isoformat(),
    }
