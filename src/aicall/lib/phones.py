"""Vietnamese phone numbers: parse the usual written forms into E.164.

`phonenumbers` is the authority on what is a valid number. Parsing costs ~30 µs a number,
too slow for a 100,000-contact import, so the common shapes take a fast path: strip the
separators, find the national significant number, and ask `phonenumbers` once per
(5-digit prefix, length). Vietnam's numbering plan decides validity on the first digits and
the length only, which `tests/lib/test_phones.py` checks against `phonenumbers` itself.
"""

import re

import phonenumbers
from phonenumbers import shortnumberinfo

_SEPARATORS = re.compile(r"[\s.\-()]+")
# The usual shapes: a prefix, tried in the order a reader would (international, then the
# national trunk prefix 0), and the national significant number (NSN). ASCII digits only.
_USUAL_SHAPE = re.compile(r"(?:\+84|0084|84|0)([1-9][0-9]{7,9})")
# (first five NSN digits, NSN length) -> valid. A few hundred entries at most.
_valid_shapes: dict[tuple[str, int], bool] = {}


def _valid_shape(prefix: str, length: int) -> bool:
    known = _valid_shapes.get((prefix, length))
    if known is None:
        sample = prefix + "0" * (length - len(prefix))
        known = phonenumbers.is_valid_number(phonenumbers.parse("+84" + sample))
        _valid_shapes[(prefix, length)] = known
    return known


def _slow_e164(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        return None
    # aicall calls Vietnam: a valid foreign number is still not a contact it can dial.
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def to_e164(raw: object) -> str | None:
    """The number in E.164 (`+84901234567`), or None when it is not a valid Vietnamese number."""
    # phonenumbers would ignore a trailing NUL, which PostgreSQL cannot store.
    if not isinstance(raw, str) or not raw or len(raw) > 40 or "\x00" in raw:
        return None
    usual = _USUAL_SHAPE.fullmatch(raw) or _USUAL_SHAPE.fullmatch(_SEPARATORS.sub("", raw))
    if usual is not None:
        nsn = usual[1]
        return "+84" + nsn if _valid_shape(nsn[:5], len(nsn)) else None
    return _slow_e164(raw)


# Numbers that cost the caller (premium rate, shared cost) or that a call center has no
# business calling in bulk (toll-free lines bill their owner per minute): skipped at import
# and refused as transfer targets unless the operator allows them for the account.
_RESTRICTED_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.UAN,
    }
)
# Vietnam's 1900 (premium) and 1800 (toll-free) service ranges, whatever metadata says.
_RESTRICTED_PREFIXES = ("1900", "1800")
# The first NSN digit of every restricted number in Vietnam's plan (1800/1900 service
# numbers, the 1x99/799 and 69 UAN ranges); tests/lib/test_phones.py checks it.
RESTRICTED_FIRST_DIGITS = frozenset("167")
# (first five NSN digits, NSN length) -> restricted; the type follows the prefix and the
# length like validity does (tests/lib/test_phones.py checks it against phonenumbers).
_restricted_shapes: dict[tuple[str, int], bool] = {}


def is_restricted_destination(e164: str) -> bool:
    """True for a premium-rate, shared-cost or toll-free number (`+841900…`, `+841800…`)."""
    nsn = e164[3:]
    key = (nsn[:5], len(nsn))
    known = _restricted_shapes.get(key)
    if known is None:
        number = phonenumbers.parse(e164)
        known = (
            nsn.startswith(_RESTRICTED_PREFIXES)
            or phonenumbers.number_type(number) in _RESTRICTED_TYPES
        )
        _restricted_shapes[key] = known
    return known


def is_short_code(raw: object) -> bool:
    """A Vietnamese short number (`113`, `1080`, `9029`): never a contact to dial."""
    if not isinstance(raw, str) or len(raw) > 12 or "\x00" in raw:
        return False
    digits = _SEPARATORS.sub("", raw)
    if not digits.isdigit():
        return False
    try:
        number = phonenumbers.parse(digits, "VN")
    except phonenumbers.NumberParseException:
        return False
    return bool(shortnumberinfo.is_valid_short_number_for_region(number, "VN"))


def to_national(e164: str) -> str:
    """`+84901234567` -> `0901234567`: the form the original service's export shows."""
    if e164.startswith("+84"):
        return "0" + e164[3:]
    return e164
