"""Operator actions on SIP trunks. The first trunk added becomes the default."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from aicall.telephony.models import NumberFormat, RegistrationState, Transport, Trunk

_PROXY = re.compile(r"^sips?:(?:[^@\s]+@)?[A-Za-z0-9.\-]+(?::\d{1,5})?(?:;[^\s]*)?$")
_CALLER_ID = re.compile(r"^\+?[0-9]{2,20}$")
_NAME = re.compile(r"^[\w.\-]{1,100}$")
# What may reach the edge's generated files: no spaces, quotes or separators they use.
_EDGE_SAFE = re.compile(r"^[A-Za-z0-9:@.;=_\-\[\]]+$")
# The edge refreshes a registration ~8 s before it expires (its 5 s timer + 3 s).
MIN_REGISTER_EXPIRY_SECONDS = 20


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
    return _clean_edge_fields(data)


def _clean_edge_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Failover targets and registration: they end up in the SIP edge's configuration."""
    targets = [str(t).strip() for t in data.get("failover_proxies") or []]
    for target in targets:
        if not _PROXY.match(target) or not _EDGE_SAFE.match(target):
            raise TrunkError("failover_proxies", f"{target!r} must look like sip:HOST:PORT")
    data["failover_proxies"] = targets
    if not _EDGE_SAFE.match(data["proxy"]):
        raise TrunkError("proxy", "must look like sip:HOST:PORT")
    for name in ("username", "auth_username", "realm", "password"):
        value = str(data.get(name, ""))
        # They end up in SIP headers and in the edge's registration table: no control
        # characters (a CR/LF would inject a header).
        if not value.isprintable():
            raise TrunkError(name, "no tabs, line breaks or other control characters")
    if data.get("auth_username") and not data.get("password"):
        raise TrunkError("password", "--auth-username needs --password")
    if data.get("register"):
        if not (data.get("username") and data.get("password")):
            raise TrunkError("register", "registration needs --username and --password")
        expiry = int(data.get("register_expiry_seconds", 300))
        if not MIN_REGISTER_EXPIRY_SECONDS <= expiry <= 86_400:
            raise TrunkError(
                "register_expiry_seconds", f"{MIN_REGISTER_EXPIRY_SECONDS} to 86400 seconds"
            )
    return data


def do_add_trunk(raw: dict[str, Any]) -> Trunk:
    """Add a trunk; the first one becomes the default trunk."""
    data = clean_trunk(raw)
    with transaction.atomic():
        if Trunk.objects.filter(name=data["name"]).exists():
            raise TrunkError("name", f"a trunk named {data['name']} exists")
        first = not Trunk.objects.select_for_update().exists()
        if data.get("register"):
            data["registration_state"] = RegistrationState.REGISTERING
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


def do_record_edge_status(status: dict[int, Any]) -> None:
    """Store what the SIP edge reports per trunk id (`edge.status.TrunkStatus`): the
    registration state and code, and each target's health. Rows are written only when
    their values changed, so a steady edge costs no writes."""
    now = timezone.now()
    for trunk in Trunk.objects.filter(pk__in=list(status)):
        seen = status[trunk.pk]
        state = seen.registration if trunk.register else RegistrationState.NOT_NEEDED
        code = seen.code if trunk.register else None
        targets = dict(seen.targets)
        if (trunk.registration_state, trunk.registration_code, trunk.target_health) == (
            state,
            code,
            targets,
        ):
            continue
        Trunk.objects.filter(pk=trunk.pk).update(
            registration_state=state,
            registration_code=code,
            registration_checked_at=now,
            target_health=targets,
        )
