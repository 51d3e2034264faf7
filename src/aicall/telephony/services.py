"""Operator actions on SIP trunks. The first trunk added becomes the default."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from aicall.telephony.models import (
    SETTABLE_FIELDS as SETTABLE,
)
from aicall.telephony.models import (
    CallerIdFormat,
    NumberFormat,
    RegistrationState,
    Transport,
    Trunk,
)

_PROXY = re.compile(r"^sips?:(?:[^@\s]+@)?[A-Za-z0-9.\-]+(?::\d{1,5})?(?:;[^\s]*)?$")
_CALLER_ID = re.compile(r"^\+?[0-9]{2,20}$")
_NAME = re.compile(r"^[\w.\-]{1,100}$")
# What may reach the edge's generated files: no spaces, quotes or separators they use.
_EDGE_SAFE = re.compile(r"^[A-Za-z0-9:@.;=_\-\[\]]+$")
# The edge refreshes a registration ~8 s before it expires (its 5 s timer + 3 s).
MIN_REGISTER_EXPIRY_SECONDS = 20
# RFC 3261 `token`: what a header name may be made of.
_SIP_TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~\-]{1,64}$")
# Header values and display names: printable text, no control characters (CR/LF would
# start a header of the operator's choosing, NUL ends C strings in PJSIP).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Headers the user agent writes itself: setting them would break the dialog or routing.
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "Via", "v", "From", "f", "To", "t", "Call-ID", "i", "CSeq", "Contact", "m", "Route",
        "Record-Route", "Max-Forwards", "Content-Type", "c", "Content-Length", "l",
        "Content-Encoding", "e", "Content-Disposition", "Content-Language", "Expires",
        "Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate",
        "Allow", "Supported", "k", "Require", "Session-Expires", "x", "Min-SE", "Refer-To",
        "r", "Referred-By", "b", "Event", "o", "P-Asserted-Identity", "Privacy",
    )
)  # fmt: skip
_PRIVACY = re.compile(
    r"^(none|id|header|session|user|critical)(\s*;\s*(id|header|session|user|critical))*$"
)
MAX_EXTRA_HEADERS = 10


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
    _clean_identity(data)
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


def _clean_identity(data: dict[str, Any]) -> None:
    """Caller-identity settings: nothing that could inject or override a SIP header."""
    if data.get("caller_id_format", CallerIdFormat.NATIONAL) not in CallerIdFormat.values:
        raise TrunkError("caller_id_format", "national, e164 or as_stored")
    display = str(data.get("display_name", ""))
    if _CONTROL.search(display) or '"' in display or "\\" in display or len(display) > 64:
        raise TrunkError(
            "display_name", "up to 64 characters, no quotes, backslashes or control characters"
        )
    data["display_name"] = display.strip()
    privacy = str(data.get("privacy", "")).strip().lower()
    if privacy and not _PRIVACY.match(privacy):
        raise TrunkError(
            "privacy", "RFC 3323 values: none, id, header, session, user (joined by ;)"
        )
    data["privacy"] = privacy
    if "send_pai" in data:
        data["send_pai"] = bool(data["send_pai"])
    headers = data.get("extra_headers", {})
    if not isinstance(headers, dict):
        raise TrunkError("extra_headers", "a JSON object of header name to value")
    if len(headers) > MAX_EXTRA_HEADERS:
        raise TrunkError("extra_headers", f"at most {MAX_EXTRA_HEADERS} headers")
    clean: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _SIP_TOKEN.match(name):
            raise TrunkError("extra_headers", f"{str(name)[:64]!r} is not a SIP header name")
        if name.lower() in RESERVED_HEADERS or name.lower().startswith("content-"):
            raise TrunkError("extra_headers", f"{name} is written by aicall itself")
        if name.lower() in {n.lower() for n in clean}:
            raise TrunkError("extra_headers", f"{name} is given twice")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise TrunkError("extra_headers", f"{name}: the value must be text")
        text = str(value).strip()
        if not text or _CONTROL.search(text) or len(text) > 256:
            raise TrunkError(
                "extra_headers", f"{name}: 1-256 characters, no CR, LF or control characters"
            )
        clean[name] = text
    data["extra_headers"] = clean
    try:
        media_timeout = int(data.get("media_timeout_seconds", 20))
    except (TypeError, ValueError):
        raise TrunkError("media_timeout_seconds", "whole seconds, 5 to 3600") from None
    if not 5 <= media_timeout <= 3600:
        raise TrunkError("media_timeout_seconds", "whole seconds, 5 to 3600")
    data["media_timeout_seconds"] = media_timeout


def parse_header_option(items: list[str]) -> dict[str, str]:
    """`--header "X-Account: 42"` options as a dict (checked later by clean_trunk)."""
    headers: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":")
        if not sep:
            raise TrunkError("extra_headers", f"{item[:64]!r} must be NAME: VALUE")
        headers[name.strip()] = value.strip()
    return headers


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


def do_update_trunk(trunk: Trunk, changes: dict[str, Any]) -> Trunk:
    """Change some of a trunk's settings; the whole result is validated before saving.

    A None value leaves the field as it is; an empty password keeps the stored one unless
    the username is cleared too (no authentication).
    """
    changes = {k: v for k, v in changes.items() if v is not None}
    current = {f: getattr(trunk, f) for f in SETTABLE}
    data = clean_trunk({**current, **changes})
    with transaction.atomic():
        if data["name"] != trunk.name and Trunk.objects.filter(name=data["name"]).exists():
            raise TrunkError("name", f"a trunk named {data['name']} exists")
        was_registering = trunk.register
        for name in SETTABLE:
            setattr(trunk, name, data.get(name, getattr(trunk, name)))
        fields = list(SETTABLE)
        if trunk.register != was_registering:
            # The edge reports the new registration's state within seconds.
            trunk.registration_state = (
                RegistrationState.REGISTERING if trunk.register else RegistrationState.NOT_NEEDED
            )
            trunk.registration_code = None
            fields += ["registration_state", "registration_code"]
        trunk.save(update_fields=fields)
    return trunk


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
    their values changed, so a steady edge costs no writes.

    With the edge, its dispatcher probing is in charge of trunk health (docs/sip.md): a
    trunk whose every target the edge marked down becomes *down* (its calls go to its
    fallback trunk, or wait), and the first target that answers again brings it back *up*.
    """
    from aicall.telephony.models import TrunkHealth

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
        rows = Trunk.objects.filter(pk=trunk.pk)
        rows.update(
            registration_state=state,
            registration_code=code,
            registration_checked_at=now,
            target_health=targets,
        )
        if targets == trunk.target_health or not targets:
            continue  # only a change of the targets' health moves the trunk's
        if all(health == "down" for health in targets.values()):
            rows.filter(health=TrunkHealth.UP).update(
                health=TrunkHealth.DOWN, down_since_at=now, last_probe_result="edge: no target up"
            )
        else:
            rows.filter(health=TrunkHealth.DOWN).update(
                health=TrunkHealth.UP,
                consecutive_timeouts=0,
                down_since_at=None,
                last_probe_result="edge: a target answers",
            )


def do_set_fallback_trunk(trunk: Trunk, fallback: Trunk | None) -> Trunk:
    """Make `fallback` the next trunk in priority order after `trunk` (None: no fallback).

    A call that `trunk` cannot carry (every target down or answering 503, 408, its
    registration failed) is placed on the fallback, then on the fallback's, and so on.
    """
    if fallback is not None:
        seen = {trunk.pk}
        current: Trunk | None = fallback
        while current is not None:
            if current.pk in seen:
                raise TrunkError("fallback", f"{fallback.name} leads back to {trunk.name}")
            seen.add(current.pk)
            current = current.fallback_trunk
    trunk.fallback_trunk = fallback
    trunk.save(update_fields=["fallback_trunk"])
    return trunk
