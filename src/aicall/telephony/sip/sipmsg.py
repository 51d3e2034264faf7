"""Reading what the network sends: Retry-After, 3xx targets, status lines; and headers we send.

Everything here is untrusted input from the trunk (or operator-set text that will become a
SIP header), so the functions accept only narrow shapes and return None (or raise
ValueError) for anything else. No pjsua2 and no Django: the worker and the carrier share them.
"""

from __future__ import annotations

import re

# Never trust a trunk's Retry-After beyond a day (a typo or a hostile value must not park calls).
MAX_RETRY_AFTER_SECONDS = 86400
_RETRY_AFTER = re.compile(r"^Retry-After[ \t]*:[ \t]*(\d{1,9})", re.IGNORECASE | re.MULTILINE)
_STATUS_LINE = re.compile(r"^SIP/2\.0 ([1-6]\d\d) ")
# sip:USER@HOST[:PORT][;params] or tel:NUMBER[;params]; USER may carry ;user-params.
_SIP_TARGET = re.compile(
    r"^sips?:(?P<user>[^@;]+)(?:;[^@]*)?@(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>\d{1,5}))?(?:[;?>].*)?$"
)
_TEL_TARGET = re.compile(r"^tel:(?P<user>[^;?]+)(?:;.*)?$")
_VISUAL_SEPARATORS = re.compile(r"[\s.\-()]")
_PHONE = re.compile(r"^\+?[0-9]{3,15}$")
# RFC 3261 token: what a header name may be.
_TOKEN = re.compile(r"^[A-Za-z0-9!%'*+\-.^_`|~]{1,64}$")
# Headers PJSIP writes itself (or that we write from the trunk's typed fields): an extra
# header must not replace or duplicate them, or the dialog breaks in ways no one can debug.
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "Via",
        "From",
        "To",
        "Call-ID",
        "CSeq",
        "Contact",
        "Content-Length",
        "Content-Type",
        "Content-Encoding",
        "Max-Forwards",
        "Route",
        "Record-Route",
        "Authorization",
        "Proxy-Authorization",
        "WWW-Authenticate",
        "Proxy-Authenticate",
        "Allow",
        "Supported",
        "Require",
        "Proxy-Require",
        "Session-Expires",
        "Min-SE",
        "Expires",
        "P-Asserted-Identity",
        "P-Preferred-Identity",
        "Privacy",
        "Refer-To",
        "Event",
        "i",
        "f",
        "t",
        "v",
        "m",
        "l",
        "c",
        "k",
        "e",
    )
)
MAX_HEADER_VALUE_CHARS = 1024


def status_code(message: str) -> int | None:
    """The status code of a SIP response's text, or None for anything else."""
    match = _STATUS_LINE.match(message or "")
    return int(match.group(1)) if match else None


# The SIP edge marks the failures it generated itself (and drops the header from anything a
# trunk sends), so a worker behind it can tell the edge's 408/503 from the trunk's.
_EDGE_LOCAL = re.compile(
    r"^X-Aicall-Edge[ \t]*:[ \t]*(timeout|unreachable)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE
)


def edge_generated(message: str) -> bool:
    """Whether a response is the SIP edge's own failure (no target answered, none up)."""
    head = (message or "").split("\r\n\r\n", 1)[0]
    return _EDGE_LOCAL.search(head) is not None


def retry_after_seconds(message: str) -> float | None:
    """A response's `Retry-After` delta-seconds (comment and parameters ignored), capped."""
    head = (message or "").split("\r\n\r\n", 1)[0]
    match = _RETRY_AFTER.search(head)
    if match is None:
        return None
    return float(min(int(match.group(1)), MAX_RETRY_AFTER_SECONDS))


_CONTACT = re.compile(r"^(?:Contact|m)[ \t]*:[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)


def contact_uris(message: str) -> list[str]:
    """The URIs of a response's Contact headers, in order (PJSIP's own redirect target
    string drops the port, so the port a 3xx names is read from the message)."""
    head = (message or "").split("\r\n\r\n", 1)[0]
    uris: list[str] = []
    for match in _CONTACT.finditer(head):
        value = match.group(1).strip()
        bracketed = re.findall(r"<([^<>]*)>", value)
        uris += bracketed or [part.strip() for part in value.split(",") if part.strip()]
    return uris


def redirect_number(target: str) -> tuple[str, str, int | None] | None:
    """A 3xx Contact's phone number, host and port; None unless the user part is a number.

    `<sip:0901234567@10.0.0.1:5060;user=phone>` -> ("0901234567", "10.0.0.1", 5060). A
    target that is not a phone number (`sip:alice@example.com`) is never followed.
    """
    text = (target or "").strip()
    if len(text) > 512 or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        return None
    if text.startswith("<"):
        text = text[1:].split(">", 1)[0]
    host, port = "", None
    match = _SIP_TARGET.match(text)
    if match is not None:
        host = match.group("host")
        port = int(match.group("port")) if match.group("port") else None
        if port is not None and not 0 < port < 65536:
            return None
    else:
        match = _TEL_TARGET.match(text)
        if match is None:
            return None
    number = _VISUAL_SEPARATORS.sub("", match.group("user"))
    if not _PHONE.match(number):
        return None
    return number, host, port


def format_number(number: str, number_format: str) -> str:
    """A Vietnamese number as the trunk wants it (`national` 0…, `e164` +84…); others as is."""
    if number_format == "e164" and number.startswith("0") and not number.startswith("00"):
        return "+84" + number[1:]
    if number_format == "national" and number.startswith("+84"):
        return "0" + number[3:]
    return number


def redirect_uri(target: str, trunk: dict) -> str | None:
    """Where to send a followed 3xx: its number, dialled through the same trunk.

    The host is always the trunk's: a Contact naming the trunk's own host may change the
    port (a carrier's second SBC port), any other host is replaced by the trunk's proxy.
    """
    parsed = redirect_number(target)
    if parsed is None:
        return None
    number, host, port = parsed
    trunk_host = str(trunk["host"])
    trunk_name, _, _ = trunk_host.partition(":")
    destination = trunk_host
    if host and host.lower() == trunk_name.lower() and port is not None:
        destination = f"{trunk_name}:{port}"
    uri = f"sip:{format_number(number, str(trunk.get('number_format', 'national')))}@{destination}"
    return uri + ";transport=tcp" if trunk.get("transport") == "tcp" else uri


def check_header(name: str, value: str) -> tuple[str, str]:
    """A header safe to put in an INVITE, or ValueError (control characters, bad names)."""
    if not isinstance(name, str) or not _TOKEN.match(name):
        raise ValueError(f"header name {name!r} is not a SIP token")
    if name.lower() in RESERVED_HEADERS:
        raise ValueError(f"header {name} is set by aicall itself")
    check_text(value, f"header {name}")
    if not value.strip():
        raise ValueError(f"header {name} has an empty value")
    return name, value.strip()


def check_text(value: str, what: str) -> str:
    """Text for a header or a display name: no control characters (CR/LF would inject)."""
    if not isinstance(value, str):
        raise ValueError(f"{what} is not text")
    if len(value) > MAX_HEADER_VALUE_CHARS:
        raise ValueError(f"{what} is longer than {MAX_HEADER_VALUE_CHARS} characters")
    if any((ord(ch) < 0x20 and ch != "\t") or ord(ch) == 0x7F for ch in value):
        raise ValueError(f"{what} contains control characters")
    return value
