"""Validation of contacts sent for import: the rules the original API documents.

Framework-free so the API, the website's CSV/Excel upload and the tests share one definition
of "accepted", "duplicate" and "invalid".
"""

import re
from dataclasses import dataclass, field
from enum import StrEnum

from aicall.lib.phones import to_e164

_SIX_DIGITS = re.compile(r"^\d{6}$")
KNOWN_FIELDS = frozenset({"phone_number", "otp_code", "danh_xung", "ho_ten"})


class SkipReason(StrEnum):
    NOT_AN_OBJECT = "not_an_object"
    MISSING_PHONE = "missing_phone_number"
    INVALID_PHONE = "invalid_phone_number"
    INVALID_OTP = "invalid_otp_code"
    DUPLICATE = "duplicate_in_request"


@dataclass(slots=True)
class AcceptedContact:
    index: int
    phone_as_sent: object
    phone_e164: str
    otp_code: str
    danh_xung: str
    ho_ten: str
    custom_fields: dict


@dataclass
class CheckedContacts:
    total: int
    accepted: list[AcceptedContact] = field(default_factory=list)
    skipped: list[tuple[int, SkipReason]] = field(default_factory=list)


def normalize_otp(value: object) -> str | None:
    """`"000001"`..`"999999"`, or an integer 1..999999 zero-padded; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"{value:06d}" if 1 <= value <= 999_999 else None
    if isinstance(value, str) and _SIX_DIGITS.match(value) and value != "000000":
        return value
    return None


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def check_contacts(contacts: list, *, otp_required: bool) -> CheckedContacts:
    """Split `contacts` into accepted ones (in request order) and skipped ones with a reason."""
    result = CheckedContacts(total=len(contacts))
    seen: set[str] = set()
    accepted, skipped = result.accepted, result.skipped
    for index, item in enumerate(contacts):
        if not isinstance(item, dict):
            skipped.append((index, SkipReason.NOT_AN_OBJECT))
            continue
        raw_phone = item.get("phone_number")
        if raw_phone is None or raw_phone == "":
            skipped.append((index, SkipReason.MISSING_PHONE))
            continue
        phone = to_e164(str(raw_phone) if isinstance(raw_phone, int) else raw_phone)
        if phone is None:
            skipped.append((index, SkipReason.INVALID_PHONE))
            continue
        raw_otp = item.get("otp_code")
        otp = None if raw_otp is None else normalize_otp(raw_otp)
        if otp is None:
            if otp_required:
                skipped.append((index, SkipReason.INVALID_OTP))
                continue
            otp = ""
        if phone in seen:
            skipped.append((index, SkipReason.DUPLICATE))
            continue
        seen.add(phone)
        # Most contacts carry only the documented keys: skip building an empty dict for them.
        custom = (
            {}
            if item.keys() <= KNOWN_FIELDS
            else {k: v for k, v in item.items() if k not in KNOWN_FIELDS}
        )
        danh_xung, ho_ten = item.get("danh_xung"), item.get("ho_ten")
        accepted.append(
            AcceptedContact(
                index=index,
                phone_as_sent=raw_phone,
                phone_e164=phone,
                otp_code=otp,
                danh_xung=danh_xung if type(danh_xung) is str else _text(danh_xung),
                ho_ten=ho_ten if type(ho_ten) is str else _text(ho_ten),
                custom_fields=custom,
            )
        )
    return result
