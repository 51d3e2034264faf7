"""Operator actions on SIP trunks. The first trunk added becomes the default."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from aicall.telephony.models import NumberFormat, Transport, Trunk

_PROXY = re.compile(r"^sips?:(?:[^@\s]+@)?[A-Za-z0-9.\-]+(?::\d{1,5})?(?:;[^\s]*)?$")
_CALLER_ID = re.compile(r"^\+?[0-9]{2,20}$")
_NAME = re.compile(r"^[\w.\-]{1,100}$")


class TrunkError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = f"{field}: {message}"


def clean_trunk(raw: dict[str, Any]) -> dict[str, Any]:
    """The trunk's settings checked and normalised, or TrunkError naming the first problem."""
    data = {k: v for k, v in raw.items() if v is not None}
    if not _NAME.match(str(data.get("name", ""))):
        raise TrunkError("name", "1-100 letters, digits, dots, dashes or underscores")
    proxy = str(data.get("proxy", "")).strip()
    if not _PROXY.match(proxy):
        raise TrunkError("proxy", "must look like sip:HOST:PORT")
    data["proxy"] = proxy
    if data.get("transport", Transport.UDP) not in Transport.values:
        raise TrunkError("transport", "udp or tcp")
    if bool(data.get("username")) != bool(data.get("password")):
        raise TrunkError("password", "digest authentication needs both --username and --password")
    if data.get("caller_id") and not _CALLER_ID.match(data["caller_id"]):
        raise TrunkError("caller_id", "digits only, optionally with a leading +")
    if not 1 <= int(data.get("max_channels", 30)) <= 100_000:
        raise TrunkError("max_channels", "1 to 100000")
    if not 0 < float(data.get("calls_per_second", 10)) <= 10_000:
        raise TrunkError("calls_per_second", "greater than 0")
    if data.get("number_format", NumberFormat.NATIONAL) not in NumberFormat.values:
        raise TrunkError("number_format", "national or e164")
    if not 96 <= int(data.get("dtmf_payload_type", 101)) <= 127:
        raise TrunkError("dtmf_payload_type", "a dynamic payload type, 96 to 127")
    return data


def do_add_trunk(raw: dict[str, Any]) -> Trunk:
    """Add a trunk; the first one becomes the default trunk."""
    data = clean_trunk(raw)
    with transaction.atomic():
        if Trunk.objects.filter(name=data["name"]).exists():
            raise TrunkError("name", f"a trunk named {data['name']} exists")
        first = not Trunk.objects.select_for_update().exists()
        return Trunk.objects.create(**data, is_default=first)


def do_set_default_trunk(trunk: Trunk) -> Trunk:
    with transaction.atomic():
        Trunk.objects.exclude(pk=trunk.pk).filter(is_default=True).update(is_default=False)
        Trunk.objects.filter(pk=trunk.pk).update(is_default=True)
    trunk.is_default = True
    return trunk


def do_remove_trunk(trunk: Trunk) -> None:
    """Remove a trunk; when it was the default, the oldest remaining one takes over."""
    with transaction.atomic():
        was_default = trunk.is_default
        trunk.delete()
        if was_default:
            successor = Trunk.objects.order_by("created_at", "pk").first()
            if successor is not None:
                do_set_default_trunk(successor)


def do_assign_trunk(trunk: Trunk | None, *, account: Any = None, campaign: Any = None) -> None:
    """Route an account's campaigns (its default trunk) or one campaign through `trunk`.

    None clears the choice: calls then fall back to the account's trunk, then the default.
    """
    if (account is None) == (campaign is None):
        raise TrunkError("target", "name an account or a campaign")
    target = account if account is not None else campaign
    field = "default_trunk" if account is not None else "trunk"
    setattr(target, field, trunk)
    target.save(update_fields=[field])
