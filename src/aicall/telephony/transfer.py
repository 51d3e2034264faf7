"""Where an IVR `transfer` may send a callee.

A transfer is a second call paid by the operator, so a customer's menu must not be able to
send callees anywhere: only a phone number (normalised, then dialled through the call's own
trunk, like any contact) or a SIP URI whose host the operator put on the allow-list
(`AICALL_TRANSFER_SIP_DOMAINS`). Nothing else reaches the worker's REFER or INVITE: no
control characters (a CR/LF would forge SIP headers), no URI parameters or headers, no
user info beyond a plain user part.
"""

import re

from django.conf import settings

from aicall.lib.phones import is_restricted_destination, to_e164, to_national

# A plain user part and a host name; no ;params, no ?headers, no escapes.
_SIP_URI = re.compile(
    r"(?P<scheme>sips?):(?P<user>[A-Za-z0-9_.+\-]{1,64})@(?P<host>[A-Za-z0-9.\-]{1,253})"
    r"(?::(?P<port>[0-9]{1,5}))?"
)
_PHONE_CHARS = re.compile(r"[0-9+ .()\-]{3,30}")


class TransferTargetError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def allowed_sip_hosts() -> frozenset[str]:
    """The operator's allow-list: host names (lower case) a transfer may name in sip: URIs."""
    return frozenset(settings.AICALL["TRANSFER_SIP_DOMAINS"])


def clean_transfer_target(target: object, *, allow_restricted: bool = False) -> str:
    """The target to store: `0…` (national) for a phone number, the URI for an allowed one.

    TransferTargetError says why anything else is refused.
    """
    if not isinstance(target, str) or not target.strip():
        raise TransferTargetError("transfer needs a phone number or sip: address as target")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        raise TransferTargetError("the transfer target contains control characters")
    text = target.strip()
    if text.lower().startswith(("sip:", "sips:")):
        match = _SIP_URI.fullmatch(text)
        if match is None:
            raise TransferTargetError(
                "a sip: transfer target must be sip:user@host[:port], without parameters"
            )
        if match["host"].lower() not in allowed_sip_hosts():
            raise TransferTargetError(
                f"sip: transfers may only go to hosts the operator allows; {match['host']} is not"
            )
        return f"{match['scheme']}:{match['user']}@{match['host'].lower()}" + (
            f":{match['port']}" if match["port"] else ""
        )
    phone = to_e164(text) if _PHONE_CHARS.fullmatch(text) else None
    if phone is None:
        raise TransferTargetError("the transfer target is not a Vietnamese phone number")
    if not allow_restricted and is_restricted_destination(phone):
        raise TransferTargetError(
            "transfers to premium-rate or 1900/1800 service numbers are not allowed"
        )
    return to_national(phone)


def checked_transfer_target(target: object) -> str | None:
    """At dial time: the stored target if it still passes (None: play no transfer).

    Menus saved before a rule tightened, or edited in the database, are checked again;
    premium-rate numbers were decided when the menu was saved.
    """
    try:
        return clean_transfer_target(target, allow_restricted=True)
    except TransferTargetError:
        return None
