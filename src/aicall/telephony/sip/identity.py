"""Who the call says it is from: From (with display name), P-Asserted-Identity, Privacy, and
the trunk's static extra headers.

Vietnamese carriers and hosted PBXs commonly want the caller ID in a given form (national
`028…` or E.164 `+8428…`), a PAI header, and sometimes a Privacy header or an account header
of their own. The trunk's model validates these fields; this module checks them again
because they end up verbatim in a SIP message: a CR/LF here would inject headers.
"""

from __future__ import annotations

import re
from typing import Any

from aicall.lib.phones import to_e164, to_national
from aicall.telephony.base import TrunkConfig
from aicall.telephony.sip.sipmsg import check_header, check_text

_CALLER_ID = re.compile(r"^\+?[0-9]{1,20}$")
_PRIVACY = re.compile(
    r"^(none|id|header|user|session|critical)(;(none|id|header|user|session|critical))*$"
)
CALLER_ID_FORMATS = ("national", "e164", "as_stored")


def format_caller_id(caller_id: str, caller_id_format: str) -> str:
    """The caller ID as the trunk wants it; ValueError for anything that is not a number."""
    raw = (caller_id or "").strip()
    if not raw:
        return "anonymous"
    if caller_id_format not in CALLER_ID_FORMATS:
        raise ValueError(f"unknown caller-ID format {caller_id_format!r}")
    number = raw
    if caller_id_format != "as_stored":
        e164 = to_e164(raw)
        if e164 is not None:
            number = e164 if caller_id_format == "e164" else to_national(e164)
    if not _CALLER_ID.match(number):
        raise ValueError("the caller ID is not a phone number")
    return number


def quoted_display_name(name: str) -> str:
    """A display name as an RFC 3261 quoted-string (UTF-8 allowed, quotes escaped)."""
    check_text(name, "display name")
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def caller_identity(trunk: TrunkConfig, caller_id: str, host: str) -> dict[str, Any]:
    """The From URI and the headers of every INVITE for this call; ValueError if unsafe."""
    number = format_caller_id(caller_id, trunk.caller_id_format)
    # The trunk's host without the port, as PJSIP writes From (a port names a transport
    # address, not an identity).
    domain = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    uri = f"<sip:{number}@{domain}>"
    name = trunk.display_name.strip()
    from_uri = f"{quoted_display_name(name)} {uri}" if name else uri
    headers: list[list[str]] = []
    if trunk.send_pai and number != "anonymous":
        headers.append(["P-Asserted-Identity", from_uri])
    privacy = (trunk.privacy or "").strip()
    if privacy:
        if not _PRIVACY.match(privacy.lower()):
            raise ValueError(f"Privacy {privacy!r} is not a list of RFC 3323 values")
        headers.append(["Privacy", privacy.lower()])
    for header_name, value in (trunk.extra_headers or {}).items():
        headers.append(list(check_header(header_name, value)))
    return {"from": from_uri, "headers": headers}
